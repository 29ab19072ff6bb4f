package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// Cheap hashing: the tests create many accounts. (An init, not a TestMain,
// so other test files of this package may have their own set-up.)
func init() { org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1} }

const pw = "passw0rd-123"

var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

// fixture builds a small tree:
//
//	qh 青禾省委政法委
//	├── city1 一市 ── county1 一县
//	└── city2 二市
//
// and people: admin (admin at qh), handler1 (handler in county1), officer1
// (officer in city2), inspector1 (inspector in city1).
func fixture(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	for _, u := range []org.UnitInput{
		{Code: "qh", Name: "青禾省委政法委", Kind: "province"},
		{Code: "city1", Name: "一市委政法委", Kind: "city", ParentCode: "qh"},
		{Code: "county1", Name: "一县委政法委", Kind: "county", ParentCode: "city1"},
		{Code: "city2", Name: "二市委政法委", Kind: "city", ParentCode: "qh"},
	} {
		if _, err := org.CreateUnit(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []org.UserInput{
		{Username: "admin", Name: "管理员", UnitCode: "qh", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "handler1", Name: "张承办", UnitCode: "county1", Roles: []org.RoleGrant{{Role: "handler"}}},
		{Username: "officer1", Name: "李干警", UnitCode: "city2", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "inspector1", Name: "王督察", UnitCode: "city1", Roles: []org.RoleGrant{{Role: "inspector"}}},
	} {
		u.Password = pw
		if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(web.New(db, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// client is a browser stand-in: a cookie jar, and redirects not followed so
// tests see them.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	Status   int
	Body     string
	Location string
}

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	r, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{Status: r.StatusCode, Body: string(b), Location: r.Header.Get("Location")}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) resp {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) login(username string) {
	c.t.Helper()
	r := c.post("/login", url.Values{"username": {username}, "password": {pw}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d\n%s", username, r.Status, r.Body)
	}
}

func loggedIn(t *testing.T, srv *httptest.Server, username string) *client {
	c := newClient(t, srv)
	c.login(username)
	return c
}

func expect(t *testing.T, r resp, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d\n%s", r.Status, status, r.Body)
		return
	}
	body := html.UnescapeString(r.Body)
	for _, s := range contains {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %q\n%s", s, r.Body)
		}
	}
}

func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := newClient(t, srv)
		r := c.get("/login")
		expect(t, r, 200, `<html lang="zh-CN">`, `id="login-form"`, `name="username"`, `name="password"`, `type="submit"`,
			`/static/vendor/htmx-2.0.11.min.js`, `name="htmx-config"`)

		r = c.post("/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
		expect(t, r, http.StatusUnauthorized, `class="alert-error" role="alert"`, "用户名或密码错误。")
		if !strings.Contains(r.Body, `value="admin"`) {
			t.Error("the username is not kept")
		}
		r = c.post("/login", url.Values{"username": {"nobody"}, "password": {"whatever-123"}})
		expect(t, r, http.StatusUnauthorized, "用户名或密码错误。")

		r = c.post("/login", url.Values{"username": {"admin"}, "password": {pw}})
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Fatalf("login: %d %q", r.Status, r.Location)
		}
		r = c.get("/")
		expect(t, r, 200, "<h1>工作台</h1>", `id="logout-form"`, "管理员", "青禾省委政法委", `href="/audit"`, `href="/settings"`,
			`id="stat-units">4<`, `id="stat-people">4<`)

		// logout ends the session
		r = c.post("/logout", nil)
		if r.Status != http.StatusSeeOther || r.Location != "/login" {
			t.Fatalf("logout: %d %q", r.Status, r.Location)
		}
		if r = c.get("/"); r.Status != http.StatusSeeOther {
			t.Fatalf("after logout: %d", r.Status)
		}
	})
}

func TestLockoutMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := newClient(t, srv)
		for range 5 {
			c.post("/login", url.Values{"username": {"officer1"}, "password": {"wrong-password"}})
		}
		r := c.post("/login", url.Values{"username": {"officer1"}, "password": {pw}})
		expect(t, r, http.StatusTooManyRequests, "账号已临时锁定")
	})
}

