package warn_test

import (
	"context"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/warn"
)

// TestSnapshotJobYields: the warnings job makes way for requests between its
// statements (jobs.Yield), stores the same flags when paced, and skips the
// periods still fresh on its next turn.
func TestSnapshotJobYields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		world(t, db)
		now := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)
		w := warn.New(db)
		w.Clock = func() time.Time { return now }
		insp := principal(t, db, "inspector")
		live := map[string]string{}
		for _, code := range []string{"c", "k1", "k2"} {
			flags, _, err := w.ListSnapshot(ctx, insp, code, "2026-Q3")
			must(t, err)
			live[code] = flagsJSON(t, flags)
		}
		pacer := &jobs.Pacer{Busy: func() bool { return true }, Share: 1}
		job := w.SnapshotJob(nil)
		run := func() int {
			pctx := jobs.WithPacer(context.Background(), pacer)
			must(t, job.Run(pctx))
			return jobs.Steps(pctx)
		}
		if n := run(); n < 4*3 {
			t.Fatalf("the first run yielded %d times", n)
		}
		for code, want := range live {
			flags, sn, err := w.ListSnapshot(ctx, insp, code, "2026-Q3")
			must(t, err)
			if sn == nil {
				t.Fatalf("%s: no snapshot after the paced run", code)
			}
			if got := flagsJSON(t, flags); got != want {
				t.Errorf("%s: paced flags differ from the live ones\n got %s\nwant %s", code, got, want)
			}
		}
		if n := run(); n != 0 {
			t.Errorf("the second run computed again (%d steps)", n)
		}
	})
}
