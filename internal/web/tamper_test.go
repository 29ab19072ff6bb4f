package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// tamperValues are hostile values for ids and filters, already escaped for a
// URL: SQL injection, out-of-range and malformed numbers, NUL, bytes that are
// not UTF-8, a very long string, path traversal and markup.
var tamperValues = []struct{ name, raw string }{
	{"sql-quote", url.QueryEscape(`'; DROP TABLE problems;--`)},
	{"sql-or", url.QueryEscape(`1 OR 1=1`)},
	{"sql-union", url.QueryEscape(`1 UNION SELECT username, password_hash FROM users--`)},
	{"negative", "-1"},
	{"zero", "0"},
	{"huge", "99999999999999999999999999999"},
	{"int64-max", "9223372036854775807"},
	{"float", "1e308"},
	{"nul", "%00"},
	{"not-utf8", "%FF%FE%C0%AF"},
	{"long", strings.Repeat("a", 5000)},
	{"traversal", "..%2F..%2F..%2Fetc%2Fpasswd"},
	{"markup", url.QueryEscape(`<script>x</script>`)},
	{"like-wildcard", url.QueryEscape(`%_%`)},
	{"date-garbage", "2026-13-45"},
}

// tamperKeys are the query parameters the pages and the API read as filters,
// paging and choices; every GET route gets all of them at once.
var tamperKeys = []string{"q", "unit", "unit_code", "status", "type", "from", "to", "period", "page", "per_page", "limit",
	"offset", "before", "under", "field", "kind", "mine", "late", "sort", "class", "severity", "source", "light", "tag",
	"supervised", "responsible", "overdue", "object_type", "object_id", "actor", "action", "code", "parent", "m", "level",
	"area", "channel", "year", "month", "need", "done", "next", "back", "to", "id", "role", "query", "category"}

// The markers name records only people inside their scope may see; no answer
// to an outsider or an anonymous request may hold one.
const (
	markProblem = "越界标记台账"
	markProject = "越界标记项目"
	markReport  = "越界标记线索"
	markStudy   = "越界标记学习"
)

// TestParameterTampering sends every GET route of the web app and the API,
// enumerated from the router, hostile values in each path parameter and in
// every filter, as an anonymous visitor and as an officer of another city.
// No answer may be a 5xx, and none may hold a record of a unit outside the
// asker's scope.
func TestParameterTampering(t *testing.T) {
	// the routes, from a server of its own: they do not depend on the data
	rdb := storetest.Open(t, store.SQLite)
	routes := web.New(rdb, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler)).Routes()

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "clerk1", Name: "冯办事员",
			UnitCode: "court1", Roles: []org.RoleGrant{{Role: "handler"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		// records of county1 and court1, out of reach of officer1 (city2)
		createProblem(t, loggedIn(t, srv, "handler1"), openForm(markProblem))
		if r := loggedIn(t, srv, "clerk1").post("/staff/projects", url.Values{"title": {markProject}, "area": {"worry"},
			"unit_code": {"court1"}, "leader": {"yz1"}, "handler": {"clerk1"}, "start": {"2026-12-01"}, "end": {"2027-03-31"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("project: %d\n%s", r.Status, r.Body)
		}
		form := reportForm("郑法官")
		form.Set("subject", markReport)
		if r := newClient(t, srv).postFiles("/report", form, nil); r.Status != http.StatusCreated {
			t.Fatalf("report: %d\n%s", r.Status, r.Body)
		}
		if r := loggedIn(t, srv, "yz1").postStudyFile("/study", url.Values{"title": {markStudy}, "unit_code": {"court1"},
			"due": {"2099-12-31"}, "min_length": {"100"}, "material": {"材料"}}, "files", "a.txt", []byte("x")); r.Status != http.StatusSeeOther {
			t.Fatalf("study: %d\n%s", r.Status, r.Body)
		}
		// the markers are there to be found: the people in scope see them
		expect(t, loggedIn(t, srv, "inspector1").get("/problems"), 200, markProblem)
		expect(t, loggedIn(t, srv, "jj1").get("/clues"), 200, markReport)

		// NUL and bytes that are not UTF-8 are refused before any handler
		// (PostgreSQL would fail the query on them)
		expect(t, newClient(t, srv).getRaw("/report/units?q=%00"), http.StatusBadRequest, "请求格式不正确。")
		expect(t, newClient(t, srv).getRaw("/api/v1/units/%FF"), http.StatusBadRequest, `"error"`)

		askers := []struct {
			name string
			c    *client
		}{{"anonymous", newClient(t, srv)}, {"officer1", loggedIn(t, srv, "officer1")}}
		var n int
		statuses := map[int]int{}
		for _, route := range routes {
			method, pattern, ok := strings.Cut(route, " ")
			if !ok || method != http.MethodGet || pattern == "/static/" || pattern == "/metrics" {
				continue
			}
			for _, v := range tamperValues {
				q := make([]string, 0, len(tamperKeys))
				for _, k := range tamperKeys {
					q = append(q, k+"="+v.raw)
				}
				query := "?" + strings.Join(q, "&")
				// hostile path parameters with plain filters, then plain
				// path parameters (1, the first record of each kind) with
				// hostile filters
				for _, target := range []string{fillPath(pattern, v.raw), fillPath(pattern, "1") + query} {
					for _, a := range askers {
						n++
						r := a.c.getRaw(target)
						statuses[r.Status]++
						where := a.name + " GET " + shorten(target) + " (" + v.name + ", route " + route + ")"
						if r.Status >= 500 {
							t.Errorf("%s: status %d\n%s", where, r.Status, shorten(r.Body))
						}
						for _, m := range []string{markProblem, markProject, markReport, markStudy} {
							if strings.Contains(r.Body, m) {
								t.Errorf("%s: the answer holds %q from outside the asker's scope", where, m)
							}
						}
					}
				}
			}
		}
		if n < 2000 {
			t.Fatalf("only %d requests: the router lost its GET routes?", n)
		}
		t.Logf("%d tampered requests, %d routes; answers by status: %v", n, len(routes), statuses)
	})
}

// fillPath puts v into every {param} of a route pattern; {$} ends the path.
func fillPath(pattern, v string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.IndexByte(pattern[i:], '}')
		b.WriteString(pattern[:i])
		if pattern[i:i+j+1] != "{$}" {
			b.WriteString(v)
		}
		pattern = pattern[i+j+1:]
	}
}

