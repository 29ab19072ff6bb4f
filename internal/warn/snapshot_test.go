package warn_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/score"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/warn"
)

func flagsJSON(t *testing.T, flags []warn.Flag) string {
	t.Helper()
	var out []string
	for _, f := range flags {
		b, err := json.Marshal(f)
		must(t, err)
		out = append(out, string(b)+fmt.Sprintf(" %d %#v", f.UnitID, f.Args))
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// TestSnapshotFlags: the job's flags equal the live ones for every subtree,
// a dismissal shows at once, new records show at the job's next turn, and
// changed thresholds make the job recompute.
func TestSnapshotFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := world(t, db)
		now := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)
		w := warn.New(db)
		w.Clock = func() time.Time { return now }
		insp, k1lead := principal(t, db, "inspector"), principal(t, db, "k1lead")

		live := map[string]string{}
		for _, code := range []string{"c", "k1", "k2"} {
			flags, sn, err := w.ListSnapshot(ctx, insp, code, "2026-Q3")
			must(t, err)
			if sn != nil {
				t.Fatal("snapshot before any run")
			}
			live[code] = flagsJSON(t, flags)
		}
		done, err := w.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 4 {
			t.Errorf("computed %v", done)
		}
		for _, code := range []string{"c", "k1", "k2"} {
			flags, sn, err := w.ListSnapshot(ctx, insp, code, "2026-Q3")
			must(t, err)
			if sn == nil || sn.ComputedAt != now.UnixMilli() || sn.Stale {
				t.Fatalf("%s: snapshot %+v", code, sn)
			}
			if got := flagsJSON(t, flags); got != live[code] {
				t.Errorf("%s: snapshot flags differ from the live ones\n got %s\nwant %s", code, got, live[code])
			}
		}
		if _, _, err := w.ListSnapshot(ctx, k1lead, "c", "2026-Q3"); err != apperr.ErrNotFound {
			t.Errorf("leader read the city's flags: %v", err)
		}

		// a dismissal shows at once, without a recompute
		reason := "集中销号系专项行动统一部署所致,已核实"
		must(t, w.Dismiss(ctx, insp, "k1", "2026-Q3", warn.Bunching, "2026-Q3", reason))
		flags, err := w.List(ctx, insp, "c", "2026-Q3")
		must(t, err)
		i := slices.IndexFunc(flags, func(f warn.Flag) bool { return f.UnitCode == "k1" && f.Kind == warn.Bunching })
		if i < 0 || flags[i].Dismissed == nil || flags[i].Dismissed.Reason != reason {
			t.Errorf("dismissal not shown at once: %v", flags)
		}
		if err := w.Dismiss(ctx, insp, "k2", "2026-Q3", warn.Reopened, "2026-Q3", reason); err != apperr.ErrNotFound {
			t.Errorf("dismissed a flag the snapshot does not hold: %v", err)
		}

		// a second item of k2 reopened: flagged at the job's turn after the interval
		_, err = st.AddItems(ctx, db.Write, []st.Item{{UnitID: ids["k2"], Deadline: "2026-10-30", Status: "reopened", Reopens: 1, ReopenedOn: "2026-09-03"}})
		must(t, err)
		if flags, _ = w.List(ctx, insp, "k2", "2026-Q3"); slices.Contains(kindsOf(flags, "k2"), warn.Reopened) {
			t.Error("new records shown before the refresh")
		}
		done, err = w.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 0 {
			t.Errorf("recomputed %v before the interval", done)
		}
		now = now.Add(score.DefaultEvery)
		_, err = w.RefreshSnapshots(ctx, false)
		must(t, err)
		flags, sn, err := w.ListSnapshot(ctx, insp, "k2", "2026-Q3")
		must(t, err)
		if !slices.Contains(kindsOf(flags, "k2"), warn.Reopened) || sn.ComputedAt != now.UnixMilli() {
			t.Errorf("k2 after the refresh: %v (%+v)", kindsOf(flags, "k2"), sn)
		}
		// the dismissal survives the recompute
		flags, err = w.List(ctx, insp, "k1", "2026-Q3")
		must(t, err)
		if i := slices.IndexFunc(flags, func(f warn.Flag) bool { return f.Kind == warn.Bunching }); i < 0 || flags[i].Dismissed == nil {
			t.Error("dismissal lost in the recompute")
		}

		// recompute now: requested, then taken at the next turn
		if err := w.RequestRecompute(ctx, k1lead); err != apperr.ErrForbidden {
			t.Errorf("leader asked for a recompute: %v", err)
		}
		now = now.Add(time.Minute)
		must(t, w.RequestRecompute(ctx, setup))
		if _, sn, _ = w.ListSnapshot(ctx, insp, "k2", "2026-Q3"); sn.RequestedAt != now.UnixMilli() {
			t.Errorf("request not pending: %+v", sn)
		}
		if done, _ = w.RefreshSnapshots(ctx, false); len(done) != 4 {
			t.Errorf("recomputed %v on request", done)
		}

		// stricter thresholds: the snapshot says it is stale, the next turn recomputes
		th := warn.DefaultThresholds()
		th.ReopenMin = 3
		must(t, w.SetThresholds(ctx, setup, th))
		flags, sn, err = w.ListSnapshot(ctx, insp, "k1", "2026-Q3")
		must(t, err)
		if !sn.Stale || !slices.Contains(kindsOf(flags, "k1"), warn.Reopened) {
			t.Errorf("before the run: stale %v, %v", sn.Stale, kindsOf(flags, "k1"))
		}
		done, err = w.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 4 {
			t.Errorf("recomputed %v after the thresholds changed", done)
		}
		flags, sn, err = w.ListSnapshot(ctx, insp, "k1", "2026-Q3")
		must(t, err)
		if sn.Stale || slices.Contains(kindsOf(flags, "k1"), warn.Reopened) {
			t.Errorf("after the run: stale %v, %v", sn.Stale, kindsOf(flags, "k1"))
		}
	})
}