func TestAnonymous(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := newClient(t, srv)
		for _, p := range []string{"/", "/units", "/units/qh", "/users", "/audit", "/account", "/settings"} {
			r := c.get(p)
			if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
				t.Errorf("GET %s: %d %q", p, r.Status, r.Location)
			}
		}
		if r := c.get("/units"); r.Location != "/login?next=%2Funits" {
			t.Errorf("next: %q", r.Location)
		}
		if r := c.post("/units", url.Values{"code": {"x"}, "name": {"x"}, "parent_code": {"qh"}}); r.Status != http.StatusUnauthorized {
			t.Errorf("anonymous POST: %d", r.Status)
		}
		// the page asked for before signing in is where login leads
		r := c.post("/login", url.Values{"username": {"admin"}, "password": {pw}, "next": {"/units"}})
		if r.Location != "/units" {
			t.Errorf("next after login: %q", r.Location)
		}
		c2 := newClient(t, srv)
		r = c2.post("/login", url.Values{"username": {"admin"}, "password": {pw}, "next": {"//evil.example/"}})
		if r.Location != "/" {
			t.Errorf("open redirect after login: %q", r.Location)
		}
		if r := c.get("/no/such/page"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "页面不存在") {
			t.Errorf("unknown page: %d", r.Status)
		}
		if r := c.get("/api/v1/no-such-thing"); r.Status != http.StatusNotFound || !strings.HasPrefix(r.Body, `{"error"`) {
			t.Errorf("unknown API path: %d %s", r.Status, r.Body)
		}
	})
}

func TestLanguageSwitch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "admin")
		r := c.get("/lang?to=en&back=/units")
		if r.Status != http.StatusSeeOther || r.Location != "/units" {
			t.Fatalf("switch: %d %q", r.Status, r.Location)
		}
		expect(t, c.get("/"), 200, `<html lang="en">`, "<h1>Workbench</h1>", "Sign out")
		expect(t, c.get("/units"), 200, `<html lang="en">`, "Units") // remembered on the next pages
		// a wrong password in English
		c2 := newClient(t, srv)
		c2.get("/lang?to=en&back=/login")
		expect(t, c2.post("/login", url.Values{"username": {"admin"}, "password": {"nope-nope"}}), 401, "Wrong username or password")
		// back to Chinese
		c.get("/lang?to=zh&back=/")
		expect(t, c.get("/"), 200, `<html lang="zh-CN">`, "<h1>工作台</h1>")
		// no open redirect
		for _, back := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "evil"} {
			if r := c.get("/lang?to=en&back=" + url.QueryEscape(back)); r.Location != "/" {
				t.Errorf("back=%q redirects to %q", back, r.Location)
			}
		}
	})
}

