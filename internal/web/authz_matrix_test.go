package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// authzAsker is one person (or nobody) sending one request of the matrix.
type authzAsker struct {
	user  string // username, or "anonymous"
	role  string // the role the matrix checks ("" for anonymous and named askers)
	scope string // "inside": the targets are the asker's own side's; "outside": the other side's; "named": the named lead
}

// authzOutcome is what the matrix expects of one request.
type authzOutcome int

const (
	expectAllowed authzOutcome = iota
	expectRefused
	expectAnonRefused
)

// allowedBy reports whether the rule lets role use the route inside scope.
func (r authzRule) allowedBy(role string) bool {
	switch r.allow {
	case "public", "staff":
		return true
	case "none", "root":
		return false
	}
	return slices.Contains(strings.Fields(r.allow), role)
}

// expected is the outcome the matrix promises for a.
func (r authzRule) expected(a authzAsker) authzOutcome {
	switch {
	case a.user == "anonymous":
		if r.allow == "public" {
			return expectAllowed
		}
		return expectAnonRefused
	case r.allow == "public":
		return expectAllowed
	case a.user == "root" && (r.allow == "root" || r.allowedBy("admin")):
		return expectAllowed
	case a.scope == "outside" && r.scoped:
		return expectRefused
	case r.allowedBy(a.role):
		return expectAllowed
	}
	return expectRefused
}

// authzPath fills a route pattern with the side's records: which record an
// {id} names depends on where it stands.
func (f *authzFixture) authzPath(pattern, side, variant string) string {
	ids := f.ids[side]
	kind := func(param string) string {
		p := strings.TrimPrefix(pattern, "/api/v1")
		switch {
		case param == "code":
			if strings.HasSuffix(p, "/close") || strings.HasSuffix(p, "/move") || strings.HasSuffix(p, "/rename") || strings.HasPrefix(p, "/units/{code}") && strings.Contains(pattern, "PATCH") {
				return "spare-unit"
			}
			return "unit"
		case param == "username":
			if strings.Contains(p, "reset") || strings.HasSuffix(p, "/email") || p == "/users/{username}" {
				return "spare-user"
			}
			return "user"
		case param == "mid":
			return "milestone"
		case param == "action":
			return "action"
		case param == "fid" && strings.HasPrefix(p, "/problems/filters"):
			return "filter"
		case param == "fid":
			return "clue-file"
		case param == "aid" && strings.HasPrefix(p, "/problems/"):
			return "problem-file"
		case param == "aid" && strings.Contains(p, "projects/"):
			return "project-file"
		case param == "aid" && strings.HasPrefix(p, "/study/"):
			return "study-file"
		}
		for _, k := range []struct{ prefix, kind string }{
			{"/problems/", "problem"}, {"/clues/", "clue"}, {"/ratings/", "rating"}, {"/projects/", "project"},
			{"/staff/projects/", "project"}, {"/staff/pledges/", "pledge"}, {"/pledges/", "pledge"}, {"/needs/", "need"},
			{"/staff/needs/", "need"}, {"/public/needs/", "need"}, {"/study/reflections/", "reflection"},
			{"/study/corpus/", "corpus"}, {"/study/tasks/", "study"}, {"/study/", "study"}, {"/units/{code}/robots/", "robot"},
			{"/account/tokens/", "token"}, {"/tokens/", "token"},
		} {
			if strings.HasPrefix(p, k.prefix) {
				return k.kind
			}
		}
		return "?"
	}
	var b strings.Builder
	rest := pattern
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		b.WriteString(rest[:i])
		param := rest[i+1 : i+j]
		switch k := kind(param); {
		case param == "$":
		case k == "action":
			b.WriteString(variant)
		case k == "clue" && side == "named":
			b.WriteString(f.namedID)
		default:
			s := side
			if s == "named" || s == "none" {
				s = "a"
			}
			if side == "none" && param == "id" {
				b.WriteString("987654")
			} else if v, ok := f.ids[s][k]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("1")
			}
		}
		rest = rest[i+j+1:]
	}
	_ = ids
	return b.String()
}

