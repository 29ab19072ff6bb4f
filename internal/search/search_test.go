package search_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/text"
	"github.com/luoshi/luoshi/internal/vault"
)

func init() { org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1} }

var ctx = context.Background()

var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

// writer records the ledger items of the fixture.
var writer = &org.Principal{Username: "writer", Grants: []org.Grant{{Role: org.RoleInspector, ScopePath: "/"}}}

type env struct {
	db  *store.DB
	r   *report.Reports
	l   *ledger.Ledger
	ix  *search.Index
	ids map[string]int64 // "problem:拆迁" etc. → id
}

func (e *env) p(t testing.TB, username string) *org.Principal {
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

func unitID(t testing.TB, db *store.DB, code string) int64 {
	t.Helper()
	u, err := org.UnitByCode(ctx, db.Read, code)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// newEnv: qh ── c1 ── k1 ── k1-court ── k1-court-xs
//
//	│           └── k1-ga
//	└─ c2
func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	for _, u := range []org.UnitInput{
		{Code: "qh", Name: "青禾省委政法委", Kind: "province"},
		{Code: "c1", Name: "一市委政法委", Kind: "city", ParentCode: "qh"},
		{Code: "c2", Name: "二市委政法委", Kind: "city", ParentCode: "qh"},
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
		{Username: "inspector", Name: "督察甲", UnitCode: "k1", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "inspector-c2", Name: "督察乙", UnitCode: "c2", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "inspector-qh", Name: "督察丙", UnitCode: "qh", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "judge", Name: "孙法官", UnitCode: "k1-court-xs", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "ga-handler", Name: "李承办", UnitCode: "c2", Roles: []org.RoleGrant{{Role: "officer"}}},
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
	e := &env{db: db, ids: map[string]int64{}}
	e.r = report.New(db, filepath.Join(dir, "attachments"), report.VaultSealer{V: v}, nil)
	e.l = ledger.New(db, attach.New(filepath.Join(dir, "attachments")))
	e.ix = search.New(db, e.r, v.BlindTokens)
	return e
}

func (e *env) problem(t testing.TB, key, unit, title, desc, responsible string) {
	t.Helper()
	pr, err := e.l.Create(ctx, writer, ledger.Input{Title: title, Description: desc, Source: "self_check", Class: "immediate",
		UnitCode: unit, Responsible: responsible, Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	e.ids["problem:"+key] = pr.ID
}

func (e *env) report(t testing.TB, key, subject, content string, accused ...string) {
	t.Helper()
	in := report.Input{Category: "interfere", UnitCode: "k1-court-xs", Subject: subject, Content: content}
	for _, a := range accused {
		in.Accused = append(in.Accused, report.Accused{Name: a, Post: "干部"})
	}
	rc, err := e.r.Submit(ctx, in, nil, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := e.db.Read.QueryRowContext(ctx, `SELECT id FROM reports WHERE number = $1`, rc.Number).Scan(&id); err != nil {
		t.Fatal(err)
	}
	e.ids["report:"+key] = id
}

func (e *env) project(t testing.TB, key, unit, title, plan string) {
	t.Helper()
	now := time.Now().UnixMilli()
	var id int64
	err := e.db.Write.QueryRowContext(ctx, `INSERT INTO projects (number, title, area, unit_id, leader_id, handler_id, plan,
		start_on, end_on, status, created_by, created_at, updated_at)
		VALUES ($1, $2, '保民安', $3, 0, 0, $4, '2026-01-01', '2026-12-31', 'proposed', 0, $5, $5) RETURNING id`,
		"SS-2026-"+key, title, unitID(t, e.db, unit), plan, now).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	e.ids["project:"+key] = id
}

func (e *env) rating(t testing.TB, key, unit, comment string) {
	t.Helper()
	now := time.Now().UnixMilli()
	var id int64
	err := e.db.Write.QueryRowContext(ctx, `INSERT INTO ratings (number, target_type, target_id, target_ref, once_key, unit_id,
		channel, level, comment, first_at, created_at, updated_at)
		VALUES ($1, 'project', 0, 'SS-2026-x', $1, $2, 'online', 1, $3, $4, $4, $4) RETURNING id`,
		"PJ-2026-"+key, unitID(t, e.db, unit), comment, now).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	e.ids["rating:"+key] = id
}

// fill makes the fixture every test below searches.
func fill(t testing.TB, e *env) {
	e.problem(t, "拆迁", "k1-court", "关于拆迁补偿款迟迟不到位的问题", "群众反映征地拆迁补偿款拖欠半年", "")
	e.problem(t, "阳光", "k1-ga", "A3区一米阳光婚纱摄影占道经营", "西湖路段ＷｉＦｉ店门口堆放杂物", "")
	e.problem(t, "c2拆迁", "c2", "拆迁安置房质量问题", "", "")
	e.problem(t, "负责", "c2", "派出所噪音扰民", "", "ga-handler") // out of reach, but the officer is responsible
	e.report(t, "干预", "法官干预拆迁补偿案件", "孙法官收受开发商好处，压低拆迁补偿款", "孙法官")
	e.report(t, "纪检", "纪检干部违规经商", "纪检乙在A3区一米阳光开店，联系电话13800138000", "纪检乙")
	e.report(t, "诱饵", "A3栋一米阳台", "米阳光小区的阳台问题，补偿拆迁", "")
	e.project(t, "噪音", "k1", "夜间施工噪音治理", "拆迁工地夜间施工噪音治理")
	e.rating(t, "差评", "k1-ga", "窗口态度差，噪音大")
}

type want []string

func (e *env) check(t *testing.T, who string, sp search.Params, w want) {
	t.Helper()
	res, err := e.ix.Search(ctx, e.p(t, who), sp)
	if err != nil {
		t.Fatalf("%s %+v: %v", who, sp, err)
	}
	var got, exp []string
	for _, h := range res.Hits {
		got = append(got, h.Type+":"+itoa(h.ID))
	}
	for _, k := range w {
		id, ok := e.ids[k]
		if !ok {
			t.Fatalf("no fixture %s", k)
		}
		exp = append(exp, strings.SplitN(k, ":", 2)[0]+":"+itoa(id))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("%s searching %+v: got %v, want %v %v", who, sp, got, exp, []string(w))
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// TestSearch runs the fixture's expectations twice: every reader's matches
// found by walking the text index, then by reading the reader's own items
// (the path of readers who may see few items).
func TestSearch(t *testing.T) {
	for _, path := range []struct {
		name   string
		narrow int
	}{{"index", 0}, {"scope", 1 << 20}} {
		t.Run(path.name, func(t *testing.T) {
			defer search.SetNarrow(path.narrow)()
			testSearch(t)
		})
	}
}

func testSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		fill(t, e)
		q := func(s string) search.Params { return search.Params{Q: s} }

		// two-character Chinese terms, in scope only
		e.check(t, "inspector", q("拆迁"), want{"problem:拆迁", "project:噪音"})
		e.check(t, "inspector-c2", q("拆迁"), want{"problem:c2拆迁"})
		// the discipline office sees the leads it handles and its ledger items
		e.check(t, "jj-court", q("拆迁"), want{"problem:拆迁", "report:干预", "report:诱饵"})
		e.check(t, "jj-county", q("拆迁"), want{"problem:拆迁", "report:干预", "report:诱饵", "project:噪音"})
		// a lead never shows to the person it names (nor to officers at all)
		e.check(t, "judge", q("拆迁"), nil)
		e.check(t, "jj-court2", q("经商"), nil)
		e.check(t, "jj-court", q("经商"), want{"report:纪检"})
		// phrases: adjacent and in order, on plain and blind text alike
		e.check(t, "jj-county", q("拆迁补偿"), want{"problem:拆迁", "report:干预"})
		e.check(t, "jj-county", q("补偿拆迁"), want{"report:诱饵"})
		e.check(t, "jj-county", q(`"米阳光小区"`), want{"report:诱饵"})
		// a space or punctuation between Chinese words of a quoted phrase:
		// the text may have one there or not
		e.check(t, "jj-county", q(`"补偿 拆迁"`), want{"report:诱饵"})
		e.check(t, "jj-county", q(`"问题，补偿"`), want{"report:诱饵"})
		e.check(t, "jj-county", q(`"补偿款 迟迟"`), want{"problem:拆迁"})
		e.check(t, "jj-county", q(`"拆迁 补偿款"`), want{"problem:拆迁", "report:干预"})
		e.check(t, "jj-county", q(`"补偿 拆迁款"`), nil)
		// mixed Chinese and latin/digits; the decoy has every bigram but not the phrase
		e.check(t, "jj-county", q("A3区 一米阳光"), want{"problem:阳光", "report:纪检"})
		e.check(t, "jj-county", q("ａ３区　一米阳光"), want{"problem:阳光", "report:纪检"})
		e.check(t, "inspector", q("wifi"), want{"problem:阳光"})
		e.check(t, "jj-county", q("13800138000"), want{"report:纪检"})
		// numbers and names
		e.check(t, "inspector", q("SS-2026-噪音"), want{"project:噪音"})
		e.check(t, "ga-handler", q("噪音"), want{"problem:负责"})
		e.check(t, "inspector", q("噪音"), want{"project:噪音", "rating:差评"})
		// filters
		e.check(t, "jj-county", search.Params{Q: "拆迁", Type: "report"}, want{"report:干预", "report:诱饵"})
		e.check(t, "inspector", search.Params{Q: "噪音", Unit: "k1-ga"}, want{"rating:差评"})
		// a one-character term cannot be looked up blind: plain kinds only
		res, err := e.ix.Search(ctx, e.p(t, "jj-county"), q("迁"))
		if err != nil || !res.SealedSkipped {
			t.Fatalf("one-character query: %+v %v", res, err)
		}
		// query syntax stays out of the engines
		e.check(t, "jj-county", q(`'; DROP TABLE x; -- " OR * NEAR(`), nil)

		// changes are found on the next search (the job has run once:
		// on PostgreSQL its first run records the units' paths, and
		// re-indexes the items of units it had not seen)
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET title = '信访积案化解', updated_at = $1 WHERE id = $2`,
			time.Now().UnixMilli()+1, e.ids["problem:拆迁"]); err != nil {
			t.Fatal(err)
		}
		e.check(t, "inspector", q("积案"), want{"problem:拆迁"})
		e.check(t, "inspector", q("拆迁补偿款迟迟"), nil)
		if n, err := e.ix.Sync(ctx); err != nil || n != 0 {
			t.Fatalf("second sync indexed %d (%v), want 0", n, err)
		}

		// the report text is nowhere in the index: blind hashes only
		rows, err := db.Read.QueryContext(ctx, `SELECT tokens FROM search_docs WHERE kind = 'report'`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var s string
			rows.Scan(&s)
			n++
			for _, f := range strings.Fields(s) {
				if len(f) != 17 || f[0] != 'x' || strings.ContainsFunc(f, func(r rune) bool { return r > unicode.MaxASCII }) {
					t.Fatalf("report token %q is not a blind hash", f)
				}
			}
			if strings.Contains(s, "13800138000") {
				t.Fatal("plain token in the report index")
			}
		}
		rows.Close()
		if n != 3 {
			t.Fatalf("%d reports indexed, want 3", n)
		}
	})
}

func TestSnippet(t *testing.T) {
	s, marks := search.Snippet("关于拆迁补偿款\n迟迟不到位，A3区一米阳光", "拆迁 a3区", 120)
	if s != "关于拆迁补偿款 迟迟不到位，A3区一米阳光" {
		t.Fatalf("snippet %q", s)
	}
	r := []rune(s)
	var got []string
	for _, m := range marks {
		got = append(got, string(r[m[0]:m[1]]))
	}
	if !slices.Equal(got, []string{"拆迁", "A3区"}) {
		t.Fatalf("marks %v → %v", marks, got)
	}
	long := strings.Repeat("无关内容", 50) + "拆迁" + strings.Repeat("其他", 50)
	s, marks = search.Snippet(long, "拆迁", 40)
	r = []rune(s)
	if len(marks) != 1 || string(r[marks[0][0]:marks[0][1]]) != "拆迁" || r[0] != '…' || r[len(r)-1] != '…' {
		t.Fatalf("long snippet %q %v", s, marks)
	}
	if !search.Matches("A3区大道", text.ParseQuery("a3区")) || search.Matches("阳光一米", text.ParseQuery("一米阳光")) {
		t.Fatal("Matches")
	}
}

func TestHotIssues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.report(t, "h1", "伊景园滨河苑捆绑销售车位", "伊景园滨河苑开发商捆绑销售车位，每个车位要价十五万，不买车位不给交房，请有关部门查处。")
		e.report(t, "h2", "伊景园滨河苑强制捆绑车位", "伊景园滨河苑开发商强制捆绑销售车位，不买车位就不交房，车位价格十五万，请查处。")
		e.report(t, "h3", "投诉伊景园滨河苑捆绑销售车位", "伊景园滨河苑捆绑销售车位，开发商要求每户买车位才交房，十五万一个，望查处。")
		e.report(t, "other", "法官干预拆迁补偿案件", "孙法官收受开发商好处，压低拆迁补偿款", "孙法官")
		now := time.Now()
		res, err := e.ix.HotIssues(ctx, e.p(t, "jj-court"), search.HotParams{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reports != 4 || len(res.Issues) != 1 {
			t.Fatalf("hot issues %+v", res)
		}
		is := res.Issues[0]
		if is.Count != 3 || is.Support != 3 || len(is.Reports) != 3 || !strings.Contains(is.Title, "伊景园滨河苑") ||
			len(is.Units) != 1 || is.Units[0] != "刑事审判庭" || is.First > is.Last {
			t.Fatalf("issue %+v", is)
		}
		// a second view is answered from the memo, the same; a change to a
		// report in scope (h3 merged into h1) is seen at once
		again, err := e.ix.HotIssues(ctx, e.p(t, "jj-court"), search.HotParams{}, now)
		if err != nil || len(again.Issues) != 1 || again.Issues[0].Count != 3 || again.Issues[0].Title != is.Title {
			t.Fatalf("second view: %+v %v", again, err)
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE reports SET status = 'merged', merged_into = $1, updated_at = updated_at + 1 WHERE id = $2`,
			e.ids["report:h1"], e.ids["report:h3"]); err != nil {
			t.Fatal(err)
		}
		merged, err := e.ix.HotIssues(ctx, e.p(t, "jj-court"), search.HotParams{}, now)
		if err != nil || merged.Reports != 3 || len(merged.Issues) != 1 || merged.Issues[0].Count != 2 || merged.Issues[0].Support != 3 {
			t.Fatalf("after a merge: %+v %v", merged, err)
		}
		// the officer named in one report, and anyone without clue.read, group nothing
		res, err = e.ix.HotIssues(ctx, e.p(t, "inspector"), search.HotParams{}, now)
		if err != nil || len(res.Issues) != 0 || res.Reports != 0 {
			t.Fatalf("inspector: %+v %v", res, err)
		}
		// a period before the reports
		res, err = e.ix.HotIssues(ctx, e.p(t, "jj-county"), search.HotParams{From: "2020-01-01", To: "2020-12-31"}, now)
		if err != nil || res.Reports != 0 {
			t.Fatalf("old period: %+v %v", res, err)
		}
		if _, err := e.ix.HotIssues(ctx, e.p(t, "jj-county"), search.HotParams{From: "2026-13-01"}, now); err == nil {
			t.Fatal("bad day accepted")
		}
	})
}

func TestRouting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.r.Rules.PerDay = 0
		jj := e.p(t, "jj-county")
		traffic := []string{"交警违规处罚车辆", "交通违章罚款不开票据", "交警执法态度恶劣", "车辆被扣押不归还", "路口交警乱罚款", "驾驶证扣分有误"}
		court := []string{"法官开庭迟到", "判决书送达超期", "法官私下会见当事人", "执行款迟迟不发放", "庭审不让当事人发言", "立案拖延不受理"}
		assign := func(key, subject, content, category, unit string) {
			t.Helper()
			rc, err := e.r.Submit(ctx, report.Input{Category: category, UnitCode: "k1-court-xs", Subject: subject, Content: content}, nil, "203.0.113.9")
			if err != nil {
				t.Fatal(err)
			}
			id, err := e.r.ByNumber(ctx, jj, rc.Number)
			if err != nil {
				t.Fatal(err)
			}
			e.ids["report:"+key] = id
			if unit != "" {
				if err := e.r.Assign(ctx, jj, id, report.AssignInput{UnitCode: unit}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := range 12 {
			assign("t"+itoa(int64(i)), traffic[i%6], traffic[i%6]+"，交警大队的民警在路口拦车，对车辆违章处罚不规范，罚款不开票据。", "work", "k1-ga")
			assign("c"+itoa(int64(i)), court[i%6], court[i%6]+"，法院法官在审理案件中违规，开庭判决拖延，当事人的诉讼权利得不到保障。", "interfere", "k1-court")
		}
		assign("new", "交警乱罚款", "交警在路口拦下车辆后罚款，不开票据，违章处罚不规范。", "work", "")
		// no model yet: no suggestion
		sg, err := e.ix.Routing(ctx, jj, e.ids["report:new"])
		if err != nil || sg.UnitCode != "" || sg.TrainedOn != 0 {
			t.Fatalf("before training: %+v %v", sg, err)
		}
		res, err := e.ix.Train(ctx)
		if err != nil || res.Docs != 24 || res.Units != 2 || res.Categories != 2 {
			t.Fatalf("train: %+v %v", res, err)
		}
		e.ix.Threshold = 0.5
		sg, err = e.ix.Routing(ctx, jj, e.ids["report:new"])
		if err != nil || sg.UnitCode != "k1-ga" || sg.Category != "work" || sg.UnitConfidence < 0.5 || sg.TrainedOn != 24 {
			t.Fatalf("suggestion: %+v %v", sg, err)
		}
		// below the configured confidence: nothing suggested
		e.ix.Threshold = 1 // softmax confidence never reaches 1
		if sg, err = e.ix.Routing(ctx, jj, e.ids["report:new"]); err != nil || sg.UnitCode != "" || sg.Category != "" {
			t.Fatalf("above threshold: %+v %v", sg, err)
		}
		// who may not handle the lead gets nothing
		if _, err := e.ix.Routing(ctx, e.p(t, "inspector"), e.ids["report:new"]); err == nil {
			t.Fatal("inspector got a suggestion")
		}
		// a correction is the next training's label: the handler sends the
		// traffic report to the court as interference, and the court now has
		// 13 of 25; a category that is not one is refused, naming its field
		err = e.r.Assign(ctx, jj, e.ids["report:new"], report.AssignInput{UnitCode: "k1-court", Category: "traffic"})
		if ae := apperr.As(err); ae == nil || ae.Field != "category" {
			t.Fatalf("unknown category: %v", err)
		}
		if err := e.r.Assign(ctx, jj, e.ids["report:new"], report.AssignInput{UnitCode: "k1-court", Category: "interfere"}); err != nil {
			t.Fatal(err)
		}
		var category, change string
		db.Read.QueryRowContext(ctx, `SELECT category FROM reports WHERE id = $1`, e.ids["report:new"]).Scan(&category)
		db.Read.QueryRowContext(ctx, `SELECT detail FROM report_events WHERE report_id = $1 AND kind = 'recategorized'`,
			e.ids["report:new"]).Scan(&change)
		if category != "interfere" || change != "work interfere" {
			t.Fatalf("correction: category %q, timeline %q", category, change)
		}
		if res, err = e.ix.Train(ctx); err != nil || res.Docs != 25 {
			t.Fatalf("retrain: %+v %v", res, err)
		}
		var n int
		db.Read.QueryRowContext(ctx, `SELECT docs FROM text_models WHERE name = 'routing.unit'`).Scan(&n)
		if n != 25 {
			t.Fatalf("model trained on %d", n)
		}
	})
}

// TestReplyCheck: the 答复质量 hints on a reply to a lead, against the
// deployment's own reports and the replies already sent on them.
func TestReplyCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.r.Rules.PerDay = 0
		jj := e.p(t, "jj-county")
		file := func(subject, content string) int64 {
			t.Helper()
			rc, err := e.r.Submit(ctx, report.Input{Category: "work", UnitCode: "k1-court-xs", Subject: subject, Content: content}, nil, "203.0.113.9")
			if err != nil {
				t.Fatal(err)
			}
			id, err := e.r.ByNumber(ctx, jj, rc.Number)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// three leads answered with the same stock reply: a fourth like it is a copy
		stock := "您好,您反映的问题已收悉,我们高度重视,已转相关部门认真研究处理,感谢您对我们工作的支持。"
		for i, subject := range []string{"立案窗口排队太久", "诉讼服务热线打不通", "法院停车场收费不合理"} {
			id := file(subject, subject+",希望法院改进诉讼服务工作,方便群众办事。第"+itoa(int64(i))+"次反映。")
			if _, err := e.r.Answer(ctx, jj, nil, id, report.AnswerInput{Reply: stock}); err != nil {
				t.Fatal(err)
			}
		}
		id := file("执行款迟迟不发放", "法院执行局扣划了被执行人的存款,执行款半年了还没有发放给申请执行人。")
		for _, c := range []struct {
			name, reply                              string
			offTopic, boilerplate, noBasis, noFollow bool
		}{
			{"stock", stock, true, true, true, true},
			{"good", "经核查,执行局已于2026年11月3日扣划执行款12万元,因账户核对延误未及时发放;已责令执行局在7个工作日内将执行款发放给申请执行人。如有疑问请致电执行局0000-12345678。",
				false, false, false, false},
			{"no basis or way on", "关于执行款发放的问题,执行局正在核对被执行人存款的扣划情况,核对完成以后会把执行款发放给您,请耐心等待,谢谢理解配合。",
				false, false, true, true},
		} {
			h, err := e.ix.ReplyCheck(ctx, jj, id, c.reply)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if h.OffTopic != c.offTopic || h.Boilerplate != c.boilerplate || h.NoBasis != c.noBasis || h.NoFollowUp != c.noFollow {
				t.Errorf("%s: %+v", c.name, h)
			}
		}
		if h, _ := e.ix.ReplyCheck(ctx, jj, id, stock); h.Copies != 3 {
			t.Errorf("the stock reply has %d copies, want the 3 sent", h.Copies)
		}
		// a fourth sent: the checker learns it when rebuilt, in the
		// background once it is old, while the old one still answers
		fourth := file("诉讼费退费太慢", "案件调解结案后申请退还诉讼费,三个月了还没有退。")
		if _, err := e.r.Answer(ctx, jj, nil, fourth, report.AnswerInput{Reply: stock}); err != nil {
			t.Fatal(err)
		}
		if h, _ := e.ix.ReplyCheck(ctx, jj, id, stock); h.Copies != 3 {
			t.Errorf("before the rebuild: %d copies", h.Copies)
		}
		search.AgeReplyChecker(e.ix)
		if h, _ := e.ix.ReplyCheck(ctx, jj, id, stock); h.Copies != 3 {
			t.Errorf("while rebuilding: %d copies, want the old checker's 3", h.Copies)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if h, _ := e.ix.ReplyCheck(ctx, jj, id, stock); h.Copies == 4 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the rebuilt checker never saw the fourth reply")
			}
		}
		if _, err := e.ix.ReplyCheck(ctx, jj, id, "  "); apperr.As(err) == nil || apperr.As(err).Field != "reply" {
			t.Errorf("empty reply: %v", err)
		}
		// who may not handle the lead learns nothing of it
		if _, err := e.ix.ReplyCheck(ctx, e.p(t, "inspector"), id, stock); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("inspector: %v", err)
		}
	})
}