func unitCount(t *testing.T, db *store.DB) int {
	_, n, err := org.ListUnits(context.Background(), db, setup, org.UnitFilter{IncludeClosed: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUnitCreateAndDuplicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "admin")
		expect(t, c.get("/units/new"), 200, `id="unit-form"`, `name="code"`, `name="name"`, `name="parent_code"`, `name="kind"`)
		r := c.post("/units", url.Values{"code": {"court1"}, "name": {"一县人民法院"}, "parent_code": {"county1"}, "kind": {"organ"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/units/court1") {
			t.Fatalf("create: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		expect(t, c.get(r.Location), 200, "<h1>一县人民法院</h1>", "单位已创建。", "一市委政法委", `id="breadcrumb"`)

		before := unitCount(t, db)
		r = c.post("/units", url.Values{"code": {"court1"}, "name": {"另一个法院"}, "parent_code": {"qh"}})
		expect(t, r, http.StatusConflict, `class="alert-error"`, `class="field-error"`, "单位编码“court1”已被使用,请换一个。",
			`value="另一个法院"`, `value="qh"`)
		if unitCount(t, db) != before {
			t.Error("a refused duplicate changed the unit count")
		}
		u, _ := org.UnitByCode(context.Background(), db.Read, "court1")
		if u.Name != "一县人民法院" || u.ParentCode != "county1" {
			t.Errorf("the duplicate changed the unit: %+v", u)
		}
		// empty name: 400 with the field message
		expect(t, c.post("/units", url.Values{"code": {"x1"}, "name": {""}, "parent_code": {"qh"}}), 400, "请填写单位名称。")

		// tree and children fragment
		expect(t, c.get("/units"), 200, `id="unit-tree"`, "青禾省委政法委", `hx-get="/units/qh/children"`)
		expect(t, c.get("/units/qh/children"), 200, "一市委政法委", "二市委政法委")
		expect(t, c.get("/units?q=法院"), 200, "一县人民法院")
		expect(t, c.get("/units/picker?field=parent_code&parent_code=county"), 200, `data-pick="county1"`)

		// rename and close
		r = c.post("/units/court1/rename", url.Values{"name": {"一县法院"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("rename: %d\n%s", r.Status, r.Body)
		}
		expect(t, c.post("/units/court1/close", nil), 400, "请勾选确认")
		if r = c.post("/units/court1/close", url.Values{"confirm": {"yes"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("close: %d\n%s", r.Status, r.Body)
		}
		expect(t, c.get("/units/court1"), 200, "<h1>一县法院</h1>", "已撤销")
		// a unit with sub-units cannot be closed
		expect(t, c.post("/units/city1/close", url.Values{"confirm": {"yes"}}), http.StatusConflict, "请先调整后再撤销")
	})
}

func TestUnitMoveIntoDescendant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "admin")
		r := c.post("/units/city1/move", url.Values{"parent_code": {"county1"}})
		expect(t, r, 400, "不能把单位移动到它自己或它的下级单位之下。", `class="field-error"`, `id="move-form"`)
		u, _ := org.UnitByCode(context.Background(), db.Read, "city1")
		if u.ParentCode != "qh" {
			t.Errorf("city1 moved to %q", u.ParentCode)
		}
		// a proper move works
		if r := c.post("/units/county1/move", url.Values{"parent_code": {"city2"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("move: %d\n%s", r.Status, r.Body)
		}
		u, _ = org.UnitByCode(context.Background(), db.Read, "county1")
		if u.ParentCode != "city2" {
			t.Errorf("county1 is under %q", u.ParentCode)
		}
	})
}

func xlsx(t *testing.T, rows [][]string) []byte {
	f := excelize.NewFile()
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			f.SetCellValue("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (c *client) upload(path string, file []byte) resp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "units.xlsx")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestUnitImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "admin")
		expect(t, c.get("/units/import"), 200, `id="import-form"`, `name="file"`)
		before := unitCount(t, db)
		bad := xlsx(t, [][]string{
			org.UnitSheetHeader,
			{"org-a", "甲单位", "qh", "organ"},
			{"bad code!", "乙单位", "qh", ""},
			{"org-c", "", "qh", ""},
		})
		r := c.upload("/units/import", bad)
		expect(t, r, 400, `id="import-errors"`, "第 3 行", "单位编码只能包含字母", "第 4 行", "请填写单位名称。", "未写入任何数据")
		if unitCount(t, db) != before {
			t.Error("a rejected import wrote units")
		}
		if _, err := org.UnitByCode(context.Background(), db.Read, "org-a"); err == nil {
			t.Error("the good row of a rejected import was written")
		}
		// not a spreadsheet
		expect(t, c.upload("/units/import", []byte("hello")), 400, "请上传 .xlsx 格式的 Excel 文件")

		// the template imports as it is
		tr, err := c.c.Get(c.base + "/units/import/template.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		tpl, _ := io.ReadAll(tr.Body)
		tr.Body.Close()
		if tr.StatusCode != 200 || !strings.Contains(tr.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("template: %d %s", tr.StatusCode, tr.Header.Get("Content-Type"))
		}
		rows, _, err := org.ParseUnitSheet(bytes.NewReader(tpl))
		if err != nil || len(rows) != 2 {
			t.Fatalf("template rows: %v %v", rows, err)
		}
		expect(t, c.upload("/units/import", tpl), 200, "导入成功,共新建 2 个单位。")
		if unitCount(t, db) != before+2 {
			t.Error("the template import did not create 2 units")
		}
	})
}

func TestUserCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "admin")
		expect(t, c.get("/users/new"), 200, `id="user-form"`, `name="role"`, `name="scope_inspector"`)
		form := url.Values{"username": {"newbie"}, "name": {"新人"}, "unit_code": {"city1"}, "role": {"bogus"}, "password": {pw}}
		r := c.post("/users", form)
		expect(t, r, 400, "不存在角色“bogus”", `class="field-error"`, `value="newbie"`)
		if strings.Contains(r.Body, pw) {
			t.Error("the password was echoed")
		}
		if _, err := org.UserByUsername(context.Background(), db.Read, "newbie"); err == nil {
			t.Fatal("a user with an unknown role was created")
		}
		form["role"] = []string{"officer", "inspector"}
		form.Set("scope_inspector", "qh")
		r = c.post("/users", form)
		if r.Status != http.StatusSeeOther || r.Location != "/users/newbie?done=user_created" {
			t.Fatalf("create: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		expect(t, c.get("/users/newbie"), 200, "<h1>新人</h1>", "督察 @ qh", "干警")
		expect(t, c.get("/users?role=inspector"), 200, "newbie", "inspector1")
		expect(t, c.get("/users?unit=city2"), 200, "officer1")

		// edit: disable, then the person cannot sign in
		r = c.post("/users/newbie", url.Values{"name": {"新人甲"}, "unit_code": {"city1"}, "role": {"officer"}, "disabled": {"yes"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", r.Status, r.Body)
		}
		expect(t, newClient(t, srv).post("/login", url.Values{"username": {"newbie"}, "password": {pw}}), 401)

		// a reset password must be changed at the next login
		if r = c.post("/users/handler1/reset-password", url.Values{"new_password": {"temp-pass-1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reset: %d\n%s", r.Status, r.Body)
		}
		h := newClient(t, srv)
		r = h.post("/login", url.Values{"username": {"handler1"}, "password": {"temp-pass-1"}})
		if r.Location != "/account/password" {
			t.Fatalf("after reset, login leads to %q", r.Location)
		}
		expect(t, h.get("/"), 200, "请修改密码")
		expect(t, h.post("/account/password", url.Values{"old_password": {"temp-pass-1"}, "new_password": {"new-pass-22"},
			"new_password2": {"new-pass-33"}}), 400, "两次输入的新密码不一致。")
		r = h.post("/account/password", url.Values{"old_password": {"temp-pass-1"}, "new_password": {"new-pass-22"}, "new_password2": {"new-pass-22"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("change password: %d\n%s", r.Status, r.Body)
		}
		expect(t, h.get(r.Location), 200, "密码已修改。")
	})
}

func TestScopeAndRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		h := loggedIn(t, srv, "handler1")
		expect(t, h.get("/units/county1"), 200, "<h1>一县委政法委</h1>")
		r := h.get("/units/city2")
		expect(t, r, 404)
		if strings.Contains(r.Body, "二市") {
			t.Error("the 404 page names the unit")
		}
		expect(t, h.get("/units/no-such-unit"), 404)
		expect(t, h.get("/users/officer1"), 404)
		expect(t, h.get("/units/city2/children"), 404)
		// no writes for a handler
		expect(t, h.post("/units/county1/rename", url.Values{"name": {"改名"}}), 403)
		expect(t, h.get("/units/new"), 403)
		if strings.Contains(h.get("/").Body, `href="/audit"`) {
			t.Error("the menu offers the audit log to a handler")
		}

		o := loggedIn(t, srv, "officer1")
		expect(t, o.get("/audit"), 403)
		expect(t, o.get("/settings"), 403)
		expect(t, o.post("/settings/totp-roles", url.Values{"role": {"officer"}}), 403)

		// an inspector sees the trail of their subtree only
		i := loggedIn(t, srv, "inspector1")
		r = i.get("/audit?action=unit.create")
		expect(t, r, 200, "county1", "新建单位")
		if strings.Contains(r.Body, ">city2<") {
			t.Error("the inspector sees an entry outside their subtree")
		}
		expect(t, i.get("/audit?from=yesterday"), 400, "日期格式不正确")

		a := loggedIn(t, srv, "admin")
		expect(t, a.get("/audit"), 200, `id="audit-list"`, "city2", "auth.login")
		expect(t, a.post("/audit/verify", nil), 200, "审计链完整")
	})
}

var secretRE = regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7]+)<`)
var tokenRE = regexp.MustCompile(`id="new-token"[^>]*>(lst_[A-Za-z0-9_-]+)<`)

func TestAccountTOTPAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "inspector1")
		expect(t, c.get("/"), 200, "建议开启双因素认证")
		r := c.get("/login/totp/setup")
		expect(t, r, 200, `id="totp-form"`, `name="code"`, `src="data:image/png;base64,`)
		m := secretRE.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no secret\n%s", r.Body)
		}
		// reloading keeps the same secret (a phone may have scanned it)
		if m2 := secretRE.FindStringSubmatch(c.get("/login/totp/setup").Body); m2 == nil || m2[1] != m[1] {
			t.Fatal("the pending secret changed on reload")
		}
		expect(t, c.post("/login/totp/setup", url.Values{"code": {"000000"}}), 401, "动态验证码不正确")
		code, _ := totp.GenerateCode(m[1], time.Now())
		r = c.post("/login/totp/setup", url.Values{"code": {code}})
		if r.Status != http.StatusSeeOther || r.Location != "/account?done=totp_enabled" {
			t.Fatalf("enable: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		expect(t, c.get(r.Location), 200, "双因素认证已开启", `data-enabled="true"`)

		// signing in now asks for the code
		c2 := newClient(t, srv)
		r = c2.post("/login", url.Values{"username": {"inspector1"}, "password": {pw}})
		if r.Location != "/login/totp" {
			t.Fatalf("login with TOTP: %q", r.Location)
		}
		if r = c2.get("/units"); r.Location != "/login/totp" {
			t.Fatalf("half-signed-in GET: %q", r.Location)
		}
		expect(t, c2.get("/login/totp"), 200, `id="totp-form"`)
		code, _ = totp.GenerateCode(m[1], time.Now().Add(30*time.Second)) // the next step: a code is used once
		if r = c2.post("/login/totp", url.Values{"code": {code}}); r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Fatalf("totp login: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		expect(t, c2.get("/"), 200, "<h1>工作台</h1>")

		// an admin resets the second factor
		a := loggedIn(t, srv, "admin")
		if r = a.post("/users/inspector1/totp/reset", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("totp reset: %d\n%s", r.Status, r.Body)
		}
		if u, _ := org.UserByUsername(context.Background(), db.Read, "inspector1"); u.TOTPEnabled {
			t.Error("TOTP still enabled after reset")
		}

		// API tokens: shown once, listed, revoked
		r = c.post("/account/tokens", url.Values{"name": {"报表系统"}})
		expect(t, r, 200, `id="new-token"`, "报表系统")
		tm := tokenRE.FindStringSubmatch(r.Body)
		if tm == nil {
			t.Fatalf("no token shown\n%s", r.Body)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
		req.Header.Set("Authorization", "Bearer "+tm[1])
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("token use: %v", err)
		}
		acc := c.get("/account")
		if strings.Contains(acc.Body, tm[1]) {
			t.Error("the token secret is shown again")
		}
		idm := regexp.MustCompile(`/account/tokens/(\d+)/revoke`).FindStringSubmatch(acc.Body)
		if idm == nil {
			t.Fatal("no revoke form")
		}
		if r = c.post("/account/tokens/"+idm[1]+"/revoke", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.Status)
		}
		expect(t, c.get("/account"), 200, "已吊销")
		expect(t, a.post("/account/tokens/"+idm[1]+"/revoke", nil), 404) // not theirs
	})
}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		a := loggedIn(t, srv, "admin")
		expect(t, a.get("/settings"), 200, `id="totp-roles-form"`)
		r := a.post("/settings/totp-roles", url.Values{"role": {"discipline", "admin"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", r.Status, r.Body)
		}
		expect(t, a.get(r.Location), 200, "设置已保存。")
		// the admin now has to enrol at the next login
		r = newClient(t, srv).post("/login", url.Values{"username": {"admin"}, "password": {pw}})
		if r.Location != "/login/totp/setup" {
			t.Fatalf("enrol: %q", r.Location)
		}
	})
}
