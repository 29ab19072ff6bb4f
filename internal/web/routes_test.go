package web_test

import (
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

// publicRoutes are the routes anyone may call without signing in. Every other
// route must refuse an anonymous request. A new route fails
// TestEveryRouteHasAnAccessRule until it is listed here or proven to refuse.
var publicRoutes = map[string]string{
	"GET /login":                           "sign-in",
	"POST /login":                          "sign-in",
	"GET /login/totp":                      "second factor (needs a half-signed-in session)",
	"POST /login/totp":                     "second factor (needs a half-signed-in session)",
	"GET /login/totp/setup":                "second factor enrolment (needs a half-signed-in session)",
	"POST /login/totp/setup":               "second factor enrolment (needs a half-signed-in session)",
	"POST /logout":                         "ends whatever session there is",
	"GET /lang":                            "language switch",
	"GET /healthz":                         "load balancer probe",
	"GET /metrics":                         "Prometheus scrape: counts by route, no records",
	"GET /static/":                         "embedded assets",
	"GET /report":                          "public reporting form",
	"POST /report":                         "public reporting form",
	"GET /report/units":                    "public unit search (unit names are public)",
	"POST /report/slip":                    "the reporter's receipt slip",
	"GET /report/lookup":                   "the reporter's look-up form",
	"POST /report/lookup":                  "look-up by receipt and key",
	"POST /report/followup":                "follow-up by receipt and key",
	"POST /report/file":                    "a reporter's own file, by receipt and key",
	"GET /transparency":                    "public figures, small counts masked",
	"POST /report/rate":                    "a reporter rates the handling, by receipt and key",
	"GET /projects":                        "public projects of a unit subtree",
	"GET /projects/{id}":                   "a public project (404 unless public)",
	"POST /projects/{id}/rate":             "the public rates a project (signed form token, address cap)",
	"GET /projects/{id}/qr.png":            "the QR code of a public project",
	"GET /projects/{id}/poster":            "the printable poster of a public project (404 unless public)",
	"GET /projects/{id}/photos/{aid}":      "a public project's milestone photo, metadata stripped (404 otherwise)",
	"GET /needs":                           "群众点单: the public list of needs",
	"GET /needs/new":                       "群众点单: the proposal form",
	"POST /needs":                          "群众点单: a proposal (address cap)",
	"GET /needs/follow":                    "群众点单: the follow form",
	"POST /needs/follow":                   "群众点单: follow by receipt and key (address cap)",
	"GET /needs/{id}":                      "群众点单: one need, masked",
	"POST /needs/{id}/vote":                "群众点单: support (signed form token, address cap)",
	"POST /api/v1/public/ratings":          "public rating API",
	"GET /api/v1/public/projects":          "public projects API",
	"GET /api/v1/public/pledges":           "public pledges API",
	"GET /api/v1/public/needs":             "群众点单 API: the public list, masked",
	"POST /api/v1/public/needs":            "群众点单 API: a proposal (address cap)",
	"GET /api/v1/public/needs/{id}":        "群众点单 API: one need, masked, with a vote token",
	"POST /api/v1/public/needs/{id}/votes": "群众点单 API: support (signed token, address cap)",
	"POST /api/v1/public/needs/follow":     "群众点单 API: follow by receipt and key (address cap)",
	"GET /api/v1/openapi.json":             "the API description",
	"POST /api/v1/public/reports":          "public reporting API",
	"POST /api/v1/public/reports/lookup":   "look-up by receipt and key",
	"/":                                    "not-found page",
	"GET /api/v1/":                         "JSON not-found",
	"POST /api/v1/":                        "JSON not-found",
	"PUT /api/v1/":                         "JSON not-found",
	"PATCH /api/v1/":                       "JSON not-found",
	"DELETE /api/v1/":                      "JSON not-found",
}

// TestEveryRouteHasAnAccessRule enumerates the routes from the router itself:
// a public route must be listed in publicRoutes (with why); every other route
// must refuse an anonymous request (401, or a redirect to the sign-in page)
// and must not do anything for it.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := web.New(db, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	h := s.Handler()
	fill := strings.NewReplacer("{id}", "1", "{code}", "qh", "{username}", "admin", "{aid}", "1", "{fid}", "1",
		"{action}", "register", "{$}", "", "{mid}", "1")
	var n int
	for _, route := range s.Routes() {
		if _, ok := publicRoutes[route]; ok {
			continue
		}
		method, path, ok := strings.Cut(route, " ")
		if !ok {
			t.Errorf("route %q has no method: list it in publicRoutes or give it one", route)
			continue
		}
		n++
		req := httptest.NewRequest(method, fill.Replace(path), strings.NewReader("{}"))
		if method != http.MethodGet {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusUnauthorized:
		case rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/login"):
		default:
			t.Errorf("%s answers an anonymous request with %d (Location %q): it must refuse it, or be listed in publicRoutes",
				route, rec.Code, rec.Header().Get("Location"))
		}
	}
	if n < 80 {
		t.Fatalf("only %d protected routes checked: the router lost routes?", n)
	}
	// nothing changed: the anonymous requests wrote no audit entry
	var changes int
	db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action <> 'vault.bind'`).Scan(&changes)
	if changes != 0 {
		t.Errorf("%d audit entries written by anonymous requests", changes)
	}
}