// TestSearchWindows: reading the newest matches first (windows of a few
// documents, widened when too few) gives exactly the hits, order and
// "more" of a search of the whole index, for every reader and page size;
// and two items changed in the same millisecond whose keys would collide
// both stay in the index, in time order.
func TestSearchWindows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		fill(t, e)
		ga := unitID(t, db, "k1-ga")
		now := time.Now().UnixMilli()
		// Stamped ahead of the fixture's other items (as by a clock ahead),
		// so that the windows start among them: two items, an hour later
		// than a run of 32 (a window of 20 starts in that run's block of
		// time and must still hold the two: timeCover), then items ever
		// further apart (i³ × 7.9 s, over 45 days), so that windows span
		// blocks of several sizes
		ahead := now + 60*86_400_000
		titles := []string{"拆迁噪音", "停车收费", "A3区拆迁", "噪音扰民"}
		for i := range 80 {
			title, at := titles[i%4], ahead-3_600_000-int64(i)
			switch {
			case i < 2:
				title, at = titles[2*i], ahead-int64(i)
			case i >= 34:
				at -= int64(i*i*i) * 7919
			}
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO problems (number, title, description, source, class, unit_id,
				start_day, status, created_by, created_at, updated_at) VALUES ($1, $2, '', 'self_check', 'immediate', $3,
				'2026-01-01', 'draft', 0, $4, $4)`, "WT-W-"+strconv.Itoa(i), title, ga, at); err != nil {
				t.Fatal(err)
			}
		}
		// a decoy for the phrase 拆迁补偿 (its bigrams, not in that order), old
		// enough to be reached past a narrow read's probe: PostgreSQL's GIN
		// look-up (indexedGIN) must check the phrase
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO problems (number, title, description, source, class, unit_id,
			start_day, status, created_by, created_at, updated_at) VALUES ('WT-D-1', '补偿拆迁，迁补', '', 'self_check', 'immediate', $1,
			'2026-01-01', 'draft', 0, $2, $2)`, ga, ahead-50*86_400_000); err != nil {
			t.Fatal(err)
		}
		// same millisecond, same kind, ids equal in their low 19 bits
		for _, id := range []int64{900_001, 900_001 + 1<<19} {
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO problems (id, number, title, description, source, class, unit_id,
				start_day, status, created_by, created_at, updated_at) VALUES ($1, $2, '同一毫秒', '', 'self_check', 'immediate', $3,
				'2026-01-01', 'draft', 0, $4, $4)`, id, "WT-C-"+itoa(id), ga, now+5000); err != nil {
				t.Fatal(err)
			}
		}
		// stamped in the past: indexed by a full sync, as a first build
		if _, err := db.Write.ExecContext(ctx, `DELETE FROM search_marks`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		var old int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_docs WHERE src_updated < $1`, ahead-86_400_000).Scan(&old); err != nil || old < 40 {
			t.Fatalf("%d items older than a day indexed (%v), want 40 or more", old, err)
		}
		res, err := e.ix.Search(ctx, e.p(t, "inspector"), search.Params{Q: "同一毫秒"})
		if err != nil || len(res.Hits) != 2 || res.Hits[0].ID != 900_001+1<<19 {
			t.Fatalf("colliding keys: %+v %v", res.Hits, err)
		}
		// windows sized by time (no statistics yet), then on PostgreSQL by
		// the histogram of keys an ANALYZE takes
		compareWindows(t, e)
		if db.Dialect == store.Postgres {
			if _, err := db.Write.ExecContext(ctx, `ANALYZE search_docs`); err != nil {
				t.Fatal(err)
			}
			bounds, _, err := e.ix.KeyHistogram(ctx)
			if err != nil || len(bounds) < 20 || !slices.IsSorted(bounds) {
				t.Fatalf("histogram of keys after ANALYZE: %v (%v), want 20 or more ascending bounds", bounds, err)
			}
			// the fixture's commonest terms are walked (the inspector's
			// reach is the whole tree), a phrase and a rare term are not
			for q, want := range map[string]bool{"拆迁": true, "迁": true, `"拆迁 噪音"`: false, "一米阳光": false} {
				if got, err := e.ix.Walkable(ctx, q); err != nil || got != want {
					t.Errorf("walkable(%s) = %v (%v), want %v", q, got, err, want)
				}
			}
			// a term in most of the fixture's documents is read from a
			// narrow reader's tokens, a rare one asked of GIN
			for q, want := range map[string]bool{"拆迁": true, "一米阳光": false} {
				if got, err := e.ix.Dense(ctx, q); err != nil || got != want {
					t.Errorf("dense(%s) = %v (%v), want %v", q, got, err, want)
				}
			}
			compareWindows(t, e)
		}
	})
}

