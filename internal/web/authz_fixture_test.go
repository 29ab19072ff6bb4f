package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/web"
)

// The authorization matrix's fixture: two sibling subtrees, a (甲) and b (乙),
// each with a city committee, a court with a department, a spare unit for the
// destructive requests, one person per role, and records of every kind.
//
//	qh 青禾省委政法委 (root: admin)
//	├── a 甲市委政法委 (a-admin, a-inspector)
//	│   ├── a-court 甲市法院 (a-leader, a-deputy, a-handler, a-jj, a-boss, a-vice)
//	│   │   └── a-dept 甲市法院刑庭 (a-officer, a-named)
//	│   └── a-spare 甲市备用单位
//	└── b 乙市委政法委 (the same people and records)
//
// a-named is an officer who also holds discipline over a-court, and is named
// in one lead of a-court (the "named lead"); a-boss and a-vice lead a-court
// (leader, deputy) and also hold discipline there, so without recusal they
// would read that lead. a-leader and a-deputy lead a-named's court too.

// authzRoles are the roles the matrix checks, in order; each is held by
// "<side>-<role>" over the side's subtree ("a-jj" holds discipline).
var authzRoles = []string{"admin", "leader", "deputy", "handler", "inspector", "discipline", "officer"}

// authzUser is the username holding role on a side.
func authzUser(side, role string) string {
	if role == "discipline" {
		return side + "-jj"
	}
	return side + "-" + role
}

// authzNamed are the askers a lead names, or who lead the unit of the person
// it names: for them the named lead must not exist.
var authzNamed = []string{"a-named", "a-boss", "a-vice", "a-leader", "a-deputy"}

// sideChar is the character that marks a side's records.
var sideChar = map[string]string{"a": "甲", "b": "乙"}

// authzMarks are the texts only people in a side's scope may read (the
// records' titles, subjects and private fields); markNamed is the named
// lead's subject.
func authzMarks(side string) map[string]string {
	c := sideChar[side]
	return map[string]string{
		"problem":    "台账标记" + c,
		"clue":       "线索标记" + c,
		"rated":      "已评线索标记" + c,
		"project":    "项目标记" + c,
		"pledge":     "承诺标记" + c,
		"study":      "学习标记" + c,
		"reflection": "心得标记" + c,
		"need-phone": map[string]string{"a": "13812345601", "b": "13812345602"}[side],
		"filter":     "筛选标记" + c,
		"attachment": "附件标记" + c,
	}
}

const markNamed = "点名线索标记"

type authzFixture struct {
	srv *httptest.Server
	ws  *web.Server
	db  *store.DB
	// ids[side][kind] is the id (or code, or username) of the side's record
	ids map[string]map[string]string
	// named is the named lead's id and number
	namedID, namedNumber string
	clients              map[string]*client
}

func (f *authzFixture) c(t *testing.T, username string) *client {
	if c, ok := f.clients[username]; ok {
		return c
	}
	var c *client
	if username == "anonymous" {
		c = newClient(t, f.srv)
	} else {
		c = loggedIn(t, f.srv, username)
	}
	f.clients[username] = c
	return c
}

func (f *authzFixture) id(t *testing.T, q string, args ...any) string {
	t.Helper()
	var id string
	if err := f.db.Read.QueryRow(q, args...).Scan(&id); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	return id
}

func mustStatus(t *testing.T, what string, r resp, want ...int) resp {
	t.Helper()
	for _, w := range want {
		if r.Status == w {
			return r
		}
	}
	t.Fatalf("fixture: %s: status %d, want %v\n%s", what, r.Status, want, shorten(r.Body))
	return r
}

