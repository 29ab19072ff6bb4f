package score_test

import (
	"context"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/score"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func init() { org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1} }

var ctx = context.Background()

var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tree builds c → k1 (→ k1-court), k2, k3 and returns the unit ids by code.
func tree(t *testing.T, db *store.DB) map[string]int64 {
	ids := map[string]int64{}
	for _, u := range []org.UnitInput{
		{Code: "c", Name: "一市委政法委", Kind: "city"},
		{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c"},
		{Code: "k1-court", Name: "一县人民法院", Kind: "organ", ParentCode: "k1"},
		{Code: "k2", Name: "二县委政法委", Kind: "county", ParentCode: "c"},
		{Code: "k3", Name: "三县委政法委", Kind: "county", ParentCode: "c"},
	} {
		got, err := org.CreateUnit(ctx, db, setup, u)
		must(t, err)
		ids[u.Code] = got.ID
	}
	for _, u := range []org.UserInput{
		{Username: "admin", Name: "管理员", UnitCode: "c", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "inspector", Name: "孙督察", UnitCode: "c", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "k1lead", Name: "赵书记", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "leader"}}},
		{Username: "k2lead", Name: "钱书记", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "leader"}}},
	} {
		u.Password = "pw-123456789"
		_, err := org.CreateUser(ctx, db, setup, u)
		must(t, err)
	}
	return ids
}

func principal(t *testing.T, db *store.DB, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, db.Read, username)
	must(t, err)
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	must(t, err)
	return p
}

// seed writes Q3 2026 records: k1 (through its court) does honest work, k2
// closes a lot but late or only to see it reopened, k3 has almost nothing.
func seed(t *testing.T, db *store.DB, ids map[string]int64) {
	q := db.Write
	court, k2, k3 := ids["k1-court"], ids["k2"], ids["k3"]
	// k1-court: 6 items due, 5 closed on time, 1 open; 1 long-term closed with a mechanism
	_, err := st.AddItems(ctx, q, st.Join(
		st.Repeat(4, st.Item{UnitID: court, Deadline: "2026-08-20", ClosedOn: "2026-08-10"}),
		[]st.Item{{UnitID: court, Deadline: "2026-09-30", ClosedOn: "2026-09-01", Class: "longterm", Mech: true},
			{UnitID: court, Deadline: "2026-09-15", Status: "in_progress"},
			{UnitID: court, Deadline: "2026-10-15", ClosedOn: "2026-10-01"}, // due in Q4: not counted
			{UnitID: court, Deadline: "2026-08-15", Status: "draft"}},       // drafts never count
	))
	must(t, err)
	// k2: 6 items due, all closed, but 2 late and 2 reopened by 回头看
	_, err = st.AddItems(ctx, q, st.Join(
		st.Repeat(2, st.Item{UnitID: k2, Deadline: "2026-08-20", ClosedOn: "2026-08-19"}),
		st.Repeat(2, st.Item{UnitID: k2, Deadline: "2026-08-20", ClosedOn: "2026-08-25"}),
		st.Repeat(2, st.Item{UnitID: k2, Deadline: "2026-08-20", ClosedOn: "2026-08-18", Reopens: 1}),
	))
	must(t, err)
	_, err = st.AddItems(ctx, q, []st.Item{{UnitID: k3, Deadline: "2026-08-20", ClosedOn: "2026-08-18"}})
	must(t, err)
	// ratings: the court 11 satisfied, 1 bad whose item is closed; k2 7 satisfied, 5 bad, none rectified
	bad, err := st.AddItems(ctx, q, []st.Item{{UnitID: court, Deadline: "2026-10-20", ClosedOn: "2026-10-10", Source: "rating"}})
	must(t, err)
	must(t, st.AddRatings(ctx, q, st.Join(
		st.Repeat(11, st.Rating{UnitID: court, Level: 5, Day: "2026-08-01"}),
		[]st.Rating{{UnitID: court, Level: 1, Day: "2026-08-02", ProblemID: bad[0]},
			{UnitID: court, Level: 1, Day: "2026-08-03", Excluded: true}, // appeal upheld: not counted
			{UnitID: court, Level: 5, Day: "2026-06-30"}},                // Q2
		st.Repeat(7, st.Rating{UnitID: k2, Level: 4, Day: "2026-07-10"}),
		st.Repeat(5, st.Rating{UnitID: k2, Level: 2, Day: "2026-07-11"}),
	)))
	// reports handled by k1: 5 acknowledgements due, 4 in time; 1 real-name feedback in time
	must(t, st.AddReports(ctx, q, st.Join(
		st.Repeat(4, st.Report{UnitID: ids["k1"], AckDue: "2026-07-10", AckedOn: "2026-07-10"}),
		[]st.Report{{UnitID: ids["k1"], AckDue: "2026-07-10", AckedOn: "2026-07-11",
			ConcludeDue: "2026-09-01", ConcludedOn: "2026-08-30", RealName: true, FeedbackDue: "2026-09-10", FeedbackOn: "2026-09-09"}},
	)))
	// a project of the court: 3 milestones due in Q3, 2 met
	_, err = st.AddProject(ctx, q, court, "in_progress", []st.Milestone{{Due: "2026-07-15", DoneOn: "2026-07-14"},
		{Due: "2026-08-15", DoneOn: "2026-08-15"}, {Due: "2026-09-15", DoneOn: "2026-09-20"}})
	must(t, err)
}

