package rating_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/vault"
)

func init() { org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1} }

var ctx = context.Background()

var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

type env struct {
	db    *store.DB
	rep   *report.Reports
	l     *ledger.Ledger
	g     *rating.Ratings
	clock time.Time
}

func (e *env) p(t *testing.T, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, e.db.Read, username)
	must(t, err)
	p, err := org.LoadPrincipal(ctx, e.db.Read, u.ID)
	must(t, err)
	return p
}

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

// k1 一县委政法委 ── k1-court 一县人民法院
//
//	└── k1-ga 一县公安局
func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	for _, u := range []org.UnitInput{
		{Code: "k1", Name: "一县委政法委", Kind: "county"},
		{Code: "k1-court", Name: "一县人民法院", Kind: "organ", ParentCode: "k1"},
		{Code: "k1-ga", Name: "一县公安局", Kind: "organ", ParentCode: "k1"},
	} {
		if _, err := org.CreateUnit(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []org.UserInput{
		{Username: "jj", Name: "纪检甲", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "leader", Name: "赵院长", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "leader"}}},
		{Username: "clerk", Name: "钱办事员", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "handler"}}},
		{Username: "inspector", Name: "孙督察", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "ga", Name: "李公安", UnitCode: "k1-ga", Roles: []org.RoleGrant{{Role: "handler"}}},
	} {
		u.Password = "pw-123456789"
		if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	v, err := vault.LoadKey(dir, "")
	must(t, err)
	e := &env{db: db, clock: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)} // a Tuesday, 10:00 in China
	clock := func() time.Time { return e.clock }
	e.rep = report.New(db, filepath.Join(dir, "attachments"), report.VaultSealer{V: v},
		func(name string, data []byte) (report.CleanFile, error) {
			return report.CleanFile{Name: name, MIME: "application/pdf", Data: data}, nil
		})
	e.rep.Clock = clock
	e.l = ledger.New(db, attach.New(filepath.Join(dir, "attachments")))
	e.l.Clock = clock
	e.g = rating.New(db, e.l)
	e.g.Clock = clock
	return e
}

// report submits a report on the court, concluded unless open is set.
func (e *env) report(t *testing.T, realName, conclude bool) (report.Receipt, *report.View) {
	t.Helper()
	in := report.Input{Category: "work", UnitCode: "k1-court", Subject: "立案难", Content: "立案窗口多次推诿"}
	if realName {
		in.Reporter = &report.Identity{Name: "周群众", Phone: "13800138000"}
	}
	rc, err := e.rep.Submit(ctx, in, nil, "")
	must(t, err)
	if conclude {
		jj := e.p(t, "jj")
		id, err := e.rep.ByNumber(ctx, jj, rc.Number)
		must(t, err)
		must(t, e.rep.Register(ctx, jj, id, "受理"))
		must(t, e.rep.SetMethod(ctx, jj, id, "verify", "初核"))
		must(t, e.rep.Record(ctx, jj, id, "调查记录", nil))
		must(t, e.rep.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "untrue", Note: "经核实不属实"}))
	}
	v, err := e.rep.Lookup(ctx, rc.Receipt, rc.Key)
	must(t, err)
	return rc, v
}

func TestRateReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, open := e.report(t, false, false)
		wantKey(t, func() error { _, err := e.g.RateReport(ctx, open.Ref(), rating.Input{Level: 5}); return err }(), "err.rating.not_concluded")

		rc, v := e.report(t, true, true)
		for _, lv := range []int{0, 6, -1} {
			_, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: lv})
			wantKey(t, err, "err.rating.level")
		}
		_, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 4, Dimensions: rating.Dimensions{Attitude: 7}})
		wantKey(t, err, "err.rating.dimension")
		_, err = e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 4, Comment: strings.Repeat("好", rating.MaxComment+1)})
		wantKey(t, err, "err.rating.comment.too_long")
		if g, _ := e.g.ForReport(ctx, v.Ref()); g != nil {
			t.Fatal("a refused rating was stored")
		}

		g, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 4, Comment: " 还行 ", Dimensions: rating.Dimensions{Efficiency: 4}})
		must(t, err)
		if g.Level != 4 || g.Bad || g.ProblemID != 0 || g.Channel != rating.Online || !g.RealName || g.Comment != "还行" ||
			!strings.HasPrefix(g.Number, "PJ-2026-") || g.TargetRef != rc.Number {
			t.Fatalf("rating %+v", g)
		}
		// changed to a 差评 within 7 days: the same rating, and a ledger item at once
		e.clock = e.clock.Add(6 * 24 * time.Hour)
		g2, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 2, Comment: "推诿"})
		must(t, err)
		if g2.ID != g.ID || g2.Changes != 1 || g2.ProblemID == 0 || !g2.Bad {
			t.Fatalf("changed %+v", g2)
		}
		pr, err := e.l.Get(ctx, e.p(t, "inspector"), g2.ProblemID)
		must(t, err)
		cal, err := calendar.Load(ctx, db)
		must(t, err)
		want := calendar.FormatDay(cal.AddWorkdays(calendar.Today(e.clock), rating.BadDeadlineDays))
		if pr.Source != "rating" || pr.OriginType != "rating" || pr.OriginRef != g.Number || pr.UnitCode != "k1-court" ||
			pr.Responsible != "leader" || pr.Deadline != want || pr.Status != ledger.Open {
			t.Fatalf("item %+v (deadline want %s)", pr, want)
		}
		// changed back to 满意 the same day: the item stays, and may close without a 回访
		g4, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 4})
		must(t, err)
		if g4.ProblemID != g2.ProblemID || g4.Bad {
			t.Fatalf("changed back %+v", g4)
		}
		_, err = e.l.RequestClose(ctx, e.p(t, "leader"), g4.ProblemID, ledger.CloseInput{Note: "评价人已改为满意",
			Files: []ledger.Upload{{Name: "说明.pdf", R: strings.NewReader("%PDF-1.4 说明")}}})
		must(t, err)
		_, err = e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 2, Comment: "推诿"})
		must(t, err)
		// past 7 days: refused with the day of the first rating, nothing changes
		e.clock = e.clock.Add(2 * 24 * time.Hour)
		_, err = e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 5})
		wantKey(t, err, "err.rating.window_closed")
		if g3, _ := e.g.ForReport(ctx, v.Ref()); g3.Level != 2 || e.g.Changeable(g3) {
			t.Fatalf("after refusal %+v", g3)
		}
		// the trail names the public, with the levels, and never the comment
		entries, err := audit.List(ctx, db, audit.Filter{ObjectType: "rating"})
		must(t, err)
		if len(entries) != 4 || entries[0].Actor != "public" {
			t.Fatalf("audit %+v", entries)
		}
		for _, en := range entries {
			if strings.Contains(fmt.Sprint(en.Detail), "推诿") {
				t.Fatalf("comment in the trail: %v", en.Detail)
			}
		}
	})
}

