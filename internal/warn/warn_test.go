package warn_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/warn"
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

func principal(t *testing.T, db *store.DB, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, db.Read, username)
	must(t, err)
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	must(t, err)
	return p
}

// honestNotes are progress notes about different matters, written by hand.
var honestNotes = []string{
	"已约谈涉事干警,责令书面检查,并对所办三起案件逐一复查。",
	"召开专题会议研究立案审查流程,修订窗口接待规范。",
	"走访申请人家属,听取对执行款发放进度的意见。",
	"调取2025年以来全部减刑案卷,发现两处审批签字不全,已补正。",
	"与律师协会建立沟通机制,明确会见预约办理时限为三个工作日。",
	"完成对辖区十二个派出所值班记录的抽查,问题已通报。",
	"组织全庭学习最高法关于审限管理的新规定并考试。",
	"对信访积案逐件明确包案领导,制定化解时间表。",
	"检察建议已送达县市场监管局,对方承诺月底前书面回复。",
	"更新看守所会见室监控设备,录像保存期限延长至九十天。",
}

// world builds c → k1 (gaming), k2 (honest), k3 (always late, by habit)
// with Q3 2026 records, and returns the unit ids.
func world(t *testing.T, db *store.DB) map[string]int64 {
	ids := map[string]int64{}
	for _, u := range []org.UnitInput{
		{Code: "c", Name: "一市委政法委", Kind: "city"},
		{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c"},
		{Code: "k2", Name: "二县委政法委", Kind: "county", ParentCode: "c"},
		{Code: "k3", Name: "三县委政法委", Kind: "county", ParentCode: "c"},
	} {
		got, err := org.CreateUnit(ctx, db, setup, u)
		must(t, err)
		ids[u.Code] = got.ID
	}
	for _, u := range []org.UserInput{
		{Username: "inspector", Name: "孙督察", UnitCode: "c", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "k1lead", Name: "赵书记", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "leader"}}},
	} {
		u.Password = "pw-123456789"
		_, err := org.CreateUser(ctx, db, setup, u)
		must(t, err)
	}
	q := db.Write
	k1, k2, k3 := ids["k1"], ids["k2"], ids["k3"]
	days := st.Days("2026-07-06", 12)
	var items []st.Item
	// k1, the quarter: 12 items closed the day before their deadline, four
	// with the same stock note, four closed on "已整改" without a file
	for i, d := range days {
		dl := addDays(d, 1)
		it := st.Item{UnitID: k1, Deadline: dl, ClosedOn: d, Evidence: 1, CloseNote: honestNotes[i%len(honestNotes)] + "(销号)"}
		if i >= 4 && i < 8 { // notes ten days before the deadline: inside the quarter
			it.Notes = []string{"正在积极推进,按计划落实整改措施,取得阶段性成效。"}
		}
		if i >= 8 {
			it.Evidence, it.CloseNote = 0, "已整改"
		}
		items = append(items, it)
	}
	// k1, the baseline (Q1–Q2): closures well ahead of the deadline
	for _, d := range st.Days("2026-03-02", 10) {
		items = append(items, st.Item{UnitID: k1, Deadline: addDays(d, 20), ClosedOn: d, Evidence: 1, CloseNote: "按期完成整改并经群众认可"})
	}
	// k1: two items reopened by 回头看 in the quarter
	items = append(items, st.Item{UnitID: k1, Deadline: "2026-10-30", Status: "reopened", Reopens: 1, ReopenedOn: "2026-08-30"},
		st.Item{UnitID: k1, Deadline: "2026-10-30", Status: "reopened", Reopens: 1, ReopenedOn: "2026-09-02"})
	// k2: closures ten days or more ahead, good notes, files
	for i, d := range days {
		items = append(items, st.Item{UnitID: k2, Deadline: addDays(d, 10+i), ClosedOn: d, Evidence: 2,
			CloseNote: honestNotes[(i+3)%len(honestNotes)], Notes: []string{honestNotes[i%len(honestNotes)]}})
	}
	items = append(items, st.Item{UnitID: k2, Deadline: "2026-10-30", Status: "reopened", Reopens: 1, ReopenedOn: "2026-09-01"})
	// k3: closes on the last day, in the quarter as before it: a habit, not a spike
	for _, d := range append(st.Days("2026-07-06", 10), st.Days("2026-04-06", 10)...) {
		items = append(items, st.Item{UnitID: k3, Deadline: d, ClosedOn: d, Evidence: 1, CloseNote: "整改完成,材料已归档备查"})
	}
	_, err := st.AddItems(ctx, q, items)
	must(t, err)

	// ratings: k1 satisfied 4 of 12; k2 11 of 12
	must(t, st.AddRatings(ctx, q, st.Join(
		st.Repeat(4, st.Rating{UnitID: k1, Level: 4, Day: "2026-08-01"}), st.Repeat(8, st.Rating{UnitID: k1, Level: 2, Day: "2026-08-02"}),
		st.Repeat(11, st.Rating{UnitID: k2, Level: 5, Day: "2026-08-01"}), st.Repeat(1, st.Rating{UnitID: k2, Level: 2, Day: "2026-08-02"}),
	)))
	// projects done: k1's rated poorly, k2's well
	p1, err := st.AddProject(ctx, q, k1, "done", nil)
	must(t, err)
	p2, err := st.AddProject(ctx, q, k2, "done", nil)
	must(t, err)
	must(t, st.AddRatings(ctx, q, st.Join(
		st.Repeat(3, st.Rating{UnitID: k1, Level: 1, Day: "2026-09-01", Target: "project", TargetID: p1}),
		st.Repeat(1, st.Rating{UnitID: k1, Level: 4, Day: "2026-09-01", Target: "project", TargetID: p1}),
		st.Repeat(4, st.Rating{UnitID: k2, Level: 5, Day: "2026-09-01", Target: "project", TargetID: p2}),
	)))
	// leads: k1 concludes 4 of 5 as 已查过; k2 none
	must(t, st.AddReports(ctx, q, st.Join(
		st.Repeat(4, st.Report{UnitID: k1, AckDue: "2026-07-03", AckedOn: "2026-07-02", ConcludedOn: "2026-08-10", Conclusion: "prior_handled"}),
		st.Repeat(1, st.Report{UnitID: k1, AckDue: "2026-07-03", AckedOn: "2026-07-02", ConcludedOn: "2026-08-10", Conclusion: "true"}),
		st.Repeat(5, st.Report{UnitID: k2, AckDue: "2026-07-03", AckedOn: "2026-07-02", ConcludedOn: "2026-08-10", Conclusion: "true"}),
	)))
	return ids
}

