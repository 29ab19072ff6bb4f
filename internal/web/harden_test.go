package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// TestSecurityHeadersOnEveryKindOfAnswer checks the headers on public pages,
// staff pages, redirects, error pages, static files and the API: a strict CSP
// with no inline script and frame-ancestors 'none', no referrer, every
// powerful browser feature denied. Plain HTTP on loopback sends no HSTS.
func TestSecurityHeadersOnEveryKindOfAnswer(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := fixture(t, db)
	c := loggedIn(t, srv, "admin")
	anon := srv.Client()
	anon.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		client *http.Client
		path   string
		status int
	}{
		{anon, "/report", 200},
		{anon, "/report/lookup", 200},
		{anon, "/transparency", 200},
		{anon, "/projects", 200},
		{anon, "/login", 200},
		{anon, "/healthz", 200},
		{anon, "/static/app.css", 200},
		{anon, "/api/v1/openapi.json", 200},
		{anon, "/no-such-page", 404},
		{anon, "/api/v1/me", 401},
		{anon, "/problems", 303},
		{c.c, "/", 200},
		{c.c, "/units", 200},
		{c.c, "/api/v1/me", 200},
	} {
		res, err := tc.client.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, res.StatusCode, tc.status)
		}
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0], "unsafe-inline") {
			t.Errorf("%s: CSP allows inline or eval'd script: %s", tc.path, csp)
		}
		if got := h.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", tc.path, got)
		}
		pp := h.Get("Permissions-Policy")
		for _, f := range []string{"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"} {
			if !strings.Contains(pp, f) {
				t.Errorf("%s: Permissions-Policy %q lacks %s", tc.path, pp, f)
			}
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: framing/sniffing headers %q %q", tc.path, h.Get("X-Frame-Options"), h.Get("X-Content-Type-Options"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", tc.path)
		}
	}
}

// TestBehindTLSProxy: told that a proxy terminates HTTPS, the server marks
// every cookie Secure (besides HttpOnly and SameSite), sends HSTS, and counts
// the public caps per address the proxy appended to X-Forwarded-For, not per
// proxy and not per address a client forged in front of it.
func TestBehindTLSProxy(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fixture(t, db) // units and people
	cfg := &config.Config{Addr: "0.0.0.0:8080", DataDir: t.TempDir(), BehindTLSProxy: true, PublicPerDay: 1}
	if err := cfg.Validate(); err != nil || !cfg.SecureCookies {
		t.Fatalf("behind a TLS proxy cookies must be Secure: %v %+v", err, cfg)
	}
	srv := httptest.NewServer(web.New(db, cfg, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)
	cl := srv.Client()
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := cl.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Fatalf("login: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	for _, ck := range res.Cookies() {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite == http.SameSiteNoneMode || ck.SameSite == http.SameSiteDefaultMode {
			t.Errorf("cookie %s: Secure %v HttpOnly %v SameSite %v", ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite)
		}
	}
	if got := res.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
		t.Errorf("no HSTS behind a TLS proxy: %q", got)
	}

	submit := func(xff ...string) int {
		body := `{"category":"work","unit_code":"county1","subject":"代理测试","content":"` + strings.Repeat("内容", 20) + `"}`
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/public/reports", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for _, x := range xff {
			req.Header.Add("X-Forwarded-For", x)
		}
		res, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for i, tc := range []struct {
		xff  []string
		want int
	}{
		{[]string{"203.0.113.7"}, 201},
		{[]string{"198.51.100.9"}, 201},            // another reporter behind the same proxy
		{[]string{"203.0.113.7"}, 429},             // the first one again: over the cap
		{[]string{"10.9.9.9, 203.0.113.7"}, 429},   // a forged entry in front changes nothing
		{[]string{"1.1.1.1", "203.0.113.7"}, 429},  // nor as a header line of its own
		{[]string{"203.0.113.7, 192.0.2.44"}, 201}, // the proxy's entry counts
		{[]string{"not-an-address"}, 201},          // unreadable: the proxy's own address counts
		{[]string{"also garbage"}, 429},            // ... and that one is now used up
	} {
		if got := submit(tc.xff...); got != tc.want {
			t.Errorf("case %d (X-Forwarded-For %q): %d, want %d", i, tc.xff, got, tc.want)
		}
	}
}