func shorten(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// getRaw sends path exactly as given, escapes and all.
func (c *client) getRaw(path string) resp {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+"/", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	p, rawQuery, _ := strings.Cut(path, "?")
	req.URL.Opaque = p
	req.URL.RawQuery = rawQuery
	r, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", shorten(path), err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{Status: r.StatusCode, Body: string(b), Location: r.Header.Get("Location")}
}

// TestFormsRefuseNULAndBadUTF8: a plain form with NUL or bytes that are not
// UTF-8 in any field is refused with 400 before a handler runs, on both
// engines (PostgreSQL answered 500 for the sign-in form, ledger items and
// unit names; SQLite stored them).
func TestFormsRefuseNULAndBadUTF8(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		admin, h, pub := loggedIn(t, srv, "admin"), loggedIn(t, srv, "handler1"), newClient(t, srv)
		for _, bad := range []string{"a\x00b", "a\xffb"} {
			expect(t, pub.post("/login", url.Values{"username": {bad}, "password": {"x"}}), http.StatusBadRequest, "请求格式不正确。")
			expect(t, admin.post("/units", url.Values{"code": {"z1"}, "name": {bad}, "parent_code": {"qh"}, "kind": {"organ"}}), http.StatusBadRequest)
			f := openForm("窗口推诿")
			f.Set("description", bad)
			expect(t, h.post("/problems", f), http.StatusBadRequest)
			expect(t, h.post("/problems?q="+url.QueryEscape(bad), openForm("窗口推诿")), http.StatusBadRequest)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM problems`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d items stored from refused forms", n)
		}
		if _, err := org.UnitByCode(context.Background(), db.Read, "z1"); err == nil {
			t.Fatal("a unit was stored from a refused form")
		}
	})
}

// TestJSONRefusesNUL: a NUL in any JSON string is refused with 400 on both
// engines (PostgreSQL answered 500 for a public need; SQLite stored it).
func TestJSONRefusesNUL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		res, err := http.Post(srv.URL+"/api/v1/public/needs", "application/json",
			strings.NewReader(`{"unit_code":"court1","area":"worry","title":"a\u0000b","body":"需求"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"bad_request"`) {
			t.Fatalf("NUL in JSON: %d %s", res.StatusCode, b)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM needs`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d needs stored from a refused body", n)
		}
	})
}
