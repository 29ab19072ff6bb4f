package report_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/text/tipdm"
)

// BenchmarkSubmit is one public submission with encryption and a durable
// commit, submitters in parallel (group commit batches them).
func BenchmarkSubmit(b *testing.B) {
	for _, d := range storetest.Engines(b) {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			e := newEnv(&testing.T{}, db)
			e.r.Rules.PerDay = 0
			in := report.Input{Category: "work", UnitCode: "k1-court-xs", Subject: "压测", Content: strings.Repeat("群众反映的具体情况。", 40),
				Accused: []report.Accused{{Name: "某某", Post: "民警"}}, Reporter: &report.Identity{Name: "压测", Phone: "13800000000"}}
			b.SetParallelism(25) // 50 submitters on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.r.Submit(ctx, in, nil, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// lookupTarget submits a report with a follow-up and a file, so a look-up
// reads a timeline and a file name as a reporter's usually does.
func lookupTarget(b *testing.B, e *env) report.Receipt {
	rc, err := e.r.Submit(ctx, report.Input{Category: "work", UnitCode: "k1-court", Subject: "s", Content: "c"},
		[]report.Upload{{Name: "说明.txt", Data: []byte("情况说明")}}, "")
	if err != nil {
		b.Fatal(err)
	}
	v, err := e.r.Lookup(ctx, rc.Receipt, rc.Key)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.r.FollowUp(ctx, v, "补充材料", nil); err != nil {
		b.Fatal(err)
	}
	return rc
}

// BenchmarkLookup is a reporter's look-up by receipt and key (the argon2id
// hash of the key included), on both engines.
func BenchmarkLookup(b *testing.B) {
	for _, d := range storetest.Engines(b) {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			e := newEnv(&testing.T{}, db)
			rc := lookupTarget(b, e)
			b.ResetTimer()
			for range b.N {
				if _, err := e.r.Lookup(ctx, rc.Receipt, rc.Key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookupDuringIntake is the same look-up while 8 submitters keep
// the writer busy: a look-up reads only (and writes on a failure), so it
// should not queue behind the intake's commits.
func BenchmarkLookupDuringIntake(b *testing.B) {
	for _, d := range storetest.Engines(b) {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			e := newEnv(&testing.T{}, db)
			e.r.Rules.PerDay = 0
			rc := lookupTarget(b, e)
			in := report.Input{Category: "work", UnitCode: "k1-court-xs", Subject: "压测", Content: strings.Repeat("群众反映的具体情况。", 40)}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var submitted atomic.Int64
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := e.r.Submit(ctx, in, nil, ""); err != nil {
							b.Error(err)
							return
						}
						submitted.Add(1)
					}
				}()
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.r.Lookup(ctx, rc.Receipt, rc.Key); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(submitted.Load())/b.Elapsed().Seconds(), "submits/s")
		})
	}
}

// BenchmarkSimilar is a handler's "same matter?" look-up for a report
// (GET /api/v1/clues/{id}/similar): the newest 500 reports the handler may
// see are opened and compared with it (report.Similar), so the cost is
// bounded whatever the deployment holds. The 600 reports carry real
// citizen messages (TipDM attachment 3).
func BenchmarkSimilar(b *testing.B) {
	msgs, err := tipdm.Load(tipdm.TestDir, tipdm.Votes)
	if errors.Is(err, tipdm.ErrMissing) {
		b.Skipf("data set absent (%v): measured where /work/shared/data/tipdm2020c exists", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range storetest.Engines(b) {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			t := &testing.T{}
			e := newEnv(t, db)
			e.r.Rules.PerDay = 0
			var wg sync.WaitGroup
			var last atomic.Value
			for w := range 8 {
				wg.Go(func() {
					for i := w; i < 600; i += 8 {
						m := msgs[i%len(msgs)]
						rc, err := e.r.Submit(ctx, report.Input{Category: "work", UnitCode: "k1-court", Subject: m.Subject, Content: m.Body}, nil, "")
						if err != nil {
							b.Error(err)
							return
						}
						last.Store(rc.Number)
					}
				})
			}
			wg.Wait()
			jj := e.p(t, "jj-court")
			id, err := e.r.ByNumber(ctx, jj, last.Load().(string))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.r.Similar(ctx, jj, id, 5); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