// authzDo sends one request of the matrix.
func authzDo(c *client, method, path, ctype, body string) resp {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return c.do(req)
}

// text is what a person could read in an answer: the body, with HTML
// entities decoded, and the cells of an xlsx file.
func readable(r resp) string {
	s := r.Body
	if strings.HasPrefix(s, "PK\x03\x04") {
		zr, err := zip.NewReader(bytes.NewReader([]byte(s)), int64(len(s)))
		if err == nil {
			var b strings.Builder
			for _, f := range zr.File {
				if rc, err := f.Open(); err == nil {
					io.Copy(&b, rc)
					rc.Close()
				}
			}
			s = b.String()
		}
	}
	return html.UnescapeString(s)
}

// TestAuthorizationMatrixEveryRoute: every route of the web app and the API,
// taken from the router, has an entry in authzMatrix; each entry is sent by
// every role inside and outside its scope, anonymously, and by the people a
// lead names (and the leaders of their unit), and the answer must be what the
// entry says: allowed (2xx/3xx for a GET; a POST not refused), or refused
// with 401/403/404 and nothing of the record in the body, and a refused
// request changes nothing (the audit trail and the records are as before).
func TestAuthorizationMatrixEveryRoute(t *testing.T) {
	rdb := storetest.Open(t, store.SQLite)
	routes := web.New(rdb, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler)).Routes()
	var missing []string
	for _, route := range routes {
		if _, ok := authzMatrix[route]; !ok {
			missing = append(missing, route)
		}
	}
	for route := range authzMatrix {
		if !slices.Contains(routes, route) {
			t.Errorf("authzMatrix has an entry for %q, which the router does not have: remove it", route)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d routes have no entry in the authorization matrix (authzMatrix in internal/web/authz_routes_test.go):\n\t%s\n"+
			"Add one line per route, e.g.\n\t%q: {allow: \"leader deputy handler inspector\", scoped: true},\n"+
			"allow lists the roles that may use it inside their scope (or public, staff, root, none); scoped says whether ids\n"+
			"and units outside the asker's scope are refused; give a POST a body in authzBody if the generic form does not fit it. Run\n"+
			"LUOSHI_AUTHZ_DISCOVER=1 go test -run TestAuthorizationMatrixEveryRoute ./internal/web/ -v to print what each role gets.",
			len(missing), strings.Join(missing, "\n\t"), missing[0])
		if os.Getenv("LUOSHI_AUTHZ_DISCOVER") == "" {
			return
		}
	}
	discover := os.Getenv("LUOSHI_AUTHZ_DISCOVER") != ""

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		f := newAuthzFixture(t, db)
		t.Logf("fixture: %v", time.Since(start))
		var askers []authzAsker
		askers = append(askers, authzAsker{user: "anonymous", scope: "inside"})
		for _, role := range authzRoles {
			askers = append(askers, authzAsker{user: authzUser("a", role), role: role, scope: "outside"})
		}
		for _, u := range authzNamed {
			askers = append(askers, authzAsker{user: u, scope: "named"})
		}
		for _, role := range authzRoles {
			askers = append(askers, authzAsker{user: authzUser("a", role), role: role, scope: "inside"})
		}
		askers = append(askers, authzAsker{user: "root", role: "admin", scope: "inside"})

		// what a-side askers may never read: the b side's records
		var bMarks, allMarks []string
		for _, s := range []string{"a", "b"} {
			for k, m := range authzMarks(s) {
				if k == "need-phone" && false {
					continue
				}
				allMarks = append(allMarks, m)
				if s == "b" {
					bMarks = append(bMarks, m)
				}
			}
		}
		sort.Strings(allMarks)

		// the named askers' lists, counts and searches: the same before and after the lead that names them
		before := f.countViews(t)
		f.addNamedLead(t)
		after := f.countViews(t)
		for k, v := range before {
			user, _, _ := strings.Cut(k, " ")
			if user == "a-jj" {
				continue
			}
			if after[k] != v {
				t.Errorf("%s changed when a lead naming %s (or someone in their unit) came in:\n%s", k, user, diffAt(v, after[k]))
			}
		}
		for _, k := range []string{"a-jj GET /api/v1/clues", "a-jj GET /{$}"} {
			if before[k] == after[k] {
				t.Errorf("%s did not change with a new lead: the view counts nothing, the check proves nothing", k)
			}
		}

		type obs struct {
			route  string
			asker  authzAsker
			status int
		}
		var seen []obs
		var n int
		// GETs first: they change nothing, and the POSTs may
		for _, pass := range []string{"GET", "POST"} {
			for _, route := range routes {
				rule, ok := authzMatrix[route]
				if !ok && !discover {
					continue
				}
				method, pattern, ok := strings.Cut(route, " ")
				if !ok {
					method, pattern = "GET", route
				}
				if (method == "GET") != (pass == "GET") || rule.skip != "" {
					continue
				}
				variants := rule.variants
				if len(variants) == 0 {
					variants = []string{""}
				}
				for _, a := range askers {
					for _, v := range variants {
						side := "a"
						switch a.scope {
						case "outside":
							side = "b"
						case "named":
							side = "named"
						}
						if a.scope == "named" && !strings.Contains(pattern, "{id}") {
							// the named askers' lists, counts and searches are checked for leaks below
						}
						if a.scope == "outside" && method == "GET" && !strings.Contains(pattern, "{") {
							continue // the same request as inside: no id to be outside of (every answer is checked for the other side's records)
						}
						path := f.authzPath(pattern, side, v)
						ctype, body := "", ""
						if method != "GET" {
							ctype, body = authzBody(f, route, v, side)
						}
						c := f.c(t, a.user)
						if rule.fresh && a.user != "anonymous" {
							c = loggedIn(t, f.srv, a.user) // a session of its own: the request may end it
						}
						want := rule.expected(a)
						var before string
						if want != expectAllowed {
							before = authzState(t, db)
						}
						r := authzDo(c, method, path, ctype, body)
						n++
						seen = append(seen, obs{route + " " + v, a, r.Status})
						where := fmt.Sprintf("%s %s (route %q, variant %q) as %s (%s, %s)", method, path, route, v, a.user, a.role, a.scope)
						if r.Status >= 500 {
							t.Errorf("%s: status %d\n%s", where, r.Status, shorten(r.Body))
						}
						text := readable(r)
						forbidden := bMarks
						if a.user == "anonymous" {
							forbidden = allMarks
						}
						if a.user != "root" {
							for _, m := range forbidden {
								if strings.Contains(text, m) {
									t.Errorf("%s: the answer holds %q, outside the asker's scope", where, m)
								}
							}
						}
						if a.scope == "named" && (strings.Contains(text, markNamed) || strings.Contains(text, f.namedNumber)) {
							t.Errorf("%s: the answer shows the lead that names the asker (or someone in their unit)", where)
						}
						if discover {
							continue
						}
						clueRoute := strings.HasPrefix(strings.TrimPrefix(pattern, "/api/v1"), "/clues/{id}")
						if a.scope == "named" && !clueRoute {
							continue // their lists and counts were checked above; the rest is as for their roles
						}
						refusedStatus := r.Status == http.StatusForbidden || r.Status == http.StatusNotFound
						if rule.notFound && want != expectAnonRefused {
							if r.Status != http.StatusNotFound {
								t.Errorf("%s: status %d, the fixture's record is not served here: want 404", where, r.Status)
							}
						} else if rule.weak != "" {
							switch {
							case want == expectAllowed && r.Status == 401 && rule.allow != "public":
								t.Errorf("%s: status 401, the matrix allows it", where)
							case want == expectRefused && !slices.Contains([]int{400, 403, 404, 409, 415, 422}, r.Status):
								t.Errorf("%s: status %d, the matrix refuses it\n%s", where, r.Status, shorten(r.Body))
							case want == expectAnonRefused && r.Status != 401 && !(r.Status == 303 && strings.HasPrefix(r.Location, "/login")):
								t.Errorf("%s: status %d, anonymous must be refused", where, r.Status)
							}
						} else {
							switch want {
							case expectAllowed:
								if method == "GET" && (r.Status < 200 || r.Status >= 400) && !rule.notFound {
									t.Errorf("%s: status %d, the matrix allows it\n%s", where, r.Status, shorten(r.Body))
								}
								if method != "GET" && (r.Status == 401 || (refusedStatus && !rule.notFound)) {
									t.Errorf("%s: status %d, the matrix allows it\n%s", where, r.Status, shorten(r.Body))
								}
							case expectRefused:
								if !refusedStatus {
									t.Errorf("%s: status %d, the matrix refuses it\n%s", where, r.Status, shorten(r.Body))
								}
							case expectAnonRefused:
								if r.Status != 401 && !(r.Status == 303 && strings.HasPrefix(r.Location, "/login")) {
									t.Errorf("%s: status %d, anonymous must be refused", where, r.Status)
								}
							}
						}
						if want != expectAllowed {
							if after := authzState(t, db); after != before {
								t.Errorf("%s: a refused request changed something: %s → %s", where, before, after)
							}
						}
						// the named lead is not there for them: the answer is the answer for an id that does not exist
						if a.scope == "named" {
							r2 := authzDo(c, method, f.authzPath(pattern, "none", v), ctype, body)
							if r2.Status != r.Status || withoutID(r2.Body, "987654") != withoutID(r.Body, f.namedID) {
								b1, b2 := withoutID(r.Body, f.namedID), withoutID(r2.Body, "987654")
								i := 0
								for i < len(b1) && i < len(b2) && b1[i] == b2[i] {
									i++
								}
								lo := max(i-80, 0)
								t.Errorf("%s: %d, but %d for a lead that does not exist; the bodies must match too: …%s… / …%s…",
									where, r.Status, r2.Status, b1[lo:min(i+80, len(b1))], b2[lo:min(i+80, len(b2))])
							}
						}
					}
				}
			}
		}
		if discover {
			byRoute := map[string][]string{}
			var order []string
			for _, o := range seen {
				if _, ok := byRoute[o.route]; !ok {
					order = append(order, o.route)
				}
				byRoute[o.route] = append(byRoute[o.route], fmt.Sprintf("%s/%s=%d", o.asker.user, o.asker.scope[:1], o.status))
			}
			for _, r := range order {
				fmt.Printf("%-50s %s\n", r, strings.Join(byRoute[r], " "))
			}
		}
		f.checkNotifications(t)
		t.Logf("%d requests (%d routes, %d askers) in %v", n, len(routes), len(askers), time.Since(start))
	})
}

