package report_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/vault"
)

func init() { org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1} }

var ctx = context.Background()

var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

// env is a small tree with discipline offices:
//
//	qh 青禾省 ── c1 一市 ── k1 一县 ── k1-court 一县法院 ── k1-court-xs 刑庭
//	                                └── k1-ga 一县公安局
type env struct {
	db    *store.DB
	r     *report.Reports
	l     *ledger.Ledger
	dir   string
	clock time.Time
}

func (e *env) p(t *testing.T, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, e.db.Read, username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := org.LoadPrincipal(ctx, e.db.Read, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// plainFiles stands in for internal/scrub here (scrub has its own tests): it
// refuses HTML so the refusal path is covered.
func plainFiles(name string, data []byte) (report.CleanFile, error) {
	if bytes.Contains(bytes.ToLower(data[:min(len(data), 512)]), []byte("<html")) {
		return report.CleanFile{}, apperr.Invalidf("evidence", "err.report.files.empty", name)
	}
	return report.CleanFile{Name: filepath.Base(name), MIME: "image/jpeg", Data: data}, nil
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	for _, u := range []org.UnitInput{
		{Code: "qh", Name: "青禾省委政法委", Kind: "province"},
		{Code: "c1", Name: "一市委政法委", Kind: "city", ParentCode: "qh"},
		{Code: "k1", Name: "一县委政法委", Kind: "county", ParentCode: "c1"},
		{Code: "k1-court", Name: "一县人民法院", Kind: "organ", ParentCode: "k1"},
		{Code: "k1-court-xs", Name: "刑事审判庭", Kind: "department", ParentCode: "k1-court"},
		{Code: "k1-ga", Name: "一县公安局", Kind: "organ", ParentCode: "k1"},
	} {
		if _, err := org.CreateUnit(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []org.UserInput{
		{Username: "jj-court", Name: "纪检甲", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "jj-court2", Name: "纪检乙", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "jj-county", Name: "纪检丙", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "jj-city", Name: "纪检丁", UnitCode: "c1", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "court-leader", Name: "赵院长", UnitCode: "k1-court", Roles: []org.RoleGrant{{Role: "leader"}}},
		{Username: "xs-leader", Name: "钱庭长", UnitCode: "k1-court-xs", Roles: []org.RoleGrant{{Role: "leader"}, {Role: "discipline", ScopeCode: "k1-court"}}},
		{Username: "judge", Name: "孙法官", UnitCode: "k1-court-xs", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "ga-jj", Name: "纪检戊", UnitCode: "k1-ga", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "inspector", Name: "督察", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "inspector"}}},
	} {
		u.Password = "pw-123456789"
		if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	v, err := vault.LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, dir: dir, clock: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e.r = report.New(db, filepath.Join(dir, "attachments"), report.VaultSealer{V: v}, plainFiles)
	e.r.Clock = func() time.Time { return e.clock }
	e.l = ledger.New(db, attach.New(filepath.Join(dir, "attachments")))
	e.l.Clock = e.r.Clock
	return e
}

func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Key != key {
		t.Fatalf("error %v, want %s", err, key)
	}
}

const secret = "院长让我把案子压下来,说是上面打过招呼"

func submit(t *testing.T, e *env, accused string, realName bool) report.Receipt {
	t.Helper()
	in := report.Input{Category: "interfere", UnitCode: "k1-court-xs", Subject: "干预案件", Content: secret,
		When: "2026年11月", Where: "法院三楼"}
	if accused != "" {
		in.Accused = []report.Accused{{Name: accused, Post: "法官"}}
	}
	if realName {
		in.Reporter = &report.Identity{Name: "周群众", Phone: "138 0013 8000", IDNumber: "11010519491231002X"}
	}
	rc, err := e.r.Submit(ctx, in, []report.Upload{{Name: "../../photo.jpg", Data: []byte("jpeg-bytes-of-evidence")}}, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func leadID(t *testing.T, e *env, p *org.Principal, number string) int64 {
	t.Helper()
	id, err := e.r.ByNumber(ctx, p, number)
	if err != nil {
		t.Fatalf("%s by %s: %v", number, p.Username, err)
	}
	return id
}

func TestSubmitAndLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		rc := submit(t, e, "", true)
		if len(rc.Receipt) != 12 || len(rc.Key) != 20 {
			t.Fatalf("receipt %q key %q", rc.Receipt, rc.Key)
		}
		// the reporter reads it back with the grouped forms they were shown
		v, err := e.r.Lookup(ctx, report.FormatReceipt(rc.Receipt), strings.ToLower(report.FormatKey(rc.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if v.Content != secret || v.Stage != "received" || !v.RealName {
			t.Fatalf("view %+v", v)
		}
		if len(v.Timeline) != 1 || len(v.Timeline[0].Files) != 1 || v.Timeline[0].Files[0].Name != "photo.jpg" {
			t.Fatalf("timeline %+v", v.Timeline)
		}
		if _, data, err := e.r.ReporterFile(ctx, v, v.Timeline[0].Files[0].ID); err != nil || string(data) != "jpeg-bytes-of-evidence" {
			t.Fatalf("file %q %v", data, err)
		}
		// a wrong key and an unknown receipt answer alike
		_, err1 := e.r.Lookup(ctx, rc.Receipt, report.NewKey())
		_, err2 := e.r.Lookup(ctx, "123456789012", rc.Key)
		if !errors.Is(err1, report.ErrLookup) || !errors.Is(err2, report.ErrLookup) {
			t.Fatalf("wrong key %v, unknown receipt %v", err1, err2)
		}
		// repeated failures lock the receipt, existing or not, even for the right key
		for range 4 {
			e.r.Lookup(ctx, rc.Receipt, report.NewKey())
			e.r.Lookup(ctx, "123456789012", report.NewKey())
		}
		_, err1 = e.r.Lookup(ctx, rc.Receipt, rc.Key)
		_, err2 = e.r.Lookup(ctx, "123456789012", rc.Key)
		if !errors.Is(err1, report.ErrLocked) || !errors.Is(err2, report.ErrLocked) {
			t.Fatalf("after failures: %v / %v", err1, err2)
		}
		e.clock = e.clock.Add(31 * time.Minute)
		if v, err = e.r.Lookup(ctx, rc.Receipt, rc.Key); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		// a follow-up's message and file come back in the one-query look-up
		must(t, e.r.FollowUp(ctx, v, "补充一份材料", []report.Upload{{Name: "补充.txt", Data: []byte("补充内容")}}))
		v, err = e.r.Lookup(ctx, rc.Receipt, rc.Key)
		must(t, err)
		if len(v.Timeline) != 2 || v.Timeline[1].Note != "补充一份材料" || len(v.Timeline[1].Files) != 1 ||
			v.Timeline[1].Files[0].Name != "补充.txt" || len(v.Timeline[0].Files) != 1 || v.Content != secret {
			t.Fatalf("after a follow-up: %+v", v.Timeline)
		}
	})
}

func TestSubmitBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		good := report.Input{Category: "work", UnitCode: "k1-court", Subject: "s", Content: "c"}
		cases := []struct {
			name  string
			edit  func(in *report.Input)
			files []report.Upload
			key   string
		}{
			{"empty content", func(in *report.Input) { in.Content = "  " }, nil, "err.report.content.required"},
			{"long content", func(in *report.Input) { in.Content = strings.Repeat("字", report.MaxContent+1) }, nil, "err.report.too_long"},
			{"bad category", func(in *report.Input) { in.Category = "x" }, nil, "err.report.category"},
			{"unknown unit", func(in *report.Input) { in.UnitCode = "nope" }, nil, "err.report.unit_code.unknown"},
			{"bad phone", func(in *report.Input) { in.Reporter = &report.Identity{Name: "a", Phone: "abc"} }, nil, "err.report.reporter_phone"},
			{"bad id", func(in *report.Input) {
				in.Reporter = &report.Identity{Name: "a", Phone: "13800138000", IDNumber: "110105194912310021"}
			}, nil, "err.report.reporter_id_number"},
			{"too many files", nil, make([]report.Upload, 50), "err.report.files.too_many"},
			{"html as jpeg", nil, []report.Upload{{Name: "a.jpg", Data: []byte("<html><script>alert(1)</script>")}}, "err.report.files.empty"},
		}
		for _, c := range cases {
			in := good
			if c.edit != nil {
				c.edit(&in)
			}
			_, err := e.r.Submit(ctx, in, c.files, "198.51.100.1")
			wantKey(t, err, c.key)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d reports stored from bad input", n)
		}
	})
}

func TestRecusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// naming the judge: his department's leader (also a discipline officer
		// of the court) must not see it; the court's discipline office does
		rc := submit(t, e, "孙法官", false)
		for _, who := range []string{"jj-court", "jj-county", "jj-city"} {
			leadID(t, e, e.p(t, who), rc.Number)
		}
		for _, who := range []string{"judge", "xs-leader", "court-leader", "ga-jj", "inspector"} {
			p := e.p(t, who)
			if _, err := e.r.ByNumber(ctx, p, rc.Number); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("%s finds the lead: %v", who, err)
			}
			list, total, err := e.r.List(ctx, p, report.Filter{})
			if err != nil || total != 0 || len(list) != 0 {
				t.Errorf("%s lists %d: %v", who, total, err)
			}
		}
		// naming the court's leader sends it to the county's discipline office
		rc2 := submit(t, e, "赵院长", false)
		id := leadID(t, e, e.p(t, "jj-county"), rc2.Number)
		l, err := e.r.Get(ctx, e.p(t, "jj-county"), id)
		if err != nil || l.HandlingCode != "k1" {
			t.Fatalf("handling %q: %v", l.HandlingCode, err)
		}
		if _, err := e.r.ByNumber(ctx, e.p(t, "jj-court"), rc2.Number); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("the court's own office sees a lead on its leader: %v", err)
		}
		// naming a discipline officer by username at assignment recuses him at once
		id1 := leadID(t, e, e.p(t, "jj-court"), rc.Number)
		if err := e.r.Assign(ctx, e.p(t, "jj-county"), id1, report.AssignInput{UnitCode: "k1-court", Named: []string{"jj-court2"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.r.ByNumber(ctx, e.p(t, "jj-court2"), rc.Number); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("a named discipline officer still sees the lead: %v", err)
		}
	})
}

func TestLeadLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		rc := submit(t, e, "", true)
		jj, jj2 := e.p(t, "jj-court"), e.p(t, "jj-court2")
		id := leadID(t, e, jj, rc.Number)

		if err := e.r.SetMethod(ctx, jj, id, "verify", ""); err == nil {
			t.Fatal("a method before registration")
		}
		must(t, e.r.Register(ctx, jj, id, "属于线索"))
		must(t, e.r.SetMethod(ctx, jj, id, "verify", "初核"))
		wantKey(t, e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "true"}), "err.report.record.required")
		must(t, e.r.Record(ctx, jj, id, "谈话笔录一份", []report.Upload{{Name: "笔录.pdf", Data: []byte("%PDF-1.4 record")}}))
		wantKey(t, e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "untrue", Form: 2, Measure: "warning"}), "err.report.form.unsubstantiated")
		wantKey(t, e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "true", Form: 2, Measure: "admonish"}), "err.report.measure")
		must(t, e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "true", Form: 2, Measure: "warning",
			Note: "给予警告处分", Problem: true}))
		l, err := e.r.Get(ctx, jj, id)
		must(t, err)
		if l.Status != report.Concluded || l.ProblemID == 0 || l.FeedbackDue == "" {
			t.Fatalf("after concluding: %+v", l)
		}
		// the reporter sees the stages, and no staff names
		v, err := e.r.Lookup(ctx, rc.Receipt, rc.Key)
		must(t, err)
		if !v.Reached("accepted") || !v.Reached("concluded") || v.Reached("feedback") || !v.Concluded {
			t.Fatalf("stages %+v", v.Timeline)
		}
		for _, ev := range v.Timeline {
			if ev.Actor != "" || ev.Kind == "record" {
				t.Fatalf("the reporter sees %+v", ev)
			}
		}
		// feedback late after 15 working days
		e.clock = e.clock.AddDate(0, 1, 0)
		l, _ = e.r.Get(ctx, jj, id)
		if !l.FeedbackLate {
			t.Fatal("feedback timer not late")
		}
		must(t, e.r.Feedback(ctx, jj2, id, "已电话反馈处理结果"))
		v, _ = e.r.Lookup(ctx, rc.Receipt, rc.Key)
		if !v.Reached("feedback") {
			t.Fatal("no feedback stage")
		}

		// the reporter's identity: a reason is required, the reveal is recorded
		_, err = e.r.RevealIdentity(ctx, jj, id, "")
		wantKey(t, err, "err.report.reveal.reason")
		ident, err := e.r.RevealIdentity(ctx, jj, id, "需要电话核实举报细节")
		if err != nil || ident.Name != "周群众" {
			t.Fatalf("identity %+v %v", ident, err)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'report.identity_read' AND actor = 'jj-court'`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d audit entries for the reveal", n)
		}
		l, _ = e.r.Get(ctx, jj, id)
		if last := l.Timeline[len(l.Timeline)-1]; last.Kind != "identity_revealed" || last.Note != "需要电话核实举报细节" {
			t.Fatalf("reveal not on the timeline: %+v", last)
		}
		if _, err := e.r.RevealIdentity(ctx, e.p(t, "inspector"), id, "想看看是谁举报的"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("an inspector reads the identity: %v", err)
		}
	})
}

func TestPriorHandledNeedsSecondApprover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		rc := submit(t, e, "", false)
		jj, jj2 := e.p(t, "jj-court"), e.p(t, "jj-court2")
		id := leadID(t, e, jj, rc.Number)
		must(t, e.r.Register(ctx, jj, id, ""))
		must(t, e.r.SetMethod(ctx, jj, id, "verify", ""))
		must(t, e.r.Record(ctx, jj, id, "查阅旧卷", nil))
		wantKey(t, e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "prior_handled"}), "err.report.prior.required")
		must(t, e.r.Conclude(ctx, jj, e.l, id, report.Conclusion{Conclusion: "prior_handled", PriorCase: "(2025)一纪初12号", Note: "同一事项已于2025年核查"}))
		wantKey(t, e.r.Approve(ctx, jj, e.l, id, true, ""), "err.report.prior.self")
		must(t, e.r.Approve(ctx, jj2, e.l, id, true, "同意"))
		l, _ := e.r.Get(ctx, jj, id)
		if l.Status != report.Concluded || l.Conclusion != "prior_handled" || l.PriorCase == "" {
			t.Fatalf("%+v", l)
		}
	})
}

func TestMergeAndAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		jj := e.p(t, "jj-court")
		a, b, c := submit(t, e, "", false), submit(t, e, "", false), submit(t, e, "", false)
		ida, idb, idc := leadID(t, e, jj, a.Number), leadID(t, e, jj, b.Number), leadID(t, e, jj, c.Number)
		wantKey(t, e.r.Merge(ctx, jj, idb, a.Number, ""), "err.report.merge.not_lead")
		must(t, e.r.Register(ctx, jj, ida, ""))
		must(t, e.r.Merge(ctx, jj, idb, a.Number, "同一事项"))
		must(t, e.r.SetMethod(ctx, jj, ida, "talk", ""))
		must(t, e.r.Record(ctx, jj, ida, "谈话", nil))
		must(t, e.r.Conclude(ctx, jj, e.l, ida, report.Conclusion{Conclusion: "no_evidence"}))
		lb, _ := e.r.Get(ctx, jj, idb)
		if lb.Status != report.Concluded || lb.Conclusion != "no_evidence" || lb.MergedInto != a.Number {
			t.Fatalf("merged report after the lead concluded: %+v", lb)
		}
		// a non-lead answered with a ledger item for the reported unit
		pid, err := e.r.Answer(ctx, jj, e.l, idc, report.AnswerInput{Reply: "已转法院整改", Problem: true})
		must(t, err)
		var origin string
		db.Read.QueryRow(`SELECT origin_ref FROM problems WHERE id = $1`, pid).Scan(&origin)
		if origin != c.Number {
			t.Fatalf("ledger item origin %q", origin)
		}
		must(t, e.r.Transfer(ctx, jj, leadID(t, e, jj, submit(t, e, "", false).Number), "k1-ga", "属公安管辖"))
		list, _, _ := e.r.List(ctx, e.p(t, "ga-jj"), report.Filter{Status: "received"})
		if len(list) != 1 {
			t.Fatalf("the police office's queue has %d", len(list))
		}
	})
}

// TestNothingInTheClear greps the raw SQLite file and its WAL for what a
// reporter wrote and who they are.
func TestNothingInTheClear(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.SQLite) {
		return // the PostgreSQL pass of the suite: the file is SQLite's
	}
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "luoshi.db"))
	must(t, err)
	defer db.Close()
	_, err = db.Migrate(ctx)
	must(t, err)
	e := newEnv(t, db)
	rc := submit(t, e, "孙法官", true)
	jj := e.p(t, "jj-court")
	id := leadID(t, e, jj, rc.Number)
	must(t, e.r.Register(ctx, jj, id, "登记备注里的秘密"))
	var raw []byte
	for _, f := range []string{"luoshi.db", "luoshi.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		raw = append(raw, b...)
	}
	filepath.Walk(filepath.Join(e.dir, "attachments"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			raw = append(raw, b...)
		}
		return nil
	})
	if len(raw) < 4096 {
		t.Fatalf("read only %d bytes", len(raw))
	}
	for _, s := range []string{secret, "周群众", "138 0013 8000", "11010519491231002X", "法院三楼", "登记备注里的秘密", "jpeg-bytes-of-evidence", "photo.jpg"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is stored in the clear", s)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestNothingInTheClearPostgres reads every row of every table as PostgreSQL
// would dump it and looks for what a reporter wrote and who they are.
func TestNothingInTheClearPostgres(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) {
		return // the SQLite pass: TestNothingInTheClear reads the file itself
	}
	db := storetest.Open(t, store.Postgres)
	e := newEnv(t, db)
	rc := submit(t, e, "孙法官", true)
	jj := e.p(t, "jj-court")
	id := leadID(t, e, jj, rc.Number)
	must(t, e.r.Register(ctx, jj, id, "登记备注里的秘密"))
	rows, err := db.Read.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	must(t, err)
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var dump strings.Builder
	for _, tb := range tables {
		rs, err := db.Read.Query(`SELECT t::text FROM "` + tb + `" t`)
		must(t, err)
		for rs.Next() {
			var s string
			rs.Scan(&s)
			dump.WriteString(s)
		}
		rs.Close()
	}
	// bytea prints as hex in a row's text: read those columns raw as well
	for _, q := range []string{`SELECT sealed FROM reports`, `SELECT COALESCE(identity, ''::bytea) FROM reports`,
		`SELECT COALESCE(note, ''::bytea) FROM report_events`, `SELECT sealed_name FROM report_files`} {
		rs, err := db.Read.Query(q)
		must(t, err)
		for rs.Next() {
			var b []byte
			rs.Scan(&b)
			dump.Write(b)
		}
		rs.Close()
	}
	if dump.Len() < 1000 || !strings.Contains(dump.String(), rc.Number) {
		t.Fatalf("the dump holds %d bytes and not the report's number", dump.Len())
	}
	for _, s := range []string{secret, "周群众", "138 0013 8000", "11010519491231002X", "法院三楼", "登记备注里的秘密", "干预案件"} {
		if strings.Contains(dump.String(), s) {
			t.Errorf("%q is stored in the clear", s)
		}
	}
}

func TestSimilarReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		mk := func(subject, content string) report.Receipt {
			rc, err := e.r.Submit(ctx, report.Input{Category: "work", UnitCode: "k1-court", Subject: subject, Content: content}, nil, "")
			must(t, err)
			return rc
		}
		a := mk("立案窗口拒收材料", "一县法院立案窗口以材料不全为由三次拒收我的起诉材料,每次只说缺一样,不一次性告知。")
		b := mk("立案窗口不一次性告知", "一县法院立案窗口以材料不全为由多次拒收起诉材料,每次只说缺一样,从不一次性告知需要补正的内容。")
		mk("社区矫正人员不报到", "小区里的社区矫正人员天天打牌,从来不去司法所报到。")
		jj := e.p(t, "jj-court")
		idb := leadID(t, e, jj, b.Number)
		ms, err := e.r.Similar(ctx, jj, idb, 5)
		must(t, err)
		if len(ms) != 1 || ms[0].Number != a.Number || ms[0].Score < 0.4 {
			t.Fatalf("similar to %s: %+v", b.Number, ms)
		}
		// someone who may not see the report gets nothing
		if _, err := e.r.Similar(ctx, e.p(t, "ga-jj"), idb, 5); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("outside scope: %v", err)
		}
	})
}

// TestRecusalReachesTransparency: the transparency figures count reports by
// handling unit, category and month. A signed-in reader a lead names (the
// judge), or who leads the named person's unit (his department's leader,
// the court's leader), gets every count without it, the "<5" rule applied
// to what is left; everyone else, signed in or not, counts it. Before the
// fix the department's leader saw the court's count go from 4 (masked) to 5.
func TestRecusalReachesTransparency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.r.Rules.PerDay = 0
		for range 4 {
			submit(t, e, "", false)
		}
		court := func(fig report.Transparency) report.Cell {
			for _, row := range fig.ByUnit {
				if row.Key == "k1-court" {
					return row.Count
				}
			}
			return report.Cell{}
		}
		figures := func(who string) report.Transparency {
			t.Helper()
			var p *org.Principal
			if who != "" {
				p = e.p(t, who)
			}
			fig, err := e.r.PublicFigures(ctx, p)
			must(t, err)
			return fig
		}
		before := figures("")
		if c := court(before); !c.Masked || before.Total != c {
			t.Fatalf("before: court %+v, total %+v", c, before.Total)
		}
		submit(t, e, "孙法官", false) // handled by the court, naming the judge
		for _, who := range []string{"", "jj-court", "inspector", "ga-jj"} {
			fig := figures(who)
			if c := court(fig); c != (report.Cell{N: 5}) || fig.Total != c || len(fig.ByMonth) != 1 || fig.ByMonth[0].Count != c {
				t.Errorf("%q: court %+v, total %+v, months %+v", who, c, fig.Total, fig.ByMonth)
			}
		}
		for _, who := range []string{"judge", "xs-leader", "court-leader"} {
			if fig := figures(who); !reflect.DeepEqual(fig, before) {
				t.Errorf("%s counts the lead naming them:\n was %+v\n now %+v", who, before, fig)
			}
		}
	})
}
