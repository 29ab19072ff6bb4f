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