// authzState is a fingerprint of everything a request could change: the
// audit trail and the number of rows of the tables that hold records.
func authzState(t *testing.T, db *store.DB) string {
	t.Helper()
	var cols []string
	for _, table := range authzTables {
		cols = append(cols, "(SELECT COUNT(*) FROM "+table+")")
	}
	vals := make([]any, len(authzTables))
	ns := make([]int64, len(authzTables))
	for i := range ns {
		vals[i] = &ns[i]
	}
	if err := db.Write.QueryRow(`SELECT ` + strings.Join(cols, ", ")).Scan(vals...); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, table := range authzTables {
		fmt.Fprintf(&b, "%s=%d ", table, ns[i])
	}
	return b.String()
}

var authzTables = []string{"audit_log", "problems", "problem_events", "reports", "report_events", "ratings", "projects",
	"project_milestones", "pledges", "needs", "study_tasks", "study_reflections", "units", "users", "user_roles", "api_tokens",
	"saved_filters", "notify_webhooks", "study_refs", "settings", "warn_dismissals", "score_publications", "attachments"}

// withoutID drops an id from the paths in a page (links, the language switch).
func withoutID(body, id string) string {
	return strings.NewReplacer("/"+id, "/", "%2F"+id, "%2F", "%2f"+id, "%2f").Replace(body)
}

