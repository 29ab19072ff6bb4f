package project_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
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

func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	if e := apperr.As(err); e == nil || e.Key != key {
		t.Fatalf("error %v, want %s", err, key)
	}
}

func principal(t *testing.T, db *store.DB, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, db.Read, username)
	must(t, err)
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	must(t, err)
	return p
}

func pdf() *project.Upload {
	return &project.Upload{Name: "完工照片.pdf", R: strings.NewReader("%PDF-1.4 evidence")}
}

func TestProjectLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, u := range []org.UnitInput{
			{Code: "c", Name: "一市委政法委", Kind: "city"},
			{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c"},
			{Code: "k1-court", Name: "一县人民法院", Kind: "organ", ParentCode: "k1"},
			{Code: "k2", Name: "二县委政法委", Kind: "county", ParentCode: "c"},
		} {
			_, err := org.CreateUnit(ctx, db, setup, u)
			must(t, err)
		}
		for _, u := range []org.UserInput{
			{Username: "leader", Name: "赵院长", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "leader"}}},
			{Username: "clerk", Name: "钱办事员", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "handler"}}},
			{Username: "inspector", Name: "孙督察", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "inspector"}}},
			{Username: "other", Name: "李其他", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "handler"}}},
		} {
			u.Password = "pw-123456789"
			_, err := org.CreateUser(ctx, db, setup, u)
			must(t, err)
		}
		dir := t.TempDir()
		now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s := project.New(db, attach.New(dir))
		s.Clock = clock
		l := ledger.New(db, attach.New(dir))
		l.Clock = clock
		g := rating.New(db, l)
		g.Clock = clock
		clerk, leader, insp, other := principal(t, db, "clerk"), principal(t, db, "leader"), principal(t, db, "inspector"), principal(t, db, "other")

		in := project.Input{Title: "诉讼服务中心延时服务", Area: "worry", UnitCode: "k1-court", Leader: "leader", Handler: "clerk",
			Beneficiaries: "上班族当事人", Plan: "工作日延时至晚七点", Start: "2026-12-01", End: "2027-03-31", Public: true}
		bad := in
		bad.Area = "x"
		_, err := s.Create(ctx, clerk, bad)
		wantKey(t, err, "err.project.area")
		bad = in
		bad.End = "2026-11-01"
		_, err = s.Create(ctx, clerk, bad)
		wantKey(t, err, "err.project.end_before_start")
		bad = in
		bad.Handler = "other"
		_, err = s.Create(ctx, clerk, bad)
		wantKey(t, err, "err.project.person")
		_, err = s.Create(ctx, other, in)
		wantKey(t, err, "err.project.unit_code.unknown")

		pr, err := s.Create(ctx, clerk, in)
		must(t, err)
		if pr.Status != project.Proposed || pr.Number != "SS-2026-000001" || pr.Progress != 0 {
			t.Fatalf("created %+v", pr)
		}
		// not yet public while proposed; another county does not see it
		if _, err := s.PublicGet(ctx, pr.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("a proposal is public: %v", err)
		}
		if _, err := s.Get(ctx, other, pr.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("out of scope: %v", err)
		}
		// the handler cannot adopt; the leader can
		if _, err := s.Advance(ctx, clerk, pr.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("handler adopts: %v", err)
		}
		pr, err = s.Advance(ctx, leader, pr.ID)
		must(t, err)
		_, err = s.AddMilestone(ctx, clerk, pr.ID, project.MilestoneInput{Due: "2026-12-15", What: "制定方案", Weight: 0})
		wantKey(t, err, "err.project.weight")
		pr, err = s.AddMilestone(ctx, clerk, pr.ID, project.MilestoneInput{Due: "2026-12-15", What: "制定方案", Weight: 1})
		must(t, err)
		pr, err = s.AddMilestone(ctx, clerk, pr.ID, project.MilestoneInput{Due: "2027-01-15", What: "延时窗口开放", Weight: 3})
		must(t, err)
		pr, err = s.Advance(ctx, clerk, pr.ID)
		must(t, err)
		if pr.Status != project.InProgress || len(pr.Milestones) != 2 {
			t.Fatalf("started %+v", pr)
		}
		_, err = s.Advance(ctx, clerk, pr.ID)
		wantKey(t, err, "err.project.milestones_open")
		// done without evidence is refused
		_, err = s.MilestoneDone(ctx, clerk, pr.ID, pr.Milestones[0].ID, "已完成", nil)
		wantKey(t, err, "err.project.evidence.required")
		pr, err = s.MilestoneDone(ctx, clerk, pr.ID, pr.Milestones[0].ID, "方案已印发", pdf())
		must(t, err)
		if pr.Progress != 25 {
			t.Fatalf("progress %d", pr.Progress)
		}
		pr, err = s.MilestoneDone(ctx, clerk, pr.ID, pr.Milestones[1].ID, "", pdf())
		must(t, err)
		pr, err = s.Advance(ctx, clerk, pr.ID)
		must(t, err)
		if pr.Status != project.Done || pr.Progress != 100 {
			t.Fatalf("done %+v", pr)
		}
		checks := []project.Check{{Item: "quality", Score: 9, Comment: "服务规范"}, {Item: "effect", Score: 8, Comment: "群众反映好"}}
		_, err = s.Evaluate(ctx, insp, pr.ID, checks)
		wantKey(t, err, "err.project.no_rating")

		// a public rating: a genuine token rates once; a forged one never
		pub, err := s.PublicGet(ctx, pr.ID)
		must(t, err)
		tok, err := g.Token(ctx, pr.ID)
		must(t, err)
		forged := tok[:len(tok)-1] + "0"
		if forged == tok { // the last hex digit was 0 already
			forged = tok[:len(tok)-1] + "1"
		}
		_, err = g.RateProject(ctx, pub.RatingRef(), forged, "198.51.100.7", rating.Input{Level: 5})
		wantKey(t, err, "err.rating.token")
		_, err = g.RateProject(ctx, pub.RatingRef(), tok, "198.51.100.7", rating.Input{Level: 6})
		wantKey(t, err, "err.rating.level")
		_, err = g.RateProject(ctx, pub.RatingRef(), tok, "198.51.100.7", rating.Input{Level: 5, Comment: "方便"})
		must(t, err)
		_, err = g.RateProject(ctx, pub.RatingRef(), tok, "198.51.100.7", rating.Input{Level: 4})
		wantKey(t, err, "err.rating.token_used")
		f, err := g.ForProject(ctx, pr.ID)
		must(t, err)
		if f.Count != 1 || f.Average != 5 {
			t.Fatalf("figures %+v", f)
		}

		_, err = s.Evaluate(ctx, clerk, pr.ID, checks)
		if !errors.Is(err, apperr.ErrForbidden) {
			t.Fatalf("a clerk evaluates: %v", err)
		}
		_, err = s.Evaluate(ctx, insp, pr.ID, []project.Check{{Item: "quality", Score: 11, Comment: "x"}, {Item: "effect", Score: 8, Comment: "y"}})
		wantKey(t, err, "err.project.score")
		pr, err = s.Evaluate(ctx, insp, pr.ID, checks)
		must(t, err)
		if pr.Status != project.Evaluated || pr.EvaluatedBy != "孙督察" || len(pr.Evaluation) != 2 {
			t.Fatalf("evaluated %+v", pr)
		}
		list, total, err := s.PublicList(ctx, "k1", project.Filter{})
		must(t, err)
		if total != 1 || list[0].Progress != 100 {
			t.Fatalf("public list %d", total)
		}
		// a project that is not public is not on the public pages
		in.Public = false
		hidden, err := s.Create(ctx, clerk, in)
		must(t, err)
		_, err = s.Advance(ctx, leader, hidden.ID)
		must(t, err)
		if _, err := s.PublicGet(ctx, hidden.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("a non-public project is public: %v", err)
		}
		_, err = g.RateProject(ctx, hidden.RatingRef(), tok, "198.51.100.7", rating.Input{Level: 5})
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("rating a non-public project: %v", err)
		}
	})
}

