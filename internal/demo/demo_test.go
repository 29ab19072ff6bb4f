package demo_test

import (
	"context"
	"testing"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/demo"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestDemoLoads loads the whole demo and checks the ledger holds items in
// every state and light, with timelines, evidence and recurrences.
func TestDemoLoads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := demo.Load(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
		n, err := demo.LoadLedger(ctx, db, ledger.New(db, attach.New(t.TempDir())))
		if err != nil {
			t.Fatal(err)
		}
		if n < 200 {
			t.Fatalf("only %d items", n)
		}
		count := func(where string) int {
			var c int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems WHERE `+where).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		for _, s := range ledger.Statuses {
			if c := count("status = '" + string(s) + "'"); c == 0 {
				t.Errorf("no item is %s", s)
			}
		}
		for _, l := range ledger.Lights {
			if c := count("light = '" + l + "' AND status IN ('open', 'in_progress', 'reopened')"); c == 0 {
				t.Errorf("no active item is %s", l)
			}
		}
		for what, where := range map[string]string{
			"supervised":          "supervised_at IS NOT NULL",
			"with evidence":       "evidence_count > 0",
			"reopened by review":  "reopen_count > 0",
			"extension pending":   "ext_deadline IS NOT NULL",
			"extended":            "extensions > 0",
			"look-back passed":    "review_result = 'passed'",
			"look-back due":       "status = 'closed' AND review_result = '' AND review_due <= '" + calendarToday() + "'",
			"long-term mechanism": "mech_title <> ''",
		} {
			if count(where) == 0 {
				t.Errorf("no item %s", what)
			}
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDemoRatings loads the demo's reports and ratings and checks 差评 are in
// every stage.
func TestDemoRatings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, l := demoChannel(t, db)
		g := rating.New(db, l)
		n, err := demo.LoadRatings(ctx, db, r, l, g)
		if err != nil {
			t.Fatal(err)
		}
		if n < 30 {
			t.Fatalf("only %d ratings", n)
		}
		count := func(where string) int {
			var c int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings WHERE `+where).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		for what, where := range map[string]string{
			"paper":                   "channel = 'paper'",
			"phone":                   "channel = 'phone'",
			"changed":                 "changes > 0",
			"bad without a visit":     "level <= 2 AND visit_at IS NULL AND excluded = 0",
			"real-name without visit": "level <= 2 AND visit_at IS NULL AND real_name = 1",
			"bad with a visit":        "level <= 2 AND visit_at IS NOT NULL",
			"appeal pending":          "appeal_status = 'pending'",
			"appeal upheld":           "appeal_status = 'upheld' AND excluded = 1",
			"appeal rejected":         "appeal_status = 'rejected'",
			"item closed":             "problem_id IN (SELECT id FROM problems WHERE status = 'closed')",
			"item in progress":        "problem_id IN (SELECT id FROM problems WHERE status = 'in_progress')",
		} {
			if count(where) == 0 {
				t.Errorf("no rating %s", what)
			}
		}
		p := project.New(db, attach.New(t.TempDir()))
		if np, err := demo.LoadProjects(ctx, db, p, g); err != nil || np < 12 {
			t.Fatalf("projects %d: %v", np, err)
		}
		if nn, err := demo.LoadNeeds(ctx, db, p, g); err != nil || nn < 5 {
			t.Fatalf("needs %d: %v", nn, err)
		}
		var needStates, votes int
		db.Read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT status), SUM(votes) FROM needs`).Scan(&needStates, &votes)
		if needStates != len(project.NeedStatuses) || votes == 0 {
			t.Errorf("needs in %d states with %d votes", needStates, votes)
		}
		var statuses int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT status) FROM projects`).Scan(&statuses); err != nil || statuses != len(project.Statuses) {
			t.Errorf("projects in %d statuses: %v", statuses, err)
		}
		var kept, late int
		db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pledges WHERE kept_at IS NOT NULL AND evidence_id IS NOT NULL`).Scan(&kept)
		db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pledges WHERE kept_at IS NULL`).Scan(&late)
		if kept == 0 || late == 0 {
			t.Errorf("pledges: %d kept, %d not", kept, late)
		}
		if count("target_type = 'project'") == 0 {
			t.Error("no project ratings")
		}
		if c := count("level <= 2 AND problem_id IS NULL"); c != 0 {
			t.Errorf("%d bad ratings without an item", c)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDemoRouting loads the demo's routing history and checks the models
// trained on it suggest the right department for each lead waiting for its
// 分办, and correct the category of the one filed under a wrong one.
func TestDemoRouting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, l := demoChannel(t, db)
		n, err := demo.LoadRouting(ctx, db, r, l)
		if err != nil {
			t.Fatal(err)
		}
		ix := search.New(db, r, nil)
		res, err := ix.Train(ctx)
		if err != nil || res.Docs != n-3 || res.Units != 10 {
			t.Fatalf("train: %+v %v (%d filed)", res, err, n)
		}
		u, err := org.UserByUsername(ctx, db.Read, "discipline")
		if err != nil {
			t.Fatal(err)
		}
		jj, err := org.LoadPrincipal(ctx, db.Read, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read.QueryContext(ctx, `SELECT id FROM reports WHERE status = 'registered' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		want := []struct{ unit, category string }{{"mc-dc-fy-3", "inaction"}, {"mc-dc-ga-3", "work"}, {"mc-dc-sf-1", "commutation"}}
		if len(ids) != len(want) {
			t.Fatalf("%d leads wait for 分办, want %d", len(ids), len(want))
		}
		for i, id := range ids {
			sg, err := ix.Routing(ctx, jj, id)
			if err != nil || sg.UnitCode != want[i].unit || sg.Category != want[i].category {
				t.Errorf("lead %d: suggested %+v %v, want %+v", i, sg, err, want[i])
			}
		}
	})
}
