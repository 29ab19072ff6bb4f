package jobs

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestDueJobRunsOnceAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var runs atomic.Int32
		job := Job{Name: "count", Every: time.Hour, Run: func(context.Context) error { runs.Add(1); return nil }}
		a := NewRunner(db, slog.New(slog.DiscardHandler), nil, job)
		b := NewRunner(db, slog.New(slog.DiscardHandler), nil, job)
		ctx := context.Background()
		a.RunDue(ctx)
		b.RunDue(ctx)
		a.RunDue(ctx)
		if runs.Load() != 1 {
			t.Fatalf("ran %d times, want once", runs.Load())
		}
		// a node that died holding an expired claim does not block the job
		db.Write.Exec(`UPDATE jobs SET next_run_at = 0, claimed_by = 'dead', claimed_until = 1`)
		b.RunDue(ctx)
		if runs.Load() != 2 {
			t.Fatalf("expired claim not taken over: %d runs", runs.Load())
		}
		// a live claim blocks the others
		db.Write.Exec(`UPDATE jobs SET next_run_at = 0, claimed_by = 'alive', claimed_until = $1`, store.Now()+60000)
		a.RunDue(ctx)
		if runs.Load() != 2 {
			t.Fatalf("live claim ignored: %d runs", runs.Load())
		}
	})
}

// fakeClock is a pacer's clock and sleep: every step takes a second of fake
// time, and the pauses are recorded instead of slept.
type fakeClock struct {
	t      time.Time
	pauses []time.Duration
}

func (c *fakeClock) pacer(busy *atomic.Bool) *Pacer {
	return &Pacer{Busy: busy.Load, Share: 0.25, MaxPause: 10 * time.Second,
		now: func() time.Time { return c.t },
		sleep: func(ctx context.Context, d time.Duration) error {
			c.pauses = append(c.pauses, d)
			c.t = c.t.Add(d)
			return ctx.Err()
		}}
}

func TestYieldPausesOnlyWhileBusy(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_000_000, 0)}
	var busy atomic.Bool
	ctx := WithPacer(context.Background(), c.pacer(&busy))
	step := func(d time.Duration) {
		c.t = c.t.Add(d) // the work
		if err := Yield(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step(time.Second) // idle: no pause
	if len(c.pauses) != 0 {
		t.Fatalf("paused while idle: %v", c.pauses)
	}
	busy.Store(true)
	step(time.Second) // busy: a 1 s step at a quarter share pauses 3 s
	step(time.Minute) // a long step pauses MaxPause at most
	busy.Store(false)
	step(time.Second)
	want := []time.Duration{3 * time.Second, 10 * time.Second}
	if len(c.pauses) != len(want) || c.pauses[0] != want[0] || c.pauses[1] != want[1] {
		t.Fatalf("pauses %v, want %v", c.pauses, want)
	}
	if n := Steps(ctx); n != 4 {
		t.Fatalf("%d steps, want 4", n)
	}
	// without a pacer (a test, a command) Yield never pauses
	plain := context.Background()
	if err := Yield(plain); err != nil || Steps(plain) != 0 {
		t.Fatalf("plain context: %v, %d steps", err, Steps(plain))
	}
	// a job stopped during a pause stops at once
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	busy.Store(true)
	if err := Yield(WithPacer(cctx, c.pacer(&busy))); err == nil {
		t.Fatal("Yield on an ended context returned nil")
	}
}

func TestRunnerPacesItsJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := &fakeClock{t: time.Unix(1_000_000, 0)}
		var busy atomic.Bool
		busy.Store(true)
		steps := 0
		job := Job{Name: "paced", Every: time.Hour, Run: func(ctx context.Context) error {
			for range 3 {
				c.t = c.t.Add(time.Second)
				if err := Yield(ctx); err != nil {
					return err
				}
			}
			steps = Steps(ctx)
			return nil
		}}
		r := NewRunner(db, slog.New(slog.DiscardHandler), nil, job)
		r.Pacer = c.pacer(&busy)
		if ran := r.RunDue(context.Background()); len(ran) != 1 {
			t.Fatalf("ran %v", ran)
		}
		if steps != 3 || len(c.pauses) != 3 {
			t.Fatalf("%d steps, pauses %v: the runner did not pace the job", steps, c.pauses)
		}
	})
}

func TestActivity(t *testing.T) {
	var a Activity
	if a.Busy() {
		t.Fatal("a new server is busy")
	}
	a.Begin()
	if !a.Busy() {
		t.Fatal("a request in flight is not busy")
	}
	a.End()
	a.last.Store(time.Now().Add(-time.Hour).UnixNano())
	if a.Busy() {
		t.Fatal("busy an hour after the last request")
	}
	var none *Activity
	if none.Busy() {
		t.Fatal("nil activity is busy")
	}
}
