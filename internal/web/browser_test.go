package web_test

// Browser tests: the staff app in headless Chromium (see internal/web/browsertest).
// They run on SQLite only; the pages_test.go tests cover both engines over HTTP.
// Every test also fails on any JavaScript error and on any request that leaves
// the test server (browsertest checks both when the test ends).

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// browserFixture starts the fixture server (see pages_test.go) on SQLite and a
// browser. The browser comes last, so it is stopped before the server.
func browserFixture(t *testing.T) (*browsertest.Browser, *httptest.Server, *store.DB) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	srv := fixture(t, db)
	return browsertest.New(t), srv, db
}

// browserLogin signs username in through the login form and checks that the
// workbench opens.
func browserLogin(t *testing.T, b *browsertest.Browser, srv *httptest.Server, username string) {
	t.Helper()
	b.Navigate(srv.URL + "/login")
	if st := b.Submit("#login-form", url.Values{"username": {username}, "password": {pw}}); st != http.StatusOK {
		t.Fatalf("login %s: status %d", username, st)
	}
	if got := b.Text("h1"); got != "工作台" {
		t.Fatalf("after login %s: h1 %q, want 工作台", username, got)
	}
}

func TestBrowserLogin(t *testing.T) {
	b, srv, _ := browserFixture(t)

	if st := b.Navigate(srv.URL + "/login"); st != http.StatusOK {
		t.Fatalf("login page: status %d", st)
	}
	if lang, _ := b.Attr("html", "lang"); lang != "zh-CN" {
		t.Errorf("html lang %q, want zh-CN", lang)
	}
	// the scripts load under the CSP and run
	if !browsertest.Eval[bool](b, `typeof htmx === "object"`) {
		t.Error("htmx did not load")
	}

	// a wrong password: the Chinese error in the alert, the username kept
	st := b.Submit("#login-form", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
	if st != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", st)
	}
	if got := b.Text(".alert-error"); got != "用户名或密码错误。" {
		t.Errorf("wrong password: alert %q", got)
	}
	if got := browsertest.Eval[string](b, `document.querySelector("#f-username").value`); got != "admin" {
		t.Errorf("the username is not kept: %q", got)
	}
	if n := b.Count("#who"); n != 0 {
		t.Error("a wrong password signed in")
	}

	// the right one: the workbench
	if st := b.Submit("#login-form", url.Values{"username": {"admin"}, "password": {pw}}); st != http.StatusOK {
		t.Fatalf("login: status %d", st)
	}
	if u := b.URL(); u != srv.URL+"/" {
		t.Errorf("after login at %s", u)
	}
	if got := b.Text("h1"); got != "工作台" {
		t.Errorf("h1 %q, want 工作台", got)
	}
	if got := b.Text("#who .who-name"); got != "管理员" {
		t.Errorf("signed in as %q", got)
	}
	if b.Cookie("luoshi_session") == "" {
		t.Error("no session cookie")
	}
	if c := browsertest.Eval[string](b, `document.cookie`); strings.Contains(c, "luoshi_session") {
		t.Error("the session cookie is readable from JavaScript")
	}

	// the recorder saw the page's own requests, and nothing else
	reqs := strings.Join(b.Requests(), "\n")
	for _, want := range []string{srv.URL + "/static/app.js", srv.URL + "/static/app.css", srv.URL + "/static/vendor/htmx-"} {
		if !strings.Contains(reqs, want) {
			t.Errorf("no request for %s among\n%s", want, reqs)
		}
	}
	if off := b.OffHost(srv.URL); len(off) > 0 {
		t.Errorf("requests left the test server: %v", off)
	}
	if errs := b.JSErrors(); len(errs) > 0 {
		t.Errorf("JavaScript errors: %v", errs)
	}

	// sign out
	if st := b.ClickAndWait(`#logout-form [type="submit"]`); st != http.StatusOK || !strings.HasSuffix(b.URL(), "/login") {
		t.Errorf("logout: status %d at %s", st, b.URL())
	}
}