func addDays(d string, n int) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

func kindsOf(flags []warn.Flag, unit string) []string {
	var out []string
	for _, f := range flags {
		if f.UnitCode == unit {
			out = append(out, f.Kind)
		}
	}
	return out
}

func TestFlagsOnKnownGaming(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		world(t, db)
		w := warn.New(db)
		w.Clock = func() time.Time { return time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC) }
		insp := principal(t, db, "inspector")
		flags, err := w.List(ctx, insp, "c", "2026-Q3")
		must(t, err)
		// every kind but copied study reflections (TestStudyCopyFlag)
		ledgerKinds := slices.DeleteFunc(slices.Clone(warn.Kinds), func(k string) bool { return k == warn.StudyCopy })
		if got := kindsOf(flags, "k1"); !slices.Equal(got, ledgerKinds) {
			t.Errorf("k1 (gaming) flags %v, want %v", got, ledgerKinds)
		}
		for _, u := range []string{"k2", "k3", "c"} {
			if got := kindsOf(flags, u); len(got) != 0 {
				for _, f := range flags {
					if f.UnitCode == u {
						t.Errorf("%s (honest) flagged %s: %v %v", u, f.Kind, f.Args, f.Evidence)
					}
				}
			}
		}
		for _, f := range flags {
			switch f.Kind {
			case warn.Bunching:
				if fmt.Sprint(f.Args[:3]) != "[12 12 100]" || len(f.Evidence) != 12 {
					t.Errorf("bunching %v, %d evidence", f.Args, len(f.Evidence))
				}
			case warn.Boilerplate:
				if len(f.Evidence) != 4 || f.Evidence[0].Note == "" {
					t.Errorf("boilerplate evidence %v", f.Evidence)
				}
			case warn.ThinClosure:
				if f.Args[0] != 4 {
					t.Errorf("thin %v", f.Args)
				}
			case warn.Reopened:
				if len(f.Evidence) != 2 || f.Evidence[0].Link == "" {
					t.Errorf("reopened evidence %v", f.Evidence)
				}
			}
		}
		// an unreadable subtree is not found
		k1lead := principal(t, db, "k1lead")
		if _, err := w.List(ctx, k1lead, "c", "2026-Q3"); err != apperr.ErrNotFound {
			t.Errorf("leader read the city's flags: %v", err)
		}
		// stricter thresholds silence a flag: they are settings
		th := warn.DefaultThresholds()
		th.ReopenMin = 3
		if err := w.SetThresholds(ctx, insp, th); err != apperr.ErrForbidden {
			t.Errorf("inspector changed the thresholds: %v", err)
		}
		must(t, w.SetThresholds(ctx, setup, th))
		flags, err = w.List(ctx, insp, "k1", "2026-Q3")
		must(t, err)
		if slices.Contains(kindsOf(flags, "k1"), warn.Reopened) {
			t.Error("reopened flagged under a minimum of 3")
		}
	})
}

func TestDismissKeepsReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		world(t, db)
		w := warn.New(db)
		insp, k1lead := principal(t, db, "inspector"), principal(t, db, "k1lead")
		if err := w.Dismiss(ctx, k1lead, "k1", "2026-Q3", warn.Bunching, "2026-Q3", "集中销号系专项行动统一部署所致"); err != apperr.ErrForbidden {
			t.Errorf("the unit dismissed its own flag: %v", err)
		}
		if e := apperr.As(w.Dismiss(ctx, insp, "k1", "2026-Q3", warn.Bunching, "2026-Q3", "无")); e == nil || e.Key != "err.warn.reason" {
			t.Errorf("dismissed without a reason: %v", e)
		}
		if err := w.Dismiss(ctx, insp, "k2", "2026-Q3", warn.Bunching, "2026-Q3", "集中销号系专项行动统一部署所致"); err != apperr.ErrNotFound {
			t.Errorf("dismissed a flag that is not raised: %v", err)
		}
		reason := "集中销号系专项行动统一部署所致,已核实"
		must(t, w.Dismiss(ctx, insp, "k1", "2026-Q3", warn.Bunching, "2026-Q3", reason))
		if e := apperr.As(w.Dismiss(ctx, insp, "k1", "2026-Q3", warn.Bunching, "2026-Q3", reason)); e == nil || e.Kind != apperr.Conflict {
			t.Errorf("dismissed twice: %v", e)
		}
		flags, err := w.List(ctx, insp, "c", "2026-Q3")
		must(t, err)
		for _, f := range flags {
			if f.UnitCode == "k1" && f.Kind == warn.Bunching {
				if f.Dismissed == nil || f.Dismissed.Reason != reason || f.Dismissed.By != "inspector" {
					t.Errorf("dismissal %+v", f.Dismissed)
				}
			} else if f.Dismissed != nil {
				t.Errorf("%s %s dismissed too", f.UnitCode, f.Kind)
			}
		}
		var n int
		must(t, db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'warn.dismiss'`).Scan(&n))
		if n != 1 {
			t.Errorf("%d audit entries", n)
		}
	})
}
