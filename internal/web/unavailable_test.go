package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// TestDatabaseGoesAway points a server at PostgreSQL through a TCP proxy and
// cuts it (the shared PostgreSQL server itself is never stopped). While the
// database is gone every kind of request is answered 503 with a message in
// the reader's language (a page for the web app, a JSON error for the API),
// never 500, and nothing is acknowledged; when it returns the server recovers
// by itself: the session still works, every report acknowledged before the
// outage is there, and new ones are taken.
func TestDatabaseGoesAway(t *testing.T) {
	if !slices.Contains(storetest.Engines(t), store.Postgres) { // in CI a missing PostgreSQL fails here
		t.Skipf("needs PostgreSQL: set %s", storetest.EnvPostgres)
	}
	ctx := context.Background()
	base := storetest.URL(t, store.Postgres)
	direct, err := store.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct.Close() })
	if _, err := direct.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fixture(t, direct) // units and people, written directly
	token, _, err := auth.CreateToken(ctx, direct, nil, "admin", "outage")
	if err != nil {
		t.Fatal(err)
	}
	proxy, proxied := storetest.NewProxy(t, base)
	db, err := store.Open(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewServer(web.New(db, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)

	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := staff.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {pw}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", err, res)
	}
	res.Body.Close()

	type call struct {
		name, method, path, ctype, body, lang string
		client                                *http.Client
		bearer                                bool
	}
	report := `{"category":"work","unit_code":"county1","subject":"断库测试","content":"` + strings.Repeat("内容", 20) + `"}`
	do := func(c call) (int, string, http.Header) {
		t.Helper()
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequest(c.method, srv.URL+c.path, body)
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		req.Header.Set("Accept-Language", c.lang)
		if c.lang == "en" && !strings.HasPrefix(c.path, "/api/") {
			req.AddCookie(&http.Cookie{Name: web.LangCookie, Value: "en"}) // pages follow the language switch
		}
		if c.bearer {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		cl := c.client
		if cl == nil {
			cl = &http.Client{Timeout: 20 * time.Second}
		}
		res, err := cl.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b), res.Header
	}
	submit := call{name: "public report (API)", method: "POST", path: "/api/v1/public/reports", ctype: "application/json", body: report, lang: "zh-CN"}
	type receipt struct{ Receipt, Key string }
	var acked []receipt
	for range 5 {
		st, b, _ := do(submit)
		var rc receipt
		if st != http.StatusCreated || json.Unmarshal([]byte(b), &rc) != nil {
			t.Fatalf("before the outage: %d %s", st, b)
		}
		acked = append(acked, rc)
	}

	proxy.Cut()
	form := url.Values{"category": {"work"}, "unit_code": {"county1"}, "subject": {"断库测试"}, "content": {strings.Repeat("内容", 20)}, "identity": {"anonymous"}}.Encode()
	lookup, _ := json.Marshal(map[string]string{"receipt": acked[0].Receipt, "key": acked[0].Key})
	for _, c := range []call{
		submit,
		{name: "public report (API, English)", method: "POST", path: "/api/v1/public/reports", ctype: "application/json", body: report, lang: "en"},
		{name: "receipt look-up (API)", method: "POST", path: "/api/v1/public/reports/lookup", ctype: "application/json", body: string(lookup), lang: "zh-CN"},
		{name: "API with a token", method: "GET", path: "/api/v1/me", lang: "zh-CN", bearer: true},
		{name: "public report (form)", method: "POST", path: "/report", ctype: "application/x-www-form-urlencoded", body: form, lang: "zh-CN"},
		{name: "public unit search", method: "GET", path: "/report/units?unit_code=一", lang: "zh-CN"},
		{name: "transparency page", method: "GET", path: "/transparency", lang: "zh-CN"},
		{name: "staff workbench", method: "GET", path: "/", lang: "zh-CN", client: staff},
		{name: "staff workbench (English)", method: "GET", path: "/", lang: "en", client: staff},
		{name: "staff ledger", method: "GET", path: "/problems", lang: "zh-CN", client: staff},
		{name: "sign-in", method: "POST", path: "/login", ctype: "application/x-www-form-urlencoded", body: "username=admin&password=" + pw, lang: "zh-CN"},
		{name: "health probe", method: "GET", path: "/healthz", lang: "zh-CN"},
	} {
		st, b, h := do(c)
		if st != http.StatusServiceUnavailable {
			t.Errorf("%s while the database is gone: %d, want 503\n%.300s", c.name, st, b)
			continue
		}
		if c.path == "/healthz" {
			continue
		}
		if h.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", c.name)
		}
		want := "数据库暂时无法访问"
		if c.lang == "en" {
			want = "database cannot be reached"
		}
		if strings.HasPrefix(c.path, "/api/") {
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(b), &e); err != nil || e.Error.Code != "unavailable" || !strings.Contains(e.Error.Message, want) {
				t.Errorf("%s: JSON error %s", c.name, b)
			}
			continue
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(b, want) || !strings.Contains(b, "<html") {
			t.Errorf("%s: not the 503 page in %s (%s):\n%.400s", c.name, c.lang, h.Get("Content-Type"), b)
		}
	}

	proxy.Restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, _, _ := do(call{name: "health probe", method: "GET", path: "/healthz"})
		if st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not recover within 15 s of the database's return (healthz %d)", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, b, _ := do(call{name: "staff workbench", method: "GET", path: "/", lang: "zh-CN", client: staff}); st != http.StatusOK {
		t.Errorf("the session did not survive the outage: %d %.300s", st, b)
	}
	for _, rc := range acked {
		body, _ := json.Marshal(map[string]string{"receipt": rc.Receipt, "key": rc.Key})
		if st, b, _ := do(call{name: "look-up", method: "POST", path: "/api/v1/public/reports/lookup", ctype: "application/json", body: string(body)}); st != http.StatusOK || !strings.Contains(b, "断库测试") {
			t.Errorf("report %s acknowledged before the outage: %d %.200s", rc.Receipt, st, b)
		}
	}
	if st, b, _ := do(submit); st != http.StatusCreated {
		t.Errorf("after the outage a report is refused: %d %s", st, b)
	}
	var n int
	if err := direct.Read.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n); err != nil || n != len(acked)+1 {
		t.Errorf("reports stored: %d (%v), want the %d acknowledged", n, err, len(acked)+1)
	}
}
