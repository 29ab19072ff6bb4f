package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

func newTestServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "info"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(db, cfg, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func TestHealthMetricsAndHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newTestServer(t, db)
		res, body := get(t, srv.Client(), srv.URL+"/healthz")
		if res.StatusCode != 200 || body != "ok\n" {
			t.Fatalf("healthz: %d %q", res.StatusCode, body)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if res.Header.Get(h) == "" {
				t.Errorf("missing header %s", h)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "http") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP allows other origins: %s", csp)
		}
		res, body = get(t, srv.Client(), srv.URL+"/metrics")
		if res.StatusCode != 200 {
			t.Fatalf("metrics: %d", res.StatusCode)
		}
		for _, want := range []string{`luoshi_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
			"luoshi_http_request_duration_seconds_bucket", "go_sql_open_connections"} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func TestHealthzFailsWhenTheDatabaseIsGone(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := newTestServer(t, db)
	db.Close()
	res, _ := get(t, srv.Client(), srv.URL+"/healthz")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with a closed database: %d", res.StatusCode)
	}
}

func TestBadBearerTokensAreRefusedInJSON(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := newTestServer(t, db)
	for _, h := range []string{"Bearer nonsense", "Basic abc", "Bearer lst_" + strings.Repeat("A", 43)} {
		res, body := get(t, srv.Client(), srv.URL+"/api/v1/me", "Authorization", h, "Accept-Language", "zh-CN")
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%q: status %d", h, res.StatusCode)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code == "" || !strings.Contains(e.Error.Message, "令牌") {
			t.Errorf("%q: body %s", h, body)
		}
	}
}

func TestEveryRouteIsListed(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LogLevel: "info"}
	cfg.Validate()
	s := web.New(db, cfg, slog.New(slog.DiscardHandler))
	seen := map[string]bool{}
	for _, r := range s.Routes() {
		if seen[r] {
			t.Errorf("route %q listed twice", r)
		}
		seen[r] = true
	}
	for _, want := range []string{"GET /healthz", "GET /metrics"} {
		if !seen[want] {
			t.Errorf("route %q missing from Routes()", want)
		}
	}
}
