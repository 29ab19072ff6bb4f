// Package jobs runs scheduled work (session clean-up now; reminders,
// escalation and look-back reviews as they land). A job runs on one node at a
// time: a node claims a due job in the same UPDATE that checks it is due, and a
// claim expires, so a node that dies mid-run leaves the job to another.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/luoshi/luoshi/internal/metrics"
	"github.com/luoshi/luoshi/internal/store"
)

// Job is one kind of scheduled work.
type Job struct {
	Name  string
	Every time.Duration
	// Lease is how long a claim holds before another node may take the job over.
	Lease time.Duration
	Run   func(ctx context.Context) error
}

// Runner drives the jobs of one node.
type Runner struct {
	DB      *store.DB
	Jobs    []Job
	Log     *slog.Logger
	Metrics *metrics.Metrics
	Tick    time.Duration
	// Pacer, when set, paces the long jobs while requests are being served
	// (they call Yield between steps).
	Pacer *Pacer
	node  string
}

// NewRunner returns a runner with a random node name.
func NewRunner(db *store.DB, log *slog.Logger, m *metrics.Metrics, jobs ...Job) *Runner {
	b := make([]byte, 6)
	rand.Read(b)
	return &Runner{DB: db, Jobs: jobs, Log: log, Metrics: m, Tick: 30 * time.Second, node: hex.EncodeToString(b)}
}

// Start runs due jobs until ctx ends.
func (r *Runner) Start(ctx context.Context) {
	go func() {
		t := time.NewTicker(r.Tick)
		defer t.Stop()
		for {
			r.RunDue(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// RunDue claims and runs every job that is due now; it returns the names run.
func (r *Runner) RunDue(ctx context.Context) []string {
	var ran []string
	for _, j := range r.Jobs {
		if ctx.Err() != nil {
			return ran
		}
		ok, err := r.claim(ctx, j)
		if err != nil {
			r.Log.Warn("job claim", "job", j.Name, "err", err)
			continue
		}
		if !ok {
			continue
		}
		err = j.Run(WithPacer(ctx, r.Pacer))
		if r.Metrics != nil {
			r.Metrics.JobRun(j.Name, err)
		}
		msg := ""
		if err != nil {
			msg = err.Error()
			r.Log.Warn("job failed", "job", j.Name, "err", err)
		}
		now := store.Now()
		if _, err := r.DB.Write.ExecContext(ctx, `UPDATE jobs SET next_run_at = $1, claimed_by = NULL, claimed_until = NULL,
			last_run_at = $2, last_error = $3 WHERE name = $4 AND claimed_by = $5`,
			now+j.Every.Milliseconds(), now, msg, j.Name, r.node); err != nil {
			r.Log.Warn("job release", "job", j.Name, "err", err)
		}
		ran = append(ran, j.Name)
	}
	return ran
}

func (r *Runner) claim(ctx context.Context, j Job) (bool, error) {
	now := store.Now()
	if _, err := r.DB.Write.ExecContext(ctx, `INSERT INTO jobs (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		j.Name, now); err != nil {
		return false, err
	}
	lease := j.Lease
	if lease == 0 {
		lease = 10 * time.Minute
	}
	res, err := r.DB.Write.ExecContext(ctx, `UPDATE jobs SET claimed_by = $1, claimed_until = $2
		WHERE name = $3 AND next_run_at <= $4 AND (claimed_until IS NULL OR claimed_until < $4)`,
		r.node, now+lease.Milliseconds(), j.Name, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
