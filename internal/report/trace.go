package report

import (
	"bufio"
	"fmt"
	"os"
	"runtime/metrics"
	"sync"
	"time"
)

// An intake trace records, for every public submission and every batch the
// writer commits, how long each stage took, so the tail of the latency can
// be taken apart (the bench's load runs). It is off unless the environment
// names a file in LUOSHI_INTAKE_TRACE; the records are CSV lines (microsecond
// offsets and durations) and never carry anything about the report itself.
type intakeTrace struct {
	mu    sync.Mutex
	w     *bufio.Writer
	f     *os.File
	start time.Time
}

var tracer = openTrace(os.Getenv("LUOSHI_INTAKE_TRACE"))

func openTrace(path string) *intakeTrace {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil
	}
	t := &intakeTrace{w: bufio.NewWriterSize(f, 1<<16), f: f, start: time.Now()}
	go func() { // flush now and then: the server is killed, not closed, by the bench
		samples := []metrics.Sample{{Name: "/sched/latencies:seconds"}, {Name: "/sched/pauses/total/gc:seconds"},
			{Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(samples)
		prevSched := samples[0].Value.Float64Histogram().Counts
		prevSched = append([]uint64(nil), prevSched...)
		prevPause := append([]uint64(nil), samples[1].Value.Float64Histogram().Counts...)
		prevGC := samples[2].Value.Uint64()
		for range time.Tick(time.Second) {
			metrics.Read(samples)
			sh, ph := samples[0].Value.Float64Histogram(), samples[1].Value.Float64Histogram()
			// rt,at,gc cycles,sched p50,p99,max (run-queue wait of goroutines),gc pause p99,max (µs)
			t.line("rt", t.us(time.Now()), int64(samples[2].Value.Uint64()-prevGC),
				quantile(sh, prevSched, 0.5), quantile(sh, prevSched, 0.99), quantile(sh, prevSched, 1),
				quantile(ph, prevPause, 0.99), quantile(ph, prevPause, 1))
			prevSched = append(prevSched[:0], sh.Counts...)
			prevPause = append(prevPause[:0], ph.Counts...)
			prevGC = samples[2].Value.Uint64()
			t.mu.Lock()
			t.w.Flush()
			t.mu.Unlock()
		}
	}()
	return t
}

func (t *intakeTrace) us(at time.Time) int64 { return at.Sub(t.start).Microseconds() }

// line writes one record: kind, then the values.
func (t *intakeTrace) line(kind string, vals ...int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.w.WriteString(kind)
	for _, v := range vals {
		fmt.Fprintf(t.w, ",%d", v)
	}
	t.w.WriteByte('\n')
}

// stamps are the moments a submission passed each stage.
type stamps struct {
	at    [nStages]time.Time
	batch int
}

const (
	atStart = iota
	atChecked
	atRouted
	atHashed
	atSealed
	atQueued
	atPicked
	atCommitted
	atWoke
	nStages
)

func (t *intakeTrace) submission(s *stamps) {
	if t == nil || s.at[atWoke].IsZero() {
		return
	}
	d := func(a, b int) int64 { return s.at[b].Sub(s.at[a]).Microseconds() }
	// sub,start,check,route,hash,seal,queue(wait for the writer to pick it),commit(its batch),wake,total,batch
	t.line("sub", t.us(s.at[atStart]), d(atStart, atChecked), d(atChecked, atRouted), d(atRouted, atHashed),
		d(atHashed, atSealed), d(atQueued, atPicked), d(atPicked, atCommitted), d(atCommitted, atWoke),
		d(atStart, atWoke), int64(s.batch))
}

// batchTrace: batch,start,size,begin(wait for the write connection),insert,commit(the flush)
func (t *intakeTrace) batch(start, begun, inserted, committed time.Time, size int) {
	if t == nil {
		return
	}
	t.line("batch", t.us(start), int64(size), begun.Sub(start).Microseconds(),
		inserted.Sub(begun).Microseconds(), committed.Sub(inserted).Microseconds())
}

// mark notes that the submission reached stage i (nothing when it is not traced).
func (s *stamps) mark(i int) {
	if s != nil {
		s.at[i] = time.Now()
	}
}

// quantile is the q-quantile, in µs, of what h counted since prev (the upper
// bound of the bucket it falls in).
func quantile(h *metrics.Float64Histogram, prev []uint64, q float64) int64 {
	var n uint64
	for i, c := range h.Counts {
		n += c - prev[i]
	}
	if n == 0 {
		return 0
	}
	want := uint64(q * float64(n))
	if want >= n {
		want = n - 1
	}
	var seen uint64
	for i, c := range h.Counts {
		seen += c - prev[i]
		if seen > want {
			b := h.Buckets[i+1]
			if b > 1e6 {
				b = h.Buckets[i]
			}
			return int64(b * 1e6)
		}
	}
	return 0
}
