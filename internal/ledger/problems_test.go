package ledger_test

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestMain(m *testing.M) {
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	os.Exit(m.Run())
}

var ctx = context.Background()

// fixture is a small tree with the people a ledger needs:
//
//	p 省 (inspector p-insp, leader p-lead)
//	├── c 市 (leader c-lead, deputy c-dep, handler c-hand, inspector c-insp)
//	│   └── c-k 县 (officer c-k-off, handler c-k-hand)
//	└── d 市 (handler d-hand)
type fixture struct {
	db  *store.DB
	l   *ledger.Ledger
	now time.Time
	p   map[string]*org.Principal
}

func setup(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	sys := org.SystemPrincipal()
	f := &fixture{db: db, p: map[string]*org.Principal{},
		now: time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)} // Monday 10:00 in Beijing
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, u := range []org.UnitInput{
			{Code: "p", Name: "青禾省委政法委", Kind: "province"},
			{Code: "c", Name: "明川市委政法委", Kind: "city", ParentCode: "p"},
			{Code: "c-k", Name: "东城区委政法委", Kind: "county", ParentCode: "c"},
			{Code: "d", Name: "云岭市委政法委", Kind: "city", ParentCode: "p"},
		} {
			if _, err := org.CreateUnitTx(ctx, tx, sys, u); err != nil {
				return err
			}
		}
		for _, u := range []struct {
			name, unit string
			role       org.Role
		}{
			{"p-insp", "p", org.RoleInspector}, {"p-lead", "p", org.RoleLeader},
			{"c-lead", "c", org.RoleLeader}, {"c-dep", "c", org.RoleDeputy}, {"c-hand", "c", org.RoleHandler},
			{"c-insp", "c", org.RoleInspector}, {"c-k-off", "c-k", org.RoleOfficer}, {"c-k-hand", "c-k", org.RoleHandler},
			{"d-hand", "d", org.RoleHandler},
		} {
			if _, err := org.CreateUserTx(ctx, tx, nil, org.UserInput{Username: u.name, Name: "测试" + u.name, UnitCode: u.unit,
				Roles: []org.RoleGrant{{Role: string(u.role)}}, Password: "correct-horse-9"}, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"p-insp", "p-lead", "c-lead", "c-dep", "c-hand", "c-insp", "c-k-off", "c-k-hand", "d-hand"} {
		u, err := org.UserByUsername(ctx, db.Read, n)
		if err != nil {
			t.Fatal(err)
		}
		p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.p[n] = p
	}
	f.l = ledger.New(db, attach.New(t.TempDir()))
	f.l.Clock = func() time.Time { return f.now }
	return f
}

func (f *fixture) input() ledger.Input {
	return ledger.Input{Title: "执行案件超期未结", Description: "2025 年以来 12 件执行案件超审限", Source: "inspection",
		Class: ledger.ClassDeadline, UnitCode: "c-k", Responsible: "c-k-off", Measures: "逐案清理,每周通报",
		Deadline: "2026-11-30", Tags: []string{ledger.BuiltinTags[4]}}
}

func pngFile(t *testing.T) ledger.Upload {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return ledger.Upload{Name: "整改照片.png", R: &b}
}

func wantErr(t *testing.T, err error, key string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Key != key {
		t.Fatalf("got %v, want %s", err, key)
	}
}

func TestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		hand, off, insp, cinsp := f.p["c-hand"], f.p["c-k-off"], f.p["p-insp"], f.p["c-insp"]

		pr, err := f.l.Create(ctx, hand, f.input())
		if err != nil {
			t.Fatal(err)
		}
		if pr.Number != "WT-2026-000001" || pr.Status != ledger.Open || pr.Light != ledger.Green || len(pr.Tags) != 1 {
			t.Fatalf("created %+v", pr)
		}
		// an officer holds no ledger role but reads and works on his own item
		if _, err := f.l.Get(ctx, off, pr.ID); err != nil {
			t.Fatal(err)
		}
		// closing without any evidence is refused
		_, err = f.l.RequestClose(ctx, off, pr.ID, ledger.CloseInput{Note: "已完成"})
		wantErr(t, err, "err.problem.no_evidence")

		f.now = f.now.AddDate(0, 0, 14)
		pr, err = f.l.Progress(ctx, off, pr.ID, ledger.ProgressInput{Note: "已清理 6 件", Percent: 50, Files: []ledger.Upload{pngFile(t)}})
		if err != nil {
			t.Fatal(err)
		}
		if pr.Status != ledger.InProgress || pr.Percent != 50 || pr.EvidenceCount != 1 {
			t.Fatalf("after progress %+v", pr)
		}
		_, err = f.l.Progress(ctx, off, pr.ID, ledger.ProgressInput{Note: "倒退", Percent: 40})
		wantErr(t, err, "err.problem.percent_down")

		pr, err = f.l.RequestClose(ctx, off, pr.ID, ledger.CloseInput{Note: "12 件全部结案", Standard: "案件全部结案并录入系统"})
		if err != nil || pr.Status != ledger.Pending {
			t.Fatalf("request close: %v %+v", err, pr)
		}
		// the responsible person cannot verify, and neither can a handler
		_, err = f.l.Verify(ctx, off, pr.ID, true, "")
		wantErr(t, err, "err.problem.verify_role")
		_, err = f.l.Verify(ctx, hand, pr.ID, true, "")
		wantErr(t, err, "err.problem.verify_role")
		// refusing needs a reason
		_, err = f.l.Verify(ctx, cinsp, pr.ID, false, "")
		wantErr(t, err, "err.problem.note.required")
		pr, err = f.l.Verify(ctx, cinsp, pr.ID, false, "缺少结案文书")
		if err != nil || pr.Status != ledger.InProgress {
			t.Fatalf("reject: %v %+v", err, pr)
		}
		if _, err := f.l.RequestClose(ctx, off, pr.ID, ledger.CloseInput{Note: "补充结案文书", Files: []ledger.Upload{pngFile(t)}}); err != nil {
			t.Fatal(err)
		}
		pr, err = f.l.Verify(ctx, insp, pr.ID, true, "核查属实")
		if err != nil || pr.Status != ledger.Closed || pr.ClosedOn != "2026-11-16" || pr.ReviewDue != "2027-02-14" {
			t.Fatalf("approve: %v %+v", err, pr)
		}
		// the look-back finds the problem back: it reopens with a new deadline
		_, err = f.l.Review(ctx, insp, pr.ID, true, "又有 2 件超期", "")
		wantErr(t, err, "err.problem.deadline.required")
		pr, err = f.l.Review(ctx, insp, pr.ID, true, "又有 2 件超期", "2026年12月31日")
		if err != nil || pr.Status != ledger.Reopened || pr.ReopenCount != 1 || pr.Deadline != "2026-12-31" || pr.Percent != 0 {
			t.Fatalf("recurred: %v %+v", err, pr)
		}

		evs, err := f.l.Events(ctx, cinsp, pr.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		want := "created progress close_requested close_rejected close_requested closed review_recurred"
		if strings.Join(kinds, " ") != want {
			t.Fatalf("timeline %v", kinds)
		}
		if len(evs[1].Evidence) != 1 || evs[1].Evidence[0].Name != "整改照片.png" {
			t.Fatalf("evidence %+v", evs[1].Evidence)
		}
		a, err := f.l.Attachment(ctx, off, pr.ID, evs[1].Evidence[0].AttachmentID)
		if err != nil || a.MIME != "image/png" {
			t.Fatalf("attachment %v %+v", err, a)
		}
		// the audit trail has every change
		entries, err := audit.List(ctx, db, audit.Filter{ObjectType: "problem", ObjectID: pr.Number, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(evs) {
			t.Fatalf("%d audit entries for %d events", len(entries), len(evs))
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreateRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		hand := f.p["c-hand"]
		for _, tc := range []struct {
			name string
			edit func(*ledger.Input)
			key  string
		}{
			{"deadline in the past", func(in *ledger.Input) { in.Deadline = "2026-11-01" }, "err.problem.deadline.past"},
			{"vague deadline", func(in *ledger.Input) { in.Deadline = "下月底" }, ""},
			{"responsible outside the subtree", func(in *ledger.Input) { in.Responsible = "d-hand" }, "err.problem.responsible.outside"},
			{"responsible above the unit", func(in *ledger.Input) { in.Responsible = "c-lead" }, "err.problem.responsible.outside"},
			{"unknown responsible", func(in *ledger.Input) { in.Responsible = "nobody" }, "err.problem.responsible.unknown"},
			{"unit outside the writer's scope", func(in *ledger.Input) { in.UnitCode = "d" }, "err.problem.unit_code.unknown"},
			{"no measures", func(in *ledger.Input) { in.Measures = "" }, "err.problem.measures.required"},
		} {
			in := f.input()
			tc.edit(&in)
			_, err := f.l.Create(ctx, hand, in)
			e := apperr.As(err)
			if e == nil || (tc.key != "" && e.Key != tc.key) || e.Kind != apperr.Invalid {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		// an officer may not record items
		_, err := f.l.Create(ctx, f.p["c-k-off"], f.input())
		wantErr(t, err, "err.problem.unit_code.unknown")
		// nothing was written
		if items, n, err := f.l.List(ctx, f.p["p-insp"], ledger.Filter{}); err != nil || n != 0 || len(items) != 0 {
			t.Fatalf("list after refusals: %d %v", n, err)
		}
	})
}

func TestDraftNeedsThreeFixes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		in := f.input()
		in.Draft, in.Responsible, in.Deadline = true, "", ""
		pr, err := f.l.Create(ctx, f.p["c-hand"], in)
		if err != nil || pr.Status != ledger.Draft {
			t.Fatalf("%v %+v", err, pr)
		}
		_, err = f.l.Submit(ctx, f.p["c-hand"], pr.ID)
		wantErr(t, err, "err.problem.responsible.required")
		in.Responsible, in.Deadline = "c-k-off", "2026-12-15"
		if _, err := f.l.Update(ctx, f.p["c-hand"], pr.ID, in); err != nil {
			t.Fatal(err)
		}
		pr, err = f.l.Submit(ctx, f.p["c-hand"], pr.ID)
		if err != nil || pr.Status != ledger.Open {
			t.Fatalf("%v %+v", err, pr)
		}
	})
}

func TestScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		pr, err := f.l.Create(ctx, f.p["c-hand"], f.input())
		if err != nil {
			t.Fatal(err)
		}
		outsider := f.p["d-hand"]
		if _, err := f.l.Get(ctx, outsider, pr.ID); apperr.As(err) != apperr.ErrNotFound {
			t.Fatalf("outsider read: %v", err)
		}
		if _, err := f.l.Progress(ctx, outsider, pr.ID, ledger.ProgressInput{Note: "x", Percent: 10}); apperr.As(err) != apperr.ErrNotFound {
			t.Fatalf("outsider progress: %v", err)
		}
		if _, err := f.l.Supervise(ctx, f.p["c-hand"], pr.ID, 7, "挂牌"); apperr.As(err) != apperr.ErrForbidden {
			t.Fatalf("handler supervising: %v", err)
		}
		if items, n, err := f.l.List(ctx, outsider, ledger.Filter{}); err != nil || n != 0 || len(items) != 0 {
			t.Fatalf("outsider list: %d %v", n, err)
		}
		for who, want := range map[string]int{"p-insp": 1, "c-lead": 1, "c-k-off": 1, "c-k-hand": 1, "d-hand": 0} {
			_, n, err := f.l.List(ctx, f.p[who], ledger.Filter{})
			if err != nil || n != want {
				t.Errorf("%s sees %d (%v), want %d", who, n, err, want)
			}
		}
		// filters
		for _, tc := range []struct {
			f    ledger.Filter
			want int
		}{
			{ledger.Filter{Unit: "c"}, 1},
			{ledger.Filter{Unit: "d"}, 0},
			{ledger.Filter{Status: "open"}, 1},
			{ledger.Filter{Status: "closed"}, 0},
			{ledger.Filter{Light: "green"}, 1},
			{ledger.Filter{Tag: ledger.BuiltinTags[4]}, 1},
			{ledger.Filter{Responsible: "c-k-off"}, 1},
			{ledger.Filter{DeadlineFrom: "2026-12-01"}, 0},
			{ledger.Filter{Q: "WT-2026"}, 1},
			{ledger.Filter{Supervised: true}, 0},
		} {
			if _, n, err := f.l.List(ctx, f.p["p-insp"], tc.f); err != nil || n != tc.want {
				t.Errorf("%+v: %d %v, want %d", tc.f, n, err, tc.want)
			}
		}
	})
}