func TestBrowserUnitCreate(t *testing.T) {
	b, srv, db := browserFixture(t)
	browserLogin(t, b, srv, "admin")

	b.Navigate(srv.URL + "/units/new")
	b.Fill("#unit-form", url.Values{"code": {"court1"}, "name": {"一县人民法院"}, "kind": {"organ"}})
	// the parent through the picker: typing asks the server (htmx), a click fills the field
	b.Type("#f-parent_code", "county")
	b.Click(`#unit-form .picker-results button.pick[data-pick="county1"]`)
	if v := browsertest.Eval[string](b, `document.querySelector("#f-parent_code").value`); v != "county1" {
		t.Fatalf("the picker left %q in the parent field", v)
	}
	if st := b.ClickAndWait(`#unit-form [type="submit"]`); st != http.StatusOK {
		t.Fatalf("create: status %d", st)
	}
	if u := b.URL(); !strings.HasPrefix(u, srv.URL+"/units/court1") {
		t.Errorf("after create at %s", u)
	}
	if got := b.Text("h1"); got != "一县人民法院" {
		t.Errorf("h1 %q", got)
	}
	if got := b.Text(".alert-success"); got != "单位已创建。" {
		t.Errorf("flash %q", got)
	}

	// the same code again: refused in Chinese, the form kept, nothing changed
	before := unitCount(t, db)
	b.Navigate(srv.URL + "/units/new")
	st := b.Submit("#unit-form", url.Values{"code": {"court1"}, "name": {"另一个法院"}, "parent_code": {"qh"}})
	if st != http.StatusConflict {
		t.Errorf("duplicate: status %d, want 409", st)
	}
	const msg = "单位编码“court1”已被使用,请换一个。"
	if got := b.Text("#main .alert-error"); got != msg {
		t.Errorf("duplicate: alert %q, want %q", got, msg)
	}
	if got := b.Text("#unit-form .field-error"); got != msg {
		t.Errorf("duplicate: field error %q", got)
	}
	if got := browsertest.Eval[string](b, `document.querySelector("#f-name").value`); got != "另一个法院" {
		t.Errorf("the name is not kept: %q", got)
	}
	if unitCount(t, db) != before {
		t.Error("a refused duplicate changed the unit count")
	}
	u, err := org.UnitByCode(context.Background(), db.Read, "court1")
	if err != nil || u.Name != "一县人民法院" || u.ParentCode != "county1" {
		t.Errorf("the duplicate changed the unit: %+v %v", u, err)
	}
}

func TestBrowserLanguage(t *testing.T) {
	b, srv, _ := browserFixture(t)
	browserLogin(t, b, srv, "admin")

	if st := b.ClickAndWait("#lang-switch #lang-en"); st != http.StatusOK {
		t.Fatalf("switch to English: status %d", st)
	}
	check := func(where, lang, h1 string) {
		t.Helper()
		if got, _ := b.Attr("html", "lang"); got != lang {
			t.Errorf("%s: html lang %q, want %q", where, got, lang)
		}
		if got := b.Text("h1"); got != h1 {
			t.Errorf("%s: h1 %q, want %q", where, got, h1)
		}
	}
	check("after the switch", "en", "Workbench")
	if got := b.Cookie("luoshi_lang"); got != "en" {
		t.Errorf("language cookie %q", got)
	}
	// remembered on the next loads
	b.Navigate(srv.URL + "/units")
	check("/units", "en", "Units")
	b.Navigate(srv.URL + "/")
	check("/ again", "en", "Workbench")
	if got := b.Text("#logout-form"); got != "Sign out" {
		t.Errorf("logout button %q", got)
	}

	// and back
	if st := b.ClickAndWait("#lang-switch #lang-zh"); st != http.StatusOK {
		t.Fatalf("switch to Chinese: status %d", st)
	}
	check("back in Chinese", "zh-CN", "工作台")
	b.Navigate(srv.URL + "/")
	check("/ in Chinese", "zh-CN", "工作台")
}

