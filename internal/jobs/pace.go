package jobs

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Background work shares the machine with the requests. A fresh server finds
// every snapshot due at once (the scorecards and warnings of every unit), and
// on a small machine those minutes of CPU would otherwise be taken from the
// first requests. Long jobs therefore call Yield between the steps of their
// work (one statement, one period); while requests are being served, Yield
// pauses the job so that it takes at most a share of the wall time, and while
// the server is idle it returns at once. The job still makes progress under
// any load, only more slowly.

// Activity tells whether requests are being served: the HTTP layer calls
// Begin and End around each request.
type Activity struct {
	inFlight atomic.Int64
	last     atomic.Int64 // unix nanoseconds of the last request's end
}

// Begin marks a request as started.
func (a *Activity) Begin() { a.inFlight.Add(1) }

// End marks a request as done.
func (a *Activity) End() {
	a.last.Store(time.Now().UnixNano())
	a.inFlight.Add(-1)
}

// busyLinger is how long the server counts as busy after its last request:
// between two requests of a closed-loop client nothing is in flight.
const busyLinger = time.Second

// Busy reports whether a request is in flight or ended within busyLinger.
func (a *Activity) Busy() bool {
	if a == nil {
		return false
	}
	return a.inFlight.Load() > 0 || time.Since(time.Unix(0, a.last.Load())) < busyLinger
}

// Pacer paces the long jobs of one runner.
type Pacer struct {
	// Busy reports whether requests are being served (nil: never busy).
	Busy func() bool
	// Share is the fraction of wall time a job may work while requests are
	// being served (0: DefaultShare).
	Share float64
	// MaxPause bounds one pause, so one long step cannot park a job for
	// long (0: DefaultMaxPause).
	MaxPause time.Duration

	// now and sleep are replaced by the tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Defaults of a Pacer: while busy a job works a fifth of the time, i.e. about
// a tenth of a two-core machine.
const (
	DefaultShare    = 0.2
	DefaultMaxPause = 5 * time.Second
)

func (p *Pacer) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

func (p *Pacer) pause(ctx context.Context, d time.Duration) error {
	if p.sleep != nil {
		return p.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pauseFor is the pause after a step of length worked while busy: the step
// and the pause together keep the job at Share of the wall time.
func (p *Pacer) pauseFor(worked time.Duration) time.Duration {
	share := p.Share
	if share <= 0 || share > 1 {
		share = DefaultShare
	}
	maxPause := p.MaxPause
	if maxPause <= 0 {
		maxPause = DefaultMaxPause
	}
	d := time.Duration(float64(worked) * (1 - share) / share)
	return min(max(d, 0), maxPause)
}

// pacing is one job run's state: when its current step began.
type pacing struct {
	p     *Pacer
	mu    sync.Mutex
	began time.Time
	steps int
}

type pacingKey struct{}

// WithPacer returns a context whose long jobs Yield to p. The runner sets it
// for every job it runs; tests and commands that call the work directly pass
// a plain context, and Yield never pauses.
func WithPacer(ctx context.Context, p *Pacer) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, pacingKey{}, &pacing{p: p, began: p.clock()})
}

// Yield ends a step of a long job: while requests are being served it pauses
// in proportion to the time the step took. It returns the context's error
// when the context ends during the pause. Never call it inside a
// transaction: a pause would hold the transaction (on SQLite, the one writer)
// open.
func Yield(ctx context.Context) error {
	pc, _ := ctx.Value(pacingKey{}).(*pacing)
	if pc == nil {
		return ctx.Err()
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.steps++
	if pc.p.Busy != nil && pc.p.Busy() {
		if d := pc.p.pauseFor(pc.p.clock().Sub(pc.began)); d > 0 {
			if err := pc.p.pause(ctx, d); err != nil {
				return err
			}
		}
	}
	pc.began = pc.p.clock()
	return ctx.Err()
}

// Steps reports how many times the job run of ctx has yielded (0 outside a
// paced run): for the tests of the jobs that yield.
func Steps(ctx context.Context) int {
	pc, _ := ctx.Value(pacingKey{}).(*pacing)
	if pc == nil {
		return 0
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.steps
}