func TestBadRatingNeedsVisitBeforeClosing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, v := e.report(t, true, true)
		g, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 1, Comment: "态度恶劣"})
		must(t, err)
		leader, clerk, insp := e.p(t, "leader"), e.p(t, "clerk"), e.p(t, "inspector")
		pdf := func() []ledger.Upload {
			return []ledger.Upload{{Name: "整改.pdf", R: strings.NewReader("%PDF-1.4 整改报告")}}
		}
		m, err := e.g.Metrics(ctx, insp, rating.Filter{})
		must(t, err)
		if m.Counted != 1 || m.Visited.Num != 0 || m.RealGap != 1 || m.Rectified.Den != 1 || m.Rectified.Num != 0 {
			t.Fatalf("metrics before %+v", m)
		}
		_, err = e.l.RequestClose(ctx, leader, g.ProblemID, ledger.CloseInput{Note: "已整改", Files: pdf()})
		wantKey(t, err, "err.rating.visit_required")

		// the visit needs all three parts; outside the unit the rating does not exist
		_, err = e.g.RecordVisit(ctx, clerk, g.ID, rating.Visit{Contact: "电话", Said: "不满意"})
		wantKey(t, err, "err.rating.reply.required")
		_, err = e.g.RecordVisit(ctx, e.p(t, "ga"), g.ID, rating.Visit{Contact: "电话", Said: "x", Reply: "y"})
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("outside the unit: %v", err)
		}
		g, err = e.g.RecordVisit(ctx, clerk, g.ID, rating.Visit{Contact: "12月2日电话联系", Said: "窗口态度差", Reply: "已批评教育并整改"})
		must(t, err)
		if g.Visit == nil || g.Visit.By != "钱办事员" || g.Visit.Reply != "已批评教育并整改" {
			t.Fatalf("visit %+v", g.Visit)
		}
		_, err = e.l.RequestClose(ctx, leader, g.ProblemID, ledger.CloseInput{Note: "已整改", Files: pdf()})
		must(t, err)
		_, err = e.l.Verify(ctx, insp, g.ProblemID, true, "")
		must(t, err)
		m, err = e.g.Metrics(ctx, insp, rating.Filter{})
		must(t, err)
		if m.Rectified.Num != 1 || m.Visited.Rate != 1 || m.RealGap != 0 || m.Satisfaction.Rate != 0 || m.Average != 1 {
			t.Fatalf("metrics after %+v", m)
		}
		// the reporter sees the reply
		got, err := e.g.ForReport(ctx, v.Ref())
		must(t, err)
		if got.Visit == nil || got.Visit.Reply != "已批评教育并整改" {
			t.Fatalf("reporter's view %+v", got)
		}
		// a good rating has no visit
		_, v2 := e.report(t, false, true)
		g2, err := e.g.RateReport(ctx, v2.Ref(), rating.Input{Level: 5})
		must(t, err)
		_, err = e.g.RecordVisit(ctx, clerk, g2.ID, rating.Visit{Contact: "a", Said: "b", Reply: "c"})
		wantKey(t, err, "err.rating.visit_not_bad")
	})
}

func TestAppeal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, v := e.report(t, false, true)
		g, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 1})
		must(t, err)
		_, v2 := e.report(t, false, true)
		_, err = e.g.RateReport(ctx, v2.Ref(), rating.Input{Level: 5})
		must(t, err)
		clerk, leader, insp := e.p(t, "clerk"), e.p(t, "leader"), e.p(t, "inspector")

		_, err = e.g.DecideAppeal(ctx, insp, g.ID, true, "无申诉")
		wantKey(t, err, "err.rating.appeal_none")
		_, err = e.g.RequestAppeal(ctx, clerk, g.ID, " ")
		wantKey(t, err, "err.rating.reason.required")
		g, err = e.g.RequestAppeal(ctx, clerk, g.ID, "评价人与本案无关,系恶意评价")
		must(t, err)
		if g.Appeal == nil || g.Appeal.Status != rating.AppealPending {
			t.Fatalf("appeal %+v", g.Appeal)
		}
		_, err = e.g.RequestAppeal(ctx, clerk, g.ID, "再次申诉")
		wantKey(t, err, "err.rating.appeal_exists")
		_, err = e.g.DecideAppeal(ctx, leader, g.ID, true, "同意")
		wantKey(t, err, "err.rating.decide_role")
		_, err = e.g.DecideAppeal(ctx, insp, g.ID, true, "")
		wantKey(t, err, "err.rating.note.required")
		g, err = e.g.DecideAppeal(ctx, insp, g.ID, true, "经核查系恶意评价")
		must(t, err)
		if !g.Excluded || g.Appeal.Status != rating.AppealUpheld || g.Appeal.DecidedBy != "孙督察" {
			t.Fatalf("decided %+v", g)
		}
		// excluded from the figures, still listed
		m, err := e.g.Metrics(ctx, insp, rating.Filter{})
		must(t, err)
		if m.Counted != 1 || m.Excluded != 1 || m.Satisfaction.Rate != 1 || m.Rectified.Den != 0 {
			t.Fatalf("metrics %+v", m)
		}
		list, total, err := e.g.List(ctx, insp, rating.Filter{Bad: true})
		must(t, err)
		if total != 1 || list[0].ID != g.ID {
			t.Fatalf("bad list %d %+v", total, list)
		}
		// an excluded rating no longer holds its item's closing
		_, err = e.l.RequestClose(ctx, leader, g.ProblemID, ledger.CloseInput{Note: "申诉成立",
			Files: []ledger.Upload{{Name: "说明.pdf", R: strings.NewReader("%PDF-1.4 说明")}}})
		must(t, err)
		// an inspector cannot decide an appeal they made
		_, v3 := e.report(t, false, true)
		g3, err := e.g.RateReport(ctx, v3.Ref(), rating.Input{Level: 2})
		must(t, err)
		_, err = e.g.RequestAppeal(ctx, insp, g3.ID, "错误评价")
		must(t, err)
		_, err = e.g.DecideAppeal(ctx, insp, g3.ID, false, "驳回")
		wantKey(t, err, "err.rating.appeal_own")
		entries, err := audit.List(ctx, db, audit.Filter{ObjectType: "rating", ObjectID: g.Number})
		must(t, err)
		var actions []string
		for _, en := range entries {
			actions = append(actions, en.Action)
		}
		if !strings.Contains(strings.Join(actions, ","), "rating.appeal_decide") || !strings.Contains(strings.Join(actions, ","), "rating.appeal") {
			t.Fatalf("audit %v", actions)
		}
	})
}

func TestStaffRecordAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		rc, v := e.report(t, false, true)
		clerk, ga, insp := e.p(t, "clerk"), e.p(t, "ga"), e.p(t, "inspector")
		_, err := e.g.Record(ctx, clerk, rc.Receipt, "email", rating.Input{Level: 3})
		wantKey(t, err, "err.rating.channel")
		_, err = e.g.Record(ctx, ga, rc.Receipt, rating.Phone, rating.Input{Level: 3})
		wantKey(t, err, "err.rating.receipt")
		_, err = e.g.Record(ctx, clerk, "000000000000", rating.Phone, rating.Input{Level: 3})
		wantKey(t, err, "err.rating.receipt")
		g, err := e.g.Record(ctx, clerk, report.FormatReceipt(rc.Receipt), rating.Phone, rating.Input{Level: 3})
		must(t, err)
		if g.Channel != rating.Phone || g.RecordedBy != "钱办事员" {
			t.Fatalf("recorded %+v", g)
		}
		// the reporter, online, changes it within the window: one rating per receipt
		g2, err := e.g.RateReport(ctx, v.Ref(), rating.Input{Level: 5})
		must(t, err)
		if g2.ID != g.ID || g2.Channel != rating.Online || g2.RecordedBy != "" {
			t.Fatalf("changed %+v", g2)
		}
		if _, err := e.g.Get(ctx, ga, g.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("outside the unit: %v", err)
		}
		list, total, err := e.g.List(ctx, ga, rating.Filter{})
		must(t, err)
		if total != 0 || len(list) != 0 {
			t.Fatalf("ga sees %d", total)
		}
		_, _, err = e.g.List(ctx, ga, rating.Filter{Unit: "k1-court"})
		wantKey(t, err, "err.rating.unit")
		list, total, err = e.g.List(ctx, insp, rating.Filter{Unit: "k1", Level: 5,
			From: calendar.FormatDay(calendar.Today(e.clock)), To: calendar.FormatDay(calendar.Today(e.clock))})
		must(t, err)
		if total != 1 || list[0].UnitCode != "k1-court" {
			t.Fatalf("inspector sees %d %+v", total, list)
		}
		_, total, err = e.g.List(ctx, insp, rating.Filter{From: "2027-01-01"})
		must(t, err)
		if total != 0 {
			t.Fatalf("period filter: %d", total)
		}
	})
}