func TestTreeInputs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := tree(t, db)
		seed(t, db, ids)
		c, _ := org.UnitByCode(ctx, db.Read, "c")
		cards, err := score.ComputeTree(ctx, db.Read, c.Path, score.QuarterOf(2026, 3), score.DefaultFormula(), nil)
		must(t, err)
		by := map[string]score.Card{}
		for _, cd := range cards {
			by[cd.UnitCode] = cd
		}
		k1 := by["k1"].Inputs
		want := score.Inputs{Rated: 12, Satisfied: 11, Bad: 1, BadRectified: 1,
			Due: 6, Closed: 5, ClosedOK: 5, LongDue: 1, LongClosed: 1,
			AckDue: 5, AckMet: 4, ConcludeDue: 1, ConcludeMet: 1, FeedbackDue: 1, FeedbackMet: 1,
			Milestones: 3, MilestonesMet: 2}
		if k1 != want {
			t.Errorf("k1 inputs\n got %+v\nwant %+v", k1, want)
		}
		if by["k1-court"].Inputs.Due != 6 || by["k1-court"].Inputs.AckDue != 0 {
			t.Errorf("court inputs %+v", by["k1-court"].Inputs)
		}
		k2 := by["k2"].Inputs
		if k2.Due != 6 || k2.Closed != 6 || k2.ClosedOK != 2 || k2.ClosedLat != 2 || k2.Reopened != 2 || k2.Rated != 12 || k2.Bad != 5 {
			t.Errorf("k2 inputs %+v", k2)
		}
		// the city sums its counties
		if got := by["c"].Inputs; got.Due != 13 || got.Rated != 24 {
			t.Errorf("city inputs %+v", got)
		}
		// study: no data, so 样本不足 everywhere
		if p := by["k1"].Part(score.Study); p.Enough {
			t.Error("study counted without data")
		}
		// k1 beats k2 although k2 closed more; k3 rests on too little to be ranked
		if by["k1"].Rank != 1 || by["k2"].Rank != 2 || by["k1"].Of != 2 || by["k3"].Rank != 0 || by["k3"].Ranked {
			t.Errorf("ranks k1 %d/%d k2 %d k3 %d (%v)", by["k1"].Rank, by["k1"].Of, by["k2"].Rank, by["k3"].Rank, by["k3"].Ranked)
		}
		if p := by["k3"].Part(score.Closure); p.Enough || p.Sample != 1 {
			t.Errorf("k3 closure %+v", p)
		}
	})
}

func TestStudyHook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := tree(t, db)
		c, _ := org.UnitByCode(ctx, db.Read, "c")
		hook := func(_ context.Context, root string, from, to time.Time) (map[int64]score.StudyCount, error) {
			if root != c.Path || from.Format(time.DateOnly) != "2026-07-01" {
				t.Errorf("hook asked %s %v", root, from)
			}
			return map[int64]score.StudyCount{ids["k1-court"]: {Due: 8, Done: 8, Original: 4}}, nil
		}
		cards, err := score.ComputeTree(ctx, db.Read, c.Path, score.QuarterOf(2026, 3), score.DefaultFormula(), hook)
		must(t, err)
		for _, cd := range cards {
			p := cd.Part(score.Study)
			if (cd.UnitCode == "k1" || cd.UnitCode == "k1-court" || cd.UnitCode == "c") != p.Enough {
				t.Errorf("%s study %+v", cd.UnitCode, p)
			}
			if cd.UnitCode == "k1" && p.Score != 75 {
				t.Errorf("k1 study score %v", p.Score)
			}
		}
	})
}

