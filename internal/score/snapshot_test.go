package score_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/score"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func cardJSON(t *testing.T, v score.View) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Card     score.Card
		Siblings []score.Card
		History  []score.Card
	}{v.Card, v.Siblings, v.History})
	must(t, err)
	return string(b)
}

// TestSnapshotEqualsLive: the job's snapshot of an unpublished period gives
// every unit the card a live computation gives, says when it was computed,
// is refreshed when due, on request and after a formula change, and gives
// way to a publication.
func TestSnapshotEqualsLive(t *testing.T) {
	// the first snapshot of a period is written two cards a transaction
	defer score.SetFirstChunk(2)()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := tree(t, db)
		seed(t, db, ids)
		now := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)
		s := score.New(db)
		s.Clock = func() time.Time { return now }
		admin, insp, k1lead := principal(t, db, "admin"), principal(t, db, "inspector"), principal(t, db, "k1lead")
		codes := []string{"c", "k1", "k1-court", "k2", "k3"}

		// a new deployment: no snapshot yet, the cards are computed on read
		live := map[string]string{}
		for _, code := range codes {
			v, err := s.View(ctx, admin, code, "2026-Q3")
			must(t, err)
			if v.Snapshot != nil || v.Published != nil {
				t.Fatalf("%s: snapshot before any run", code)
			}
			live[code] = cardJSON(t, v)
		}
		done, err := s.RefreshSnapshots(ctx, false)
		must(t, err)
		want := []string{"2026-Q4", "2026-Q3", "2026-10", "2026-09", "2026", "2025"}
		if !slices.Equal(done, want) {
			t.Errorf("computed %v, want %v", done, want)
		}
		for _, code := range codes {
			v, err := s.View(ctx, admin, code, "2026-Q3")
			must(t, err)
			if v.Snapshot == nil || v.Snapshot.ComputedAt != now.UnixMilli() || v.Snapshot.Units != 5 || v.Snapshot.FormulaVersion != 1 {
				t.Fatalf("%s: snapshot %+v", code, v.Snapshot)
			}
			if got := cardJSON(t, v); got != live[code] {
				t.Errorf("%s: snapshot card differs from the live one\n got %s\nwant %s", code, got, live[code])
			}
		}
		// the snapshot equals ComputeAll, unit by unit
		all, err := score.ComputeAll(ctx, db.Read, score.QuarterOf(2026, 3), score.DefaultFormula(), nil)
		must(t, err)
		for _, c := range all {
			v, err := s.View(ctx, admin, c.UnitCode, "2026-Q3")
			must(t, err)
			if v.Card.Total != c.Total || v.Card.Inputs != c.Inputs || v.Card.Rank != c.Rank {
				t.Errorf("%s: view %+v, ComputeAll %+v", c.UnitCode, v.Card, c)
			}
		}
		// the readers' scope still holds
		if _, err := s.View(ctx, k1lead, "k2", "2026-Q3"); err != apperr.ErrNotFound {
			t.Errorf("neighbour's snapshot card: %v", err)
		}
		v, err := s.View(ctx, k1lead, "k1", "2026-Q3")
		must(t, err)
		if len(v.Siblings) != 1 || v.Card.Rank != 1 {
			t.Errorf("k1 leader: %d siblings, rank %d", len(v.Siblings), v.Card.Rank)
		}

		// new records: the snapshot shows the old figures until the job's next turn
		k3 := ids["k3"]
		_, err = st.AddItems(ctx, db.Write, st.Repeat(5, st.Item{UnitID: k3, Deadline: "2026-08-20", ClosedOn: "2026-08-18"}))
		must(t, err)
		v, err = s.View(ctx, admin, "k3", "2026-Q3")
		must(t, err)
		if v.Card.Inputs.Due != 1 {
			t.Errorf("k3 due %d before the refresh", v.Card.Inputs.Due)
		}
		done, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 0 {
			t.Errorf("recomputed %v before the interval", done)
		}
		now = now.Add(score.DefaultEvery)
		done, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 6 {
			t.Errorf("recomputed %v after the interval", done)
		}
		v, err = s.View(ctx, admin, "k3", "2026-Q3")
		must(t, err)
		if v.Card.Inputs.Due != 6 || v.Snapshot.ComputedAt != now.UnixMilli() {
			t.Errorf("k3 due %d after the refresh (computed %d)", v.Card.Inputs.Due, v.Snapshot.ComputedAt)
		}

		// recompute now: only who may publish; the job takes it at its next turn
		if err := s.RequestRecompute(ctx, k1lead); err != apperr.ErrForbidden {
			t.Errorf("leader asked for a recompute: %v", err)
		}
		now = now.Add(time.Minute)
		must(t, s.RequestRecompute(ctx, insp))
		v, err = s.View(ctx, admin, "k3", "2026-Q3")
		must(t, err)
		if v.Snapshot.RequestedAt != now.UnixMilli() {
			t.Errorf("pending request %d", v.Snapshot.RequestedAt)
		}
		done, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 6 {
			t.Errorf("recomputed %v on request", done)
		}
		v, err = s.View(ctx, admin, "k3", "2026-Q3")
		must(t, err)
		if v.Snapshot.RequestedAt != 0 {
			t.Errorf("request still pending after the run: %+v", v.Snapshot)
		}

		// a new formula: the unpublished snapshots are recomputed with it at once
		f := score.DefaultFormula()
		f.Weights[score.People], f.Weights[score.Closure] = 30, 35
		_, err = s.SetFormula(ctx, admin, f)
		must(t, err)
		v, err = s.View(ctx, admin, "k1", "2026-Q3")
		must(t, err)
		if v.Snapshot.FormulaVersion != 1 || v.FormulaVersion != 2 {
			t.Errorf("before the run: snapshot v%d, in force v%d", v.Snapshot.FormulaVersion, v.FormulaVersion)
		}
		done, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		if len(done) != 6 {
			t.Errorf("recomputed %v after the formula change", done)
		}
		v, err = s.View(ctx, admin, "k1", "2026-Q3")
		must(t, err)
		if v.Card.FormulaVersion != 2 || v.Snapshot.FormulaVersion != 2 {
			t.Errorf("after the run: card v%d", v.Card.FormulaVersion)
		}

		// publishing: the publication is read, the snapshot dropped at the next turn
		_, err = s.Publish(ctx, insp, "2026-Q3", false)
		must(t, err)
		v, err = s.View(ctx, admin, "k1", "2026-Q3")
		must(t, err)
		if v.Published == nil || v.Snapshot != nil {
			t.Errorf("published period read from the snapshot: %+v", v.Snapshot)
		}
		_, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		var n int
		must(t, db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM score_snapshots WHERE period = '2026-Q3'`).Scan(&n))
		if n != 0 {
			t.Errorf("%d snapshot cards kept for a published period", n)
		}
		// a formula change never rewrites the published card
		f.Weights[score.People], f.Weights[score.Closure] = 40, 25
		_, err = s.SetFormula(ctx, admin, f)
		must(t, err)
		_, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		v, err = s.View(ctx, admin, "k1", "2026-Q3")
		must(t, err)
		if v.Card.FormulaVersion != 2 || !v.Stale() {
			t.Errorf("published card rewritten: v%d", v.Card.FormulaVersion)
		}
		// the periods no longer maintained are dropped: a year later
		now = now.AddDate(1, 0, 0)
		_, err = s.RefreshSnapshots(ctx, false)
		must(t, err)
		must(t, db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM score_snapshot_runs WHERE period IN ('2026-Q4', '2026-10', '2025')`).Scan(&n))
		if n != 0 {
			t.Errorf("%d runs of old periods kept", n)
		}
		must(t, db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'score.recompute'`).Scan(&n))
		if n != 1 {
			t.Errorf("%d recompute audit entries", n)
		}
	})
}