// authzCountViews are the pages and endpoints that count or find leads. Not
// the scorecards: a unit's card counts the reports its office received (the
// sample size of 按期受理), which its leader sees (SECURITY.md says so).
var authzCountViews = []string{"/{$}", "/clues", "/api/v1/clues", "/dashboard", "/api/v1/problems/dashboard", "/hot-issues", "/hot-issues/top",
	"/api/v1/hot-issues", "/api/v1/ratings/metrics", "/search?q=" + url.QueryEscape(markNamed),
	"/api/v1/search?q=" + url.QueryEscape(markNamed), "/search?q=JB", "/api/v1/search?q=JB", "/warnings"}

var volatile = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?|"took_ms":\s*\d+|data-ms="\d+"`)

// countViews reads authzCountViews as the named askers and a-jj (who must
// see the lead come in); the 工作台 is reduced to its to-do cards (its list
// of the latest audit entries changes with every read).
func (f *authzFixture) countViews(t *testing.T) map[string]string {
	out := map[string]string{}
	todos := regexp.MustCompile(`(?s)<section class="todos".*?</section>`)
	for _, u := range append([]string{"a-jj"}, authzNamed...) {
		for _, v := range authzCountViews {
			path := strings.Replace(v, "{$}", "", 1)
			r := f.c(t, u).get(path)
			body := r.Body
			if v == "/{$}" {
				body = todos.FindString(body)
			}
			out[u+" GET "+v] = fmt.Sprint(r.Status) + " " + volatile.ReplaceAllString(body, "")
		}
	}
	return out
}

func diffAt(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-100, 0)
	return "…" + a[lo:min(i+100, len(a))] + "…\n---\n…" + b[lo:min(i+100, len(b))] + "…"
}

// checkNotifications runs the reporting channel's timers a month ahead, so
// every lead is late: the discipline officers hear of the named lead, the
// people it names and their unit's leaders do not, and no group robot (whose
// group anyone in the unit may read) gets its number.
func (f *authzFixture) checkNotifications(t *testing.T) {
	t.Helper()
	f.ws.Reports.Clock = func() time.Time { return time.Now().AddDate(0, 1, 0) }
	defer func() { f.ws.Reports.Clock = time.Now }()
	if _, err := f.ws.Reports.Escalate(context.Background()); err != nil {
		t.Fatal(err)
	}
	heard := func(username string) bool {
		var n int
		if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE u.username = $1 AND (n.body LIKE $2 OR n.title LIKE $2 OR n.body LIKE $3)`,
			username, "%"+f.namedNumber+"%", "%"+markNamed+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	if !heard("a-jj") {
		t.Error("a-jj was not told of the late named lead: the check proves nothing")
	}
	for _, u := range authzNamed {
		if heard(u) {
			t.Errorf("%s was notified of the lead that names them (or someone in their unit)", u)
		}
	}
	var robots int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE channel <> 'email' AND (payload LIKE $1 OR subject LIKE $1)`,
		"%"+f.namedNumber+"%").Scan(&robots); err != nil {
		t.Fatal(err)
	}
	if robots != 0 {
		t.Errorf("%d group robot messages carry the named lead's number: everyone in the unit's group reads them", robots)
	}
}

// postTamperValues are the hostile values every field and path parameter of
// a POST gets (a subset of tamperValues, decoded for a form).
var postTamperValues = []string{`'; DROP TABLE problems;--`, `1 UNION SELECT username, password_hash FROM users--`, "-1",
	"9223372036854775807", strings.Repeat("长", 1000), "../../../etc/passwd"}