func TestPublishAndFormula(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := tree(t, db)
		seed(t, db, ids)
		s := score.New(db)
		s.Clock = func() time.Time { return time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC) }
		admin, insp, k1lead, k2lead := principal(t, db, "admin"), principal(t, db, "inspector"), principal(t, db, "k1lead"), principal(t, db, "k2lead")

		// reading: the county leader sees their own card, not the neighbour's
		v, err := s.View(ctx, k1lead, "k1", "2026-Q3")
		must(t, err)
		if v.Published != nil || v.Card.Rank != 1 || v.Card.Of != 2 || v.Card.FormulaVersion != 1 || len(v.History) != score.HistoryLen {
			t.Fatalf("view %+v", v.Card)
		}
		if len(v.Siblings) != 1 {
			t.Errorf("k1 leader sees %d sibling cards", len(v.Siblings))
		}
		if _, err := s.View(ctx, k1lead, "k2", "2026-Q3"); err != apperr.ErrNotFound {
			t.Errorf("neighbour's card: %v", err)
		}
		if _, err := s.View(ctx, k2lead, "c", "2026-Q3"); err != apperr.ErrNotFound {
			t.Errorf("parent's card: %v", err)
		}

		// publishing: leaders may not; the inspector over the tree may; twice needs republish
		if _, err := s.Publish(ctx, k1lead, "2026-Q3", false); err != apperr.ErrForbidden {
			t.Errorf("leader published: %v", err)
		}
		pub, err := s.Publish(ctx, insp, "2026-Q3", false)
		must(t, err)
		if pub.Units != 5 || pub.FormulaVersion != 1 || pub.Revision != 1 {
			t.Errorf("publication %+v", pub)
		}
		if _, err := s.Publish(ctx, insp, "2026-Q3", false); apperr.As(err) == nil || apperr.As(err).Key != "err.score.published" {
			t.Errorf("second publish: %v", err)
		}
		if _, err := s.Publish(ctx, insp, "2026-Q4", false); apperr.As(err) != nil {
			t.Errorf("current quarter: %v", err)
		}
		if _, err := s.Publish(ctx, insp, "2027-Q1", false); apperr.As(err) == nil {
			t.Error("future quarter published")
		}

		// a new formula: only the root admin; the published card keeps version 1
		f := score.DefaultFormula()
		f.Weights[score.People], f.Weights[score.Closure] = 30, 35
		f.Note = "加重整改质量"
		if _, err := s.SetFormula(ctx, insp, f); err != apperr.ErrForbidden {
			t.Errorf("inspector changed the formula: %v", err)
		}
		f2, err := s.SetFormula(ctx, admin, f)
		must(t, err)
		if f2.Version != 2 {
			t.Errorf("version %d", f2.Version)
		}
		v, err = s.View(ctx, k1lead, "k1", "2026-Q3")
		must(t, err)
		if v.Published == nil || v.Card.FormulaVersion != 1 || v.FormulaVersion != 2 || !v.Stale() {
			t.Errorf("after formula change: card v%d, in force v%d, published %v", v.Card.FormulaVersion, v.FormulaVersion, v.Published)
		}
		old := v.Card.Total
		pub, err = s.Publish(ctx, insp, "2026-Q3", true)
		must(t, err)
		if pub.Revision != 2 || pub.FormulaVersion != 2 {
			t.Errorf("republication %+v", pub)
		}
		v, err = s.View(ctx, k1lead, "k1", "2026-Q3")
		must(t, err)
		if v.Card.FormulaVersion != 2 || v.Stale() || v.Card.Total == old {
			t.Errorf("after republish: v%d total %v (was %v)", v.Card.FormulaVersion, v.Card.Total, old)
		}
		// every change is in the audit trail
		var n int
		must(t, db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('score.publish', 'score.republish', 'score.formula')`).Scan(&n))
		if n != 4 {
			t.Errorf("%d audit entries", n)
		}
	})
}