func TestProgressAndNext(t *testing.T) {
	ms := []project.Milestone{{Weight: 2, DoneAt: 1, EvidenceID: 1}, {Weight: 1, DoneAt: 1}, {Weight: 1}}
	if p := project.Progress(ms); p != 50 {
		t.Fatalf("progress %d (a milestone without evidence does not count)", p)
	}
	if project.Progress(nil) != 0 {
		t.Fatal("no milestones")
	}
	for from, to := range map[project.Status]project.Status{project.Proposed: project.Adopted, project.Adopted: project.InProgress,
		project.InProgress: project.Done, project.Done: project.Evaluated} {
		if got, err := project.Next(from); err != nil || got != to {
			t.Errorf("%s → %s, %v", from, got, err)
		}
	}
	if _, err := project.Next(project.Evaluated); err == nil {
		t.Error("past evaluated")
	}
	if err := project.ValidateEvaluation([]project.Check{{Item: "quality", Score: 5, Comment: "a"}}); err == nil {
		t.Error("half a checklist")
	}
	if err := project.ValidateEvaluation([]project.Check{{Item: "quality", Score: 5, Comment: "a"}, {Item: "effect", Score: 5, Comment: " "}}); err == nil {
		t.Error("no comment")
	}
}

func TestPledges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, u := range []org.UnitInput{
			{Code: "c", Name: "一市委政法委", Kind: "city"},
			{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c"},
			{Code: "k2", Name: "二县委政法委", Kind: "county", ParentCode: "c"},
		} {
			_, err := org.CreateUnit(ctx, db, setup, u)
			must(t, err)
		}
		for _, u := range []org.UserInput{
			{Username: "clerk", Name: "钱办事员", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "handler"}}},
			{Username: "other", Name: "李其他", UnitCode: "k2", Roles: []org.RoleGrant{{Role: "handler"}}},
		} {
			u.Password = "pw-123456789"
			_, err := org.CreateUser(ctx, db, setup, u)
			must(t, err)
		}
		now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		s := project.New(db, attach.New(t.TempDir()))
		s.Clock = func() time.Time { return now }
		clerk, other := principal(t, db, "clerk"), principal(t, db, "other")
		_, err := s.Pledge(ctx, clerk, project.PledgeInput{UnitCode: "k1", Content: " ", Due: "2026-12-10"})
		wantKey(t, err, "err.project.content.required")
		_, err = s.Pledge(ctx, other, project.PledgeInput{UnitCode: "k1", Content: "一周内答复", Due: "2026-12-10"})
		wantKey(t, err, "err.project.unit_code.unknown")
		g, err := s.Pledge(ctx, clerk, project.PledgeInput{UnitCode: "k1", Content: "来信一周内答复", Due: "2026-12-10", Public: true})
		must(t, err)
		_, err = s.Pledge(ctx, clerk, project.PledgeInput{UnitCode: "k1", Content: "内部承诺", Due: "2026-12-10"})
		must(t, err)
		_, err = s.KeepPledge(ctx, clerk, g.ID, "已兑现", nil)
		wantKey(t, err, "err.project.evidence.required")
		if _, err := s.KeepPledge(ctx, other, g.ID, "x", pdf()); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("out of scope: %v", err)
		}
		now = now.AddDate(0, 0, 10)
		if list, _ := s.Pledges(ctx, clerk); len(list) != 2 || !list[0].Late {
			t.Fatalf("late %+v", list)
		}
		g, err = s.KeepPledge(ctx, clerk, g.ID, "全部按期答复", pdf())
		must(t, err)
		if g.KeptAt == 0 || g.EvidenceID == 0 || g.KeptBy != "钱办事员" || g.Late {
			t.Fatalf("kept %+v", g)
		}
		_, err = s.KeepPledge(ctx, clerk, g.ID, "again", pdf())
		wantKey(t, err, "err.project.pledge_kept")
		pub, err := s.PublicPledges(ctx, "k1")
		must(t, err)
		if len(pub) != 1 || pub[0].Content != "来信一周内答复" {
			t.Fatalf("public %+v", pub)
		}
		if list, _ := s.Pledges(ctx, other); len(list) != 0 {
			t.Fatalf("other sees %d", len(list))
		}
	})
}
