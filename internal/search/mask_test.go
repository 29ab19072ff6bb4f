package search_test

import (
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/notify"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestPublicMasking: what the public sees of outcomes and projects, and what
// notifications carry out of the system, has personal data masked; the
// staff's view keeps it.
func TestPublicMasking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		jj := e.p(t, "jj-court")
		in := report.Input{Category: "interfere", UnitCode: "k1-court-xs", Subject: "干预案件", Content: "孙法官打招呼",
			Accused: []report.Accused{{Name: "孙法官", Post: "法官"}}, Reporter: &report.Identity{Name: "周群众", Phone: "13900001111"}}
		rc, err := e.r.Submit(ctx, in, nil, "203.0.113.9")
		if err != nil {
			t.Fatal(err)
		}
		id, err := e.r.ByNumber(ctx, jj, rc.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []func() error{
			func() error { return e.r.Register(ctx, jj, id, "受理") },
			func() error { return e.r.SetMethod(ctx, jj, id, "verify", "初核") },
			func() error { return e.r.Record(ctx, jj, id, "笔录", nil) },
			func() error {
				return e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "untrue", Note: "不属实",
					PublicOutcome: "经核查,周群众反映孙法官的问题不属实,已电话13900001111告知,邮箱zhou@example.com"})
			},
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		fig, err := e.r.PublicFigures(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fig.Outcomes) != 1 {
			t.Fatalf("outcomes %+v", fig.Outcomes)
		}
		got := fig.Outcomes[0].Text
		for _, leak := range []string{"周群众", "孙法官", "13900001111", "zhou@"} {
			if strings.Contains(got, leak) {
				t.Errorf("public outcome %q shows %q", got, leak)
			}
		}
		if !strings.Contains(got, "周*众") || !strings.Contains(got, "139****1111") {
			t.Errorf("public outcome %q", got)
		}
		l, err := e.r.Get(ctx, jj, id) // staff see it whole
		if err != nil || !strings.Contains(l.PublicOutcome, "13900001111") {
			t.Fatalf("staff view %q %v", l.PublicOutcome, err)
		}

		// a public project
		now := time.Now().UnixMilli()
		var pid int64
		if err := db.Write.QueryRowContext(ctx, `INSERT INTO projects (number, title, area, unit_id, leader_id, handler_id, plan,
			beneficiaries, start_on, end_on, public, status, created_by, created_at, updated_at)
			VALUES ('SS-2026-000001', '法律援助', '增民利', $1, $3, $3, '咨询电话 0731-8888 6666,联系人手机138 0013 8000', '身份证11010519491231002X的老人',
			'2026-01-01', '2026-12-31', 1, 'adopted', $3, $2, $2) RETURNING id`, unitID(t, db, "k1"), now, e.p(t, "inspector").UserID).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		ps := project.New(db, nil)
		pr, err := ps.PublicGet(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := ps.PublicList(ctx, "", project.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("public list %v %v", list, err)
		}
		for _, s := range []string{pr.Plan, pr.Beneficiaries, list[0].Plan, list[0].Beneficiaries} {
			for _, leak := range []string{"8888 6666", "0013 8000", "11010519491231002X"} {
				if strings.Contains(s, leak) {
					t.Errorf("public project text %q shows %q", s, leak)
				}
			}
		}

		// a notification leaving the system
		r := notify.Render(notify.Message{Person: "纪检甲", Title: "待办", Lines: []notify.Line{{Text: "WT-2026-000001 群众13900001111反映噪音"}}}, "https://x", "")
		for _, s := range []string{r.Text, r.Markdown, r.HTML} {
			if strings.Contains(s, "13900001111") || !strings.Contains(s, "WT-2026-000001") {
				t.Errorf("notification %q", s)
			}
		}
	})
}