// compareWindows checks that a search with windows and narrow reads of
// every kind gives the hits of a search of the whole index.
func compareWindows(t *testing.T, e *env) {
	t.Helper()
	for _, who := range []string{"inspector-qh", "inspector", "jj-county", "jj-court", "ga-handler"} {
		// a search with settings made by the caller, undone after it
		searchWith := func(sp search.Params, undo ...func()) (search.Result, error) {
			defer func() {
				for _, u := range undo {
					u()
				}
			}()
			return e.ix.Search(ctx, e.p(t, who), sp)
		}
		for _, sp := range []search.Params{{Q: "拆迁"}, {Q: "噪音", Limit: 3}, {Q: "拆迁", Limit: 5}, {Q: "A3区"},
			{Q: "收费", Limit: 4}, {Q: "拆迁补偿"}, {Q: "一米阳光", Limit: 1}, {Q: "迁", Limit: 7}} {
			// the whole index through GIN, no walk
			whole, err := searchWith(sp, search.SetWindows(nil), search.SetNarrow(0), search.SetWalkFreq(2))
			if err != nil {
				t.Fatal(err)
			}
			// windows (PostgreSQL), and the reader's own items searched
			// first for no kind, the kinds of which he sees at most 3
			// items (a mix), every kind
			// (narrow reads through the units in reach, or scanning the
			// table when small)
			for _, narrow := range []int{0, 3, 1 << 20} {
				for _, w := range [][]int{nil, {1}, {2, 5}, {3, 8, 20}} {
					got, err := searchWith(sp, search.SetWindows(w), search.SetNarrow(narrow), search.SetSmallTable(len(w)%2*1<<20))
					if err != nil {
						t.Fatal(err)
					}
					if !slices.EqualFunc(got.Hits, whole.Hits, func(a, b search.Hit) bool { return a.Type == b.Type && a.ID == b.ID }) ||
						got.More != whole.More || got.SealedSkipped != whole.SealedSkipped {
						t.Errorf("%s %+v windows %v narrow %d: got %d hits (more %v), whole index %d (more %v)",
							who, sp, w, narrow, len(got.Hits), got.More, len(whole.Hits), whole.More)
					}
				}
			}
		}
	}
}