// TestBrowserPhone: at 375 px nothing overflows sideways and the menu folds
// behind the ☰ button, which opens it.
func TestBrowserPhone(t *testing.T) {
	b, srv, _ := browserFixture(t)
	b.SetViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch)
	noOverflow := func(where string) {
		t.Helper()
		if w := browsertest.Eval[int](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s: the page is %d px wide at a 375 px viewport", where, w)
		}
	}
	b.Navigate(srv.URL + "/login")
	noOverflow("login")
	browserLogin(t, b, srv, "admin")
	noOverflow("home")
	if vw := browsertest.Eval[int](b, `window.innerWidth`); vw != 375 {
		t.Errorf("viewport %d px wide, want 375", vw)
	}

	const menuLink = `#menu a[href="/units"]`
	if browsertest.Eval[bool](b, `getComputedStyle(document.querySelector("#menu")).display !== "none"`) {
		t.Error("the menu is open before the ☰ button is pressed")
	}
	b.Click(`label[for="nav-toggle"]`)
	b.Visible(menuLink)
	rect := browsertest.Eval[struct {
		Left   float64 `json:"left"`
		Right  float64 `json:"right"`
		Top    float64 `json:"top"`
		Bottom float64 `json:"bottom"`
	}](b,
		`(r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom}))(document.querySelector('`+menuLink+`').getBoundingClientRect())`)
	if rect.Left < 0 || rect.Right > 375 || rect.Top < 0 || rect.Bottom > 812 || rect.Right-rect.Left < 40 {
		t.Errorf("the menu link is not on the screen: %+v", rect)
	}
	noOverflow("home with the menu open")
	if st := b.ClickAndWait(menuLink); st != http.StatusOK {
		t.Fatalf("menu link: status %d", st)
	}
	if got := b.Text("h1"); got != "单位管理" {
		t.Errorf("the menu led to %q", got)
	}
	noOverflow("units")
}

func TestBrowserTOTP(t *testing.T) {
	b, srv, db := browserFixture(t)
	browserLogin(t, b, srv, "inspector1")

	b.Navigate(srv.URL + "/account")
	if v, _ := b.Attr("#totp-status", "data-enabled"); v != "false" {
		t.Fatalf("TOTP status before: %q", v)
	}
	if st := b.ClickAndWait("#totp-enable"); st != http.StatusOK {
		t.Fatalf("set-up page: status %d", st)
	}
	secret := b.Text("#totp-secret")
	if len(secret) < 16 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("secret %q", secret)
	}
	// the QR code (a data: image under the CSP) is drawn
	if w := browsertest.Eval[int](b, `document.querySelector(".qr img").naturalWidth`); w == 0 {
		t.Error("the QR code image did not load")
	}

	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st := b.Submit("#totp-form", url.Values{"code": {code}}); st != http.StatusOK {
		t.Fatalf("confirm: status %d", st)
	}
	if u := b.URL(); u != srv.URL+"/account?done=totp_enabled" {
		t.Errorf("after confirming at %s", u)
	}
	if got := b.Text(".alert-success"); got != "双因素认证已开启。" {
		t.Errorf("flash %q", got)
	}
	if v, _ := b.Attr("#totp-status", "data-enabled"); v != "true" {
		t.Errorf("TOTP status after: %q", v)
	}
	if u, _ := org.UserByUsername(context.Background(), db.Read, "inspector1"); !u.TOTPEnabled {
		t.Error("TOTP is not enabled in the database")
	}

	// signing in again asks for the code
	b.ClickAndWait(`#logout-form [type="submit"]`)
	b.Navigate(srv.URL + "/login")
	b.Submit("#login-form", url.Values{"username": {"inspector1"}, "password": {pw}})
	if u := b.URL(); u != srv.URL+"/login/totp" {
		t.Fatalf("login with TOTP led to %s", u)
	}
	code, _ = totp.GenerateCode(secret, time.Now().Add(30*time.Second)) // a code counts once: take the next step's
	if st := b.Submit("#totp-form", url.Values{"code": {code}}); st != http.StatusOK {
		t.Fatalf("TOTP login: status %d", st)
	}
	if got := b.Text("h1"); got != "工作台" {
		t.Errorf("after the TOTP login: h1 %q", got)
	}
}
