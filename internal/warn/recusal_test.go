package warn_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/warn"
)

// TestRecusalReachesWarnings: the 已查过 flag counts each handling unit's
// concluded leads. Leads naming a clerk of k1 (and of k2) must not move the
// flag the unit's leader reads, nor make one appear, computed now or read
// from the job's snapshot, while they count for the inspector. Before the
// fix the k1 leader saw [5 6 83] instead of [4 5 80], and the k2 leader a
// flag that was not there before.
func TestRecusalReachesWarnings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := world(t, db)
		for _, u := range []org.UserInput{
			{Username: "k2lead", Name: "钱书记", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "leader"}}},
			{Username: "clerk1", Name: "李干事", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "officer"}}},
			{Username: "clerk2", Name: "周干事", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "officer"}}},
		} {
			u.Password = "pw-123456789"
			_, err := org.CreateUser(ctx, db, setup, u)
			must(t, err)
		}
		w := warn.New(db)
		w.Clock = func() time.Time { return time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC) }
		insp, k1lead, k2lead := principal(t, db, "inspector"), principal(t, db, "k1lead"), principal(t, db, "k2lead")
		prior := func(p *org.Principal, unit string) string {
			t.Helper()
			flags, err := w.List(ctx, p, unit, "2026-Q3")
			must(t, err)
			i := slices.IndexFunc(flags, func(f warn.Flag) bool { return f.UnitCode == unit && f.Kind == warn.PriorDone })
			if i < 0 {
				return "none"
			}
			return fmt.Sprint(flags[i].Args)
		}
		if got := prior(k1lead, "k1"); got != "[4 5 80]" {
			t.Fatalf("k1 before: %s", got)
		}
		if got := prior(k2lead, "k2"); got != "none" {
			t.Fatalf("k2 before: %s", got)
		}
		// leads concluded as 已查过: one handled by k1 naming its clerk,
		// three by k2 naming its clerk
		name := func(unit, user string, n int) {
			t.Helper()
			must(t, st.AddReports(ctx, db.Write, st.Repeat(n, st.Report{UnitID: ids[unit], AckDue: "2026-07-03", AckedOn: "2026-07-02",
				ConcludedOn: "2026-08-20", Conclusion: "prior_handled"})))
			u, err := org.UserByUsername(ctx, db.Read, user)
			must(t, err)
			un, err := org.UnitByCode(ctx, db.Read, unit)
			must(t, err)
			_, err = db.Write.ExecContext(ctx, `INSERT INTO report_named (report_id, user_id, unit_path)
				SELECT r.id, $1, $2 FROM reports r WHERE r.handling_unit_id = $3 AND r.concluded_on = '2026-08-20'`, u.ID, un.Path, ids[unit])
			must(t, err)
		}
		name("k1", "clerk1", 1)
		name("k2", "clerk2", 3)
		check := func(stage string) {
			t.Helper()
			if got := prior(insp, "k1"); got != "[5 6 83]" {
				t.Errorf("%s: inspector's k1 flag %s", stage, got)
			}
			if got := prior(insp, "k2"); got != "[3 8 37]" {
				t.Errorf("%s: inspector's k2 flag %s", stage, got)
			}
			if got := prior(k1lead, "k1"); got != "[4 5 80]" {
				t.Errorf("%s: the k1 leader's flag moved to %s", stage, got)
			}
			if got := prior(k2lead, "k2"); got != "none" {
				t.Errorf("%s: the k2 leader sees a flag %s", stage, got)
			}
		}
		check("computed now")
		_, err := w.SnapshotPeriod(ctx, score.QuarterOf(2026, 3))
		must(t, err)
		check("snapshot")
	})
}