// TestWindowStart: a window of the n newest documents starts at the bound
// of the histogram that many rows below the top, counting the rows changed
// since it was taken as above every bound.
func TestWindowStart(t *testing.T) {
	b := []int64{0, 10, 20, 30, 40} // four buckets of 100 rows
	for _, c := range []struct {
		bounds   []int64
		rows     float64
		since, n int64
		from     int64
		ok       bool
	}{
		{nil, 0, 0, 100, 0, false},          // no ANALYZE yet
		{b, 0, 0, 100, 0, false},            // an empty table analyzed
		{b, 400, 0, 100, 30, true},          // the top bucket
		{b, 400, 0, 101, 20, true},          // a row more: two
		{b, 400, 0, 300, 10, true},          // three
		{b, 400, 0, 400, 0, true},           // all: the whole index
		{b, 400, 0, 5000, 0, true},          // more than all
		{b, 400, 50, 50, 0, false},          // among the rows changed since
		{b, 400, 50, 150, 30, true},         // past them: the top bucket
		{b, 400, 50, 151, 20, true},         // two
		{[]int64{7}, 400, 0, 100, 0, false}, // one bound, no bucket
	} {
		from, ok := search.WindowStart(c.bounds, c.rows, c.since, c.n)
		if from != c.from || ok != c.ok {
			t.Errorf("%v rows %v since %d: window of %d starts at %d (%v), want %d (%v)",
				c.bounds, c.rows, c.since, c.n, from, ok, c.from, c.ok)
		}
	}
}