// TestRequestBodyLimits: a body larger than the route allows is refused
// (413) before it is read, in JSON for the API and as a page for the web app;
// a body of unknown length is cut off at the limit.
func TestRequestBodyLimits(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := fixture(t, db)
	cl := srv.Client()
	big := bytes.Repeat([]byte("a"), 3<<20)

	// the API: JSON error with code too_large
	res, err := cl.Post(srv.URL+"/api/v1/public/reports", "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(res.Body).Decode(&e)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || e.Error.Code != "too_large" || e.Error.Message == "" {
		t.Errorf("oversized API body: %d %+v", res.StatusCode, e)
	}

	// a web form: the 413 page, in Chinese
	req, _ := http.NewRequest("POST", srv.URL+"/login", bytes.NewReader(append([]byte("username=admin&password="), big...)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "提交的内容超过了允许的大小") {
		t.Errorf("oversized form: %d\n%.300s", res.StatusCode, b)
	}

	// unknown length (chunked): the handler's read stops at the limit
	req, _ = http.NewRequest("POST", srv.URL+"/api/v1/public/reports/lookup", io.MultiReader(strings.NewReader(`{"receipt":"`), bytes.NewReader(big), strings.NewReader(`"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	res, err = cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized chunked API body: %d", res.StatusCode)
	}

	// a multipart body may be larger (uploads), up to the upload limit
	req, _ = http.NewRequest("POST", srv.URL+"/report", bytes.NewReader(big))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	res, err = cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusRequestEntityTooLarge || res.StatusCode >= 500 {
		t.Errorf("a 3 MiB multipart body is within the upload limit but got %d", res.StatusCode)
	}
}

// TestLogsHoldNothingIdentifying runs the public channel and a failed
// sign-in with the log at debug level: the log names routes and statuses,
// never the client address (here the one behind the proxy), what a reporter
// wrote, a receipt, a key or a password.
func TestLogsHoldNothingIdentifying(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fixture(t, db)
	var logs bytes.Buffer
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), BehindTLSProxy: true}
	cfg.Validate()
	srv := httptest.NewServer(web.New(db, cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))).Handler())
	t.Cleanup(srv.Close)
	const addr, subject, content, password = "203.0.113.77", "举报某庭长", "庭长打招呼要求轻判秘密细节", "wrong-Passw0rd-xyz"
	send := func(method, path, ctype, body string) []byte {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("X-Forwarded-For", addr)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return b
	}
	var rc struct{ Receipt, Key string }
	json.Unmarshal(send("POST", "/api/v1/public/reports", "application/json",
		`{"category":"work","unit_code":"county1","subject":"`+subject+`","content":"`+content+`","reporter":{"name":"王举报","phone":"13912345678"}}`), &rc)
	if rc.Receipt == "" {
		t.Fatal("the report was not taken")
	}
	send("POST", "/api/v1/public/reports/lookup", "application/json", `{"receipt":"`+rc.Receipt+`","key":"`+rc.Key+`"}`)
	send("POST", "/report/lookup", "application/x-www-form-urlencoded", url.Values{"receipt": {rc.Receipt}, "key": {"0000-0000-0000-0000-0000"}}.Encode())
	send("POST", "/login", "application/x-www-form-urlencoded", url.Values{"username": {"admin"}, "password": {password}}.Encode())
	if !strings.Contains(logs.String(), "route=") {
		t.Fatalf("the request log is empty, so the test proves nothing:\n%s", logs.String())
	}
	for _, secret := range []string{addr, subject, content, "王举报", "13912345678", rc.Receipt, rc.Key, password} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs.String())
		}
	}
}