// newAuthzFixture builds the tree, the people and the records on db. The named
// lead is made by addNamedLead, after the caller has looked at the pages
// without it.
func newAuthzFixture(t *testing.T, db *store.DB) *authzFixture {
	t.Helper()
	ctx := context.Background()
	units := []org.UnitInput{{Code: "qh", Name: "青禾省委政法委", Kind: "province"}}
	users := []org.UserInput{{Username: "root", Name: "总管理员", UnitCode: "qh", Roles: []org.RoleGrant{{Role: "admin"}}}}
	for _, s := range []string{"a", "b"} {
		c := sideChar[s]
		units = append(units,
			org.UnitInput{Code: s, Name: c + "市委政法委", Kind: "city", ParentCode: "qh"},
			org.UnitInput{Code: s + "-court", Name: c + "市法院", Kind: "organ", ParentCode: s},
			org.UnitInput{Code: s + "-dept", Name: c + "市法院刑庭", Kind: "department", ParentCode: s + "-court"},
			org.UnitInput{Code: s + "-spare", Name: c + "市备用单位", Kind: "organ", ParentCode: s})
		court := s + "-court"
		users = append(users,
			org.UserInput{Username: s + "-admin", Name: c + "管理员", UnitCode: s, Roles: []org.RoleGrant{{Role: "admin"}}},
			org.UserInput{Username: s + "-inspector", Name: c + "督察", UnitCode: s, Roles: []org.RoleGrant{{Role: "inspector"}}},
			org.UserInput{Username: s + "-leader", Name: c + "院长", UnitCode: court, Roles: []org.RoleGrant{{Role: "leader"}}},
			org.UserInput{Username: s + "-deputy", Name: c + "副院长", UnitCode: court, Roles: []org.RoleGrant{{Role: "deputy"}}},
			org.UserInput{Username: s + "-handler", Name: c + "承办人", UnitCode: court, Roles: []org.RoleGrant{{Role: "handler"}}},
			org.UserInput{Username: s + "-jj", Name: c + "纪检员", UnitCode: court, Roles: []org.RoleGrant{{Role: "discipline"}}},
			org.UserInput{Username: s + "-boss", Name: c + "纪检院长", UnitCode: court,
				Roles: []org.RoleGrant{{Role: "leader"}, {Role: "discipline"}}},
			org.UserInput{Username: s + "-vice", Name: c + "纪检副院长", UnitCode: court,
				Roles: []org.RoleGrant{{Role: "deputy"}, {Role: "discipline"}}},
			org.UserInput{Username: s + "-officer", Name: c + "干警", UnitCode: s + "-dept", Roles: []org.RoleGrant{{Role: "officer"}}},
			org.UserInput{Username: s + "-named", Name: c + "被举报人", UnitCode: s + "-dept",
				Roles: []org.RoleGrant{{Role: "officer"}, {Role: "discipline", ScopeCode: court}}},
			org.UserInput{Username: s + "-spareuser", Name: c + "备用人员", UnitCode: s + "-spare", Roles: []org.RoleGrant{{Role: "officer"}}},
		)
	}
	for _, u := range units {
		if _, err := org.CreateUnit(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users {
		u.Password = pw
		if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
			t.Fatalf("%s: %v", u.Username, err)
		}
	}
	ws := web.New(db, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	// thousands of requests from one address: no per-address caps or locks
	ws.Reports.Rules.PerDay, ws.Reports.Rules.LockAfter = 0, 1<<30
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	f := &authzFixture{srv: srv, ws: ws, db: db, ids: map[string]map[string]string{}, clients: map[string]*client{}}
	for _, s := range []string{"a", "b"} {
		f.seed(t, s)
	}
	return f
}

// seed records one side's records of every kind, each through the pages as
// the people who would make it.
func (f *authzFixture) seed(t *testing.T, s string) {
	t.Helper()
	m := authzMarks(s)
	court := s + "-court"
	ids := map[string]string{"unit": court, "spare-unit": s + "-spare", "user": s + "-officer", "spare-user": s + "-spareuser"}
	f.ids[s] = ids
	h, leader, jj, officer := f.c(t, s+"-handler"), f.c(t, s+"-leader"), f.c(t, s+"-jj"), f.c(t, s+"-officer")
	admin, pub := f.c(t, s+"-admin"), newClient(t, f.srv)

	// a ledger item with an evidence file, and a saved filter
	form := openForm(m["problem"])
	form.Set("unit_code", court)
	form.Set("responsible", s+"-handler")
	loc := createProblem(t, h, form)
	ids["problem"] = strings.TrimPrefix(loc, "/problems/")
	mustStatus(t, "progress", h.postFiles(loc+"/progress", url.Values{"percent": {"10"}, "note": {"进展"}},
		map[string][]byte{m["attachment"] + ".txt": []byte("证据")}), http.StatusSeeOther)
	ids["problem-file"] = f.id(t, `SELECT MAX(attachment_id) FROM problem_evidence WHERE problem_id = $1`, ids["problem"])
	// a second item, for the requests that close or change an item
	form.Set("title", m["problem"]+"二")
	ids["problem2"] = strings.TrimPrefix(createProblem(t, h, form), "/problems/")
	mustStatus(t, "filter", h.post("/problems/filters", url.Values{"name": {m["filter"]}, "query": {"status=open"}}), http.StatusSeeOther)
	ids["filter"] = f.id(t, `SELECT MAX(id) FROM saved_filters`)

	// leads: one open, one concluded and rated by its reporter
	rf := reportForm("某某")
	rf.Set("unit_code", s+"-dept")
	rf.Set("subject", m["clue"])
	mustStatus(t, "report", pub.postFiles("/report", rf, map[string][]byte{"现场.jpg": photo(t)}), http.StatusCreated)
	ids["clue"] = f.id(t, `SELECT MAX(id) FROM reports`)
	ids["clue-file"] = f.id(t, `SELECT MAX(id) FROM report_files`)
	rf.Set("subject", m["rated"])
	r := mustStatus(t, "report", pub.postFiles("/report", rf, nil), http.StatusCreated)
	receipt, key := receiptRe.FindStringSubmatch(r.Body)[1], keyRe.FindStringSubmatch(r.Body)[1]
	ids["rated-clue"] = f.id(t, `SELECT MAX(id) FROM reports`)
	path := "/clues/" + ids["rated-clue"]
	for _, step := range []struct {
		action string
		form   url.Values
	}{
		{"register", url.Values{"note": {"受理"}}},
		{"method", url.Values{"method": {"verify"}, "note": {"初核"}}},
		{"record", url.Values{"note": {"调查笔录"}}},
		{"conclude", url.Values{"conclusion": {"untrue"}, "note": {"经核实不属实"}}},
	} {
		mustStatus(t, step.action, jj.post(path+"/"+step.action, step.form), http.StatusSeeOther)
	}
	mustStatus(t, "rate", pub.post("/report/rate", url.Values{"receipt": {receipt}, "key": {key}, "level": {"1"},
		"comment": {"不满意"}}), http.StatusOK, http.StatusSeeOther)
	ids["rating"] = f.id(t, `SELECT MAX(id) FROM ratings`)

	// a project (not public) with a milestone, and a private pledge
	mustStatus(t, "project", h.post("/staff/projects", url.Values{"title": {m["project"]}, "area": {"worry"}, "unit_code": {court},
		"leader": {s + "-leader"}, "handler": {s + "-handler"}, "plan": {"方案"}, "start": {"2026-12-01"}, "end": {"2027-03-31"}}),
		http.StatusSeeOther)
	ids["project"] = f.id(t, `SELECT MAX(id) FROM projects`)
	mustStatus(t, "adopt", leader.post("/staff/projects/"+ids["project"]+"/advance", nil), http.StatusSeeOther)
	mustStatus(t, "milestone", h.post("/staff/projects/"+ids["project"]+"/milestone",
		url.Values{"due": {"2026-12-20"}, "what": {"方案印发"}, "weight": {"1"}}), http.StatusSeeOther)
	ids["milestone"] = f.id(t, `SELECT MAX(id) FROM project_milestones`)
	mustStatus(t, "milestone done", h.postFiles("/staff/projects/"+ids["project"]+"/done", url.Values{"milestone": {ids["milestone"]},
		"note": {"已印发"}}, map[string][]byte{"方案.pdf": []byte("%PDF-1.4 plan")}), http.StatusSeeOther)
	ids["project-file"] = f.id(t, `SELECT MAX(id) FROM attachments`)
	mustStatus(t, "pledge", h.post("/staff/pledges", url.Values{"unit_code": {court}, "content": {m["pledge"]},
		"due": {"2027-03-31"}}), http.StatusSeeOther)
	ids["pledge"] = f.id(t, `SELECT MAX(id) FROM pledges`)

	// a need proposed by the public, with a phone number only staff see
	r = mustStatus(t, "need", pub.post("/needs", url.Values{"unit_code": {court}, "area": {"worry"}, "title": {"点单" + sideChar[s]},
		"body": {"希望周末立案,电话 " + m["need-phone"]}}), http.StatusCreated)
	ids["need"] = needIDRe.FindStringSubmatch(r.Body)[1]

	// a study task with a file, and a reflection
	r = mustStatus(t, "study", leader.postStudyFile("/study", url.Values{"title": {m["study"]}, "unit_code": {court},
		"due": {"2099-12-31"}, "min_length": {"100"}, "material": {"材料"}}, "files", "材料.txt", []byte("材料")), http.StatusSeeOther)
	ids["study"] = f.id(t, `SELECT MAX(id) FROM study_tasks`)
	ids["study-file"] = f.id(t, `SELECT MAX(attachment_id) FROM study_task_files WHERE task_id = $1`, ids["study"])
	mustStatus(t, "reflection", officer.post("/study/"+ids["study"]+"/reflections",
		url.Values{"text": {m["reflection"] + ownReflection}}), http.StatusSeeOther)
	ids["reflection"] = f.id(t, `SELECT MAX(id) FROM study_reflections`)

	// a group robot of the court, and an API token of the officer
	mustStatus(t, "robot", admin.post("/units/"+court+"/robots", url.Values{"kind": {"dingtalk"},
		"url": {"https://oapi.dingtalk.com/robot/send?access_token=" + s}, "secret": {"SEC123"}}), http.StatusSeeOther)
	ids["robot"] = f.id(t, `SELECT MAX(id) FROM notify_webhooks`)
	mustStatus(t, "token", officer.post("/account/tokens", url.Values{"name": {"令牌" + s}}), http.StatusOK, http.StatusSeeOther)
	ids["token"] = f.id(t, `SELECT MAX(id) FROM api_tokens`)
}

// addNamedLead files the lead that names a-named (public report to a-dept
// accusing 甲被举报人) and returns its id and number.
func (f *authzFixture) addNamedLead(t *testing.T) {
	t.Helper()
	rf := reportForm("甲被举报人")
	rf.Set("unit_code", "a-dept")
	rf.Set("subject", markNamed)
	mustStatus(t, "named report", newClient(t, f.srv).postFiles("/report", rf, nil), http.StatusCreated)
	f.namedID = f.id(t, `SELECT MAX(id) FROM reports`)
	f.namedNumber = f.id(t, `SELECT number FROM reports WHERE id = $1`, f.namedID)
	var named int
	f.db.Read.QueryRow(`SELECT COUNT(*) FROM report_named WHERE report_id = $1`, f.namedID).Scan(&named)
	if named != 1 {
		t.Fatalf("the named lead names %d people, want 1 (a-named)", named)
	}
}
