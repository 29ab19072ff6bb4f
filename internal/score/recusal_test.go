package score_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestRecusalReachesScorecards: a lead naming someone in k1 (a clerk of the
// county court) must not move any figure on any card the county's leader
// reads, before or after publishing, while it counts for everyone else.
// Before the fix the leader's 按期受理 sample went from 5 to 6.
func TestRecusalReachesScorecards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := tree(t, db)
		seed(t, db, ids)
		_, err := org.CreateUser(ctx, db, setup, org.UserInput{Username: "clerk", Name: "李书记员", UnitCode: "k1-court",
			Password: "pw-123456789", Roles: []org.RoleGrant{{Role: "handler"}}})
		must(t, err)
		s := score.New(db)
		s.Clock = func() time.Time { return time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC) }
		k1lead, insp, clerk := principal(t, db, "k1lead"), principal(t, db, "inspector"), principal(t, db, "clerk")

		view := func(p *org.Principal, code string) score.View {
			t.Helper()
			v, err := s.View(ctx, p, code, "2026-Q3")
			must(t, err)
			return v
		}
		before := view(k1lead, "k1")
		beforeInsp := view(insp, "k1")

		// the lead: handled by k1, acknowledged late, naming the clerk
		must(t, st.AddReports(ctx, db.Write, []st.Report{{UnitID: ids["k1"], AckDue: "2026-08-10", AckedOn: "2026-08-12"}}))
		var rid int64
		must(t, db.Write.QueryRowContext(ctx, `SELECT MAX(id) FROM reports`).Scan(&rid))
		court, err := org.UnitByCode(ctx, db.Read, "k1-court")
		must(t, err)
		_, err = db.Write.ExecContext(ctx, `INSERT INTO report_named (report_id, user_id, unit_path) VALUES ($1, $2, $3)`,
			rid, clerk.UserID, court.Path)
		must(t, err)

		same := func(stage string, a, b score.View) {
			t.Helper()
			if !reflect.DeepEqual(a.Card, b.Card) {
				t.Errorf("%s: the leader's card moved\n was %+v\n now %+v", stage, a.Card.Inputs, b.Card.Inputs)
			}
			if !reflect.DeepEqual(a.Siblings, b.Siblings) || !reflect.DeepEqual(a.History, b.History) {
				t.Errorf("%s: the leader's siblings or history moved", stage)
			}
		}
		same("computed now", before, view(k1lead, "k1"))
		// everyone else sees it: the inspector's sample grows and the rate drops
		if got := view(insp, "k1").Card.Inputs; got.AckDue != beforeInsp.Card.Inputs.AckDue+1 || got.AckMet != beforeInsp.Card.Inputs.AckMet {
			t.Errorf("inspector: %+v", got)
		}
		// the parent's card, which the inspector reads, counts it too
		if got := view(insp, "c").Card.Inputs.AckDue; got != 6 {
			t.Errorf("city AckDue %d", got)
		}

		// from the job's snapshot and from a publication alike
		_, err = s.SnapshotPeriod(ctx, score.QuarterOf(2026, 3))
		must(t, err)
		same("snapshot", before, view(k1lead, "k1"))
		_, err = s.Publish(ctx, insp, "2026-Q3", false)
		must(t, err)
		after := view(k1lead, "k1")
		if after.Published == nil {
			t.Fatal("not published")
		}
		same("published", before, after)
		if got := view(insp, "k1").Card.Inputs.AckDue; got != 6 {
			t.Errorf("published, inspector AckDue %d", got)
		}
	})
}
