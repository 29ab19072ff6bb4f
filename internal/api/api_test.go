package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

func TestMain(m *testing.M) {
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	os.Exit(m.Run())
}

const testPassword = "secret-pass-1"

// fx is a running server over a small tree:
//
//	qh (province)            admin, inspector
//	├── c1 (city)            cityadmin (admin of c1)
//	│   └── x1 (county)
//	│       └── x1-court     officer
//	│           └── x1-court-d1
//	└── c2 (city)            c2leader
type fx struct {
	t   *testing.T
	db  *store.DB
	srv *httptest.Server
	tok map[string]string
}

var setupPrincipal = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

func setup(t *testing.T, db *store.DB) *fx {
	t.Helper()
	ctx := context.Background()
	units := []org.UnitInput{
		{Code: "qh", Name: "青禾省委政法委", Kind: "province"},
		{Code: "c1", Name: "东城市委政法委", Kind: "city", ParentCode: "qh"},
		{Code: "x1", Name: "东城县委政法委", Kind: "county", ParentCode: "c1"},
		{Code: "x1-court", Name: "东城县人民法院", Kind: "organ", ParentCode: "x1"},
		{Code: "x1-court-d1", Name: "立案庭", Kind: "department", ParentCode: "x1-court"},
		{Code: "c2", Name: "西城市委政法委", Kind: "city", ParentCode: "qh"},
	}
	for _, u := range units {
		if _, err := org.CreateUnit(ctx, db, setupPrincipal, u); err != nil {
			t.Fatalf("unit %s: %v", u.Code, err)
		}
	}
	users := []org.UserInput{
		{Username: "admin", Name: "管理员", UnitCode: "qh", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "cityadmin", Name: "市管理员", UnitCode: "c1", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "officer", Name: "干警甲", UnitCode: "x1-court", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "inspector", Name: "督察乙", UnitCode: "qh", Roles: []org.RoleGrant{{Role: "inspector"}}},
		{Username: "c2leader", Name: "领导丙", UnitCode: "c2", Roles: []org.RoleGrant{{Role: "leader"}}},
	}
	f := &fx{t: t, db: db, tok: map[string]string{}}
	for _, u := range users {
		u.Password = testPassword
		if _, err := org.CreateUser(ctx, db, setupPrincipal, u); err != nil {
			t.Fatalf("user %s: %v", u.Username, err)
		}
		secret, _, err := auth.CreateToken(ctx, db, nil, u.Username, "t")
		if err != nil {
			t.Fatal(err)
		}
		f.tok[u.Username] = secret
	}
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "info",
		IdleTimeout: 30 * time.Minute, AbsTimeout: 12 * time.Hour}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.srv = httptest.NewServer(web.New(db, cfg, logger).Handler())
	t.Cleanup(f.srv.Close)
	return f
}

type resp struct {
	Code   int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r resp) errCode() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) errField() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

func (r resp) errMessage() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func (r resp) items() []any {
	it, _ := r.Body["items"].([]any)
	return it
}

func (r resp) str(k string) string {
	s, _ := r.Body[k].(string)
	return s
}

// req sends a request as user (empty: anonymous). A string body is sent as
// JSON; a []byte body with the content type given in hdr.
func (f *fx) req(user, method, path string, body any, hdr ...string) resp {
	f.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	rq, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if ct != "" {
		rq.Header.Set("Content-Type", ct)
	}
	if user != "" {
		rq.Header.Set("Authorization", "Bearer "+f.tok[user])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		rq.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Code: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			f.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return r
}

// want fails unless r has the status (and, for errors, the code).
func want(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status %d, want %d: %s", r.Code, status, r.Raw)
	}
	if status >= 400 {
		if r.errMessage() == "" || strings.HasPrefix(r.errMessage(), "err.") {
			t.Fatalf("error without a translated message: %s", r.Raw)
		}
		if code != "" && r.errCode() != code {
			t.Fatalf("error code %q, want %q: %s", r.errCode(), code, r.Raw)
		}
	}
}

// head is the newest audit sequence number: unchanged means nothing was written.
func (f *fx) head() int64 {
	f.t.Helper()
	es, err := audit.List(context.Background(), f.db, audit.Filter{Limit: 1})
	if err != nil || len(es) == 0 {
		f.t.Fatalf("audit head: %v", err)
	}
	return es[0].Seq
}

// unchanged runs fn, which must be refused, and checks the audit trail did not grow.
func (f *fx) unchanged(fn func()) {
	f.t.Helper()
	before := f.head()
	fn()
	if after := f.head(); after != before {
		f.t.Fatalf("a refused request wrote to the audit trail (%d -> %d)", before, after)
	}
}

func TestMeAndAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		r := f.req("officer", "GET", "/api/v1/me", nil)
		want(t, r, 200, "")
		if r.str("username") != "officer" || r.str("unit_code") != "x1-court" {
			t.Fatalf("me: %s", r.Raw)
		}
		roles := r.Body["roles"].([]any)
		if len(roles) != 1 || roles[0].(map[string]any)["role"] != "officer" || roles[0].(map[string]any)["scope_code"] != "x1-court" {
			t.Fatalf("roles: %s", r.Raw)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Fatal("API answers must not be cached")
		}

		want(t, f.req("", "GET", "/api/v1/me", nil), 401, "unauthorized")
		want(t, f.req("", "GET", "/api/v1/units", nil), 401, "unauthorized")
		want(t, f.req("", "POST", "/api/v1/units", `{"code":"zz","name":"z","parent_code":"qh"}`), 401, "unauthorized")
		for _, h := range []string{"Bearer nonsense", "Bearer lst_short", "Basic YWRtaW46eA==", "Bearer lst_" + strings.Repeat("!", 43)} {
			r := f.req("", "GET", "/api/v1/me", nil, "Authorization", h)
			want(t, r, 401, "malformed_token")
		}
		// well-formed but unknown
		want(t, f.req("", "GET", "/api/v1/me", nil, "Authorization", "Bearer lst_"+strings.Repeat("A", 43)), 401, "bad_token")

		// the language follows Accept-Language, Chinese by default
		zh := f.req("", "GET", "/api/v1/me", nil)
		en := f.req("", "GET", "/api/v1/me", nil, "Accept-Language", "en-US,en;q=0.9")
		if zh.errMessage() != "请先登录。" || en.errMessage() != "Please sign in." {
			t.Fatalf("messages: %q / %q", zh.errMessage(), en.errMessage())
		}

		// unknown paths and methods answer in JSON
		want(t, f.req("admin", "GET", "/api/v1/nothing", nil), 404, "not_found")
		r = f.req("admin", "PUT", "/api/v1/units", "{}")
		want(t, r, 405, "method_not_allowed")
		if !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Fatalf("Allow: %q", r.Header.Get("Allow"))
		}
	})
}