func TestExtensionsAndSupervision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		off := f.p["c-k-off"]
		pr, err := f.l.Create(ctx, f.p["c-hand"], f.input())
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.l.RequestExtension(ctx, off, pr.ID, "2026-11-20", "需要更多时间")
		wantErr(t, err, "err.problem.extension_earlier")
		for i, dl := range []string{"2026-12-15", "2026-12-31"} {
			if _, err := f.l.RequestExtension(ctx, off, pr.ID, dl, "涉及外地协查"); err != nil {
				t.Fatal(err)
			}
			_, err = f.l.RequestExtension(ctx, off, pr.ID, dl, "再次")
			wantErr(t, err, "err.problem.extension_pending")
			// a handler cannot decide; the deputy can
			_, err = f.l.DecideExtension(ctx, f.p["c-hand"], pr.ID, true, "")
			wantErr(t, err, "err.problem.decide_role")
			pr, err = f.l.DecideExtension(ctx, f.p["c-dep"], pr.ID, true, "同意")
			if err != nil || pr.Deadline != dl || pr.Extensions != i+1 {
				t.Fatalf("decide: %v %+v", err, pr)
			}
		}
		_, err = f.l.RequestExtension(ctx, off, pr.ID, "2027-01-31", "第三次")
		wantErr(t, err, "err.problem.extension_limit")

		pr, err = f.l.Supervise(ctx, f.p["p-insp"], pr.ID, 7, "省督察室挂牌督办")
		if err != nil || !pr.Supervised || pr.SuperviseUnit != "p" || pr.SuperviseDays != 7 {
			t.Fatalf("supervise: %v %+v", err, pr)
		}
		if _, n, _ := f.l.List(ctx, f.p["p-insp"], ledger.Filter{Supervised: true}); n != 1 {
			t.Fatalf("supervised filter: %d", n)
		}
		// a week later without a progress report: the responsible person and
		// the supervising unit's inspector are told
		f.now = f.now.AddDate(0, 0, 6)
		if n, err := f.l.Escalate(ctx); err != nil || n != 0 {
			t.Fatalf("within the interval: %d %v", n, err)
		}
		f.now = f.now.AddDate(0, 0, 2)
		if n, err := f.l.Escalate(ctx); err != nil || n != 2 {
			t.Fatalf("interval passed: %d digests, %v", n, err)
		}
		var body string
		if err := db.Read.QueryRowContext(ctx, `SELECT n.body FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'p-insp'`).Scan(&body); err != nil || !strings.Contains(body, "挂牌督办") {
			t.Fatalf("inspector's digest %q %v", body, err)
		}
	})
}

func TestLongtermNeedsMechanism(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		in := f.input()
		in.Class = ledger.ClassLongterm
		pr, err := f.l.Create(ctx, f.p["c-hand"], in)
		if err != nil {
			t.Fatal(err)
		}
		off := f.p["c-k-off"]
		_, err = f.l.RequestClose(ctx, off, pr.ID, ledger.CloseInput{Note: "完成", Files: []ledger.Upload{pngFile(t)}})
		wantErr(t, err, "err.problem.mechanism.required")
		pr, err = f.l.RequestClose(ctx, off, pr.ID, ledger.CloseInput{Note: "完成", Files: []ledger.Upload{pngFile(t)},
			Mechanism: &ledger.MechanismInput{Title: "执行案件节点管理办法", DocNo: "东政法〔2026〕12号", IssuedOn: "2026年10月8日"}})
		if err != nil || pr.Mechanism == nil || pr.Mechanism.IssuedOn != "2026-10-08" {
			t.Fatalf("%v %+v", err, pr)
		}
	})
}

func TestLightsAndEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		pr, err := f.l.Create(ctx, f.p["c-hand"], f.input()) // deadline Monday 2026-11-30
		if err != nil {
			t.Fatal(err)
		}
		check := func(day string, light string, digests int, who ...string) {
			t.Helper()
			tm, _ := time.Parse("2006-01-02", day)
			f.now = tm.Add(2 * time.Hour)
			if _, err := f.l.RefreshLights(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := f.l.Get(ctx, f.p["p-insp"], pr.ID)
			if err != nil || got.Light != light {
				t.Fatalf("%s: light %s (%v), want %s", day, got.Light, err, light)
			}
			n, err := f.l.Escalate(ctx)
			if err != nil || n != digests {
				t.Fatalf("%s: %d digests (%v), want %d", day, n, err, digests)
			}
			// a second run the same day (another node, a retry) sends nothing more
			if n, err := f.l.Escalate(ctx); err != nil || n != 0 {
				t.Fatalf("%s: rerun queued %d (%v)", day, n, err)
			}
			for _, u := range who {
				var c int
				if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id
					WHERE u.username = $1 AND n.day = $2`, u, day).Scan(&c); err != nil || c != 1 {
					t.Fatalf("%s: %s has %d notifications (%v)", day, u, c, err)
				}
			}
		}
		check("2026-11-16", ledger.Yellow, 0)                                      // half the time gone, no progress
		check("2026-11-25", ledger.Yellow, 1, "c-k-off")                           // 3 working days left
		check("2026-11-30", ledger.Yellow, 2, "c-k-off", "c-dep")                  // due today: plus the deputy
		check("2026-12-01", ledger.Red, 3, "c-k-off", "c-dep", "c-lead")           // late: plus the leader
		check("2026-12-08", ledger.Red, 4, "c-k-off", "c-dep", "c-lead", "c-insp") // past the grace: the parent unit's inspector
	})
}
