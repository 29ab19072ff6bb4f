package score_test

import (
	"context"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestSnapshotJobYields: the snapshot job makes way for requests between the
// statements of its computation (jobs.Yield), computes the same cards when
// paced while the server is busy, and on its next turn skips every period
// whose snapshot is still fresh: a restarted server recomputes nothing.
func TestSnapshotJobYields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := tree(t, db)
		seed(t, db, ids)
		now := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)
		s := score.New(db)
		s.Clock = func() time.Time { return now }
		admin := principal(t, db, "admin")
		live := map[string]string{}
		for _, code := range []string{"c", "k1", "k3"} {
			v, err := s.View(ctx, admin, code, "2026-Q3")
			must(t, err)
			live[code] = cardJSON(t, v)
		}
		// busy all along; a share of 1 makes every pause zero long
		pacer := &jobs.Pacer{Busy: func() bool { return true }, Share: 1}
		job := s.SnapshotJob(nil)
		run := func() int {
			pctx := jobs.WithPacer(context.Background(), pacer)
			must(t, job.Run(pctx))
			return jobs.Steps(pctx)
		}
		// 6 periods, each: the statements of the tree, the root, the
		// computation and the old digests
		if n := run(); n < 6*3 {
			t.Fatalf("the first run yielded %d times", n)
		}
		for code, want := range live {
			v, err := s.View(ctx, admin, code, "2026-Q3")
			must(t, err)
			if v.Snapshot == nil {
				t.Fatalf("%s: no snapshot after the paced run", code)
			}
			if got := cardJSON(t, v); got != want {
				t.Errorf("%s: paced snapshot differs from the live card\n got %s\nwant %s", code, got, want)
			}
		}
		// the next turn (a restart, or the next minute) finds every period fresh
		if n := run(); n != 0 {
			t.Errorf("the second run computed again (%d steps)", n)
		}
		now = now.Add(score.DefaultEvery)
		if n := run(); n == 0 {
			t.Error("nothing recomputed after the interval")
		}
	})
}