// TestPostTampering sends every POST, PATCH and DELETE route, enumerated from
// the router, the other side's ids and hostile values in every path
// parameter and every field (a form with every field the pages read, or a
// JSON object with them), anonymously, as an officer and as a handler of the
// other side. No answer may be a 5xx or show the other side's records, and a
// request the matrix refuses changes nothing (the audit trail and the rows
// of every table that holds records are as before).
func TestPostTampering(t *testing.T) {
	rdb := storetest.Open(t, store.SQLite)
	routes := web.New(rdb, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler)).Routes()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		f := newAuthzFixture(t, db)
		var bMarks []string
		for _, m := range authzMarks("b") {
			bMarks = append(bMarks, m)
		}
		askers := []authzAsker{{user: "anonymous", scope: "outside"}, {user: "a-officer", role: "officer", scope: "outside"},
			{user: "a-handler", role: "handler", scope: "outside"}}
		var n int
		statuses := map[int]int{}
		for _, route := range routes {
			method, pattern, ok := strings.Cut(route, " ")
			rule, known := authzMatrix[route]
			if !ok || method == "GET" || !known || rule.fresh || pattern == "/logout" {
				continue
			}
			api := strings.HasPrefix(pattern, "/api/")
			for _, v := range postTamperValues {
				fields := url.Values{}
				_, generic := authzBody(f, route, "", "b")
				form, _ := url.ParseQuery(generic)
				obj := map[string]any{}
				for k := range form {
					fields.Set(k, v)
					obj[k] = v
				}
				js, _ := json.Marshal(obj)
				variant := "message"
				if len(rule.variants) > 0 {
					variant = rule.variants[0]
				}
				targets := []struct{ path, ctype, body string }{
					// the other side's records, hostile fields
					{f.authzPath(pattern, "b", variant), "application/x-www-form-urlencoded", fields.Encode()},
					// hostile path parameters, the other side's unit in the fields
					{fillPath(pattern, url.PathEscape(v)), "application/x-www-form-urlencoded", generic},
				}
				if api {
					targets[0].ctype, targets[0].body = "application/json", string(js)
					targets[1].ctype, targets[1].body = "application/json", `{"unit_code":"b-court","name":`+string(mustJSON(v))+`}`
				}
				for _, a := range askers {
					if a.user == "anonymous" && rule.allow != "public" {
						continue // refused before any handler (TestEveryRouteHasAnAccessRule)
					}
					want := rule.expected(a)
					for _, tg := range targets {
						c := f.c(t, a.user)
						before := authzState(t, db)
						req, err := http.NewRequest(method, c.base+"/", strings.NewReader(tg.body))
						if err != nil {
							t.Fatal(err)
						}
						p, q, _ := strings.Cut(tg.path, "?")
						req.URL.Opaque, req.URL.RawQuery = p, q
						req.Header.Set("Content-Type", tg.ctype)
						r := c.do(req)
						n++
						statuses[r.Status]++
						where := fmt.Sprintf("%s %s as %s (route %q, value %q)", method, shorten(tg.path), a.user, route, shorten(v))
						if r.Status >= 500 {
							t.Errorf("%s: status %d\n%s", where, r.Status, shorten(r.Body))
						}
						text := readable(r)
						for _, m := range bMarks {
							if strings.Contains(text, m) {
								t.Errorf("%s: the answer holds %q from outside the asker's scope", where, m)
							}
						}
						if want != expectAllowed {
							if after := authzState(t, db); after != before {
								t.Errorf("%s: a refused request changed something: %s → %s", where, before, after)
							}
						}
					}
				}
			}
		}
		t.Logf("%d tampered POSTs; answers by status: %v; %v", n, statuses, time.Since(start))
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
