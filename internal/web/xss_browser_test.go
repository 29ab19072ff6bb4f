package web_test

// Stored XSS in real Chromium: a corpus of payloads goes into the text fields
// of every capability, and every page that shows them is opened in headless
// Chromium. A payload "ran" when it set window.__xss, changed the title,
// opened a dialog, or put markup of its own into the page (an element with
// its data-xss marker, an event-handler attribute, a javascript: link, an
// inline script). The CSP would stop most scripts even if escaping failed, so
// the markup checks are what proves the escaping; the flag, the dialog and
// the harness's own CSP-violation check prove nothing ran.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// xssPayloads each try to set window.__xss (or the title, or a dialog) and,
// when they are markup, carry a data-xss marker so that markup which got into
// the page is found even where the CSP kept its script from running.
var xssPayloads = []string{
	`<script>window.__xss=1</script>`,
	`<img src=x onerror="window.__xss=2" data-xss>`,
	`<svg onload=window.__xss=3 data-xss>`,
	`"><img src=x onerror=window.__xss=4 data-xss>`,
	`'><svg/onload=window.__xss=5 data-xss>`,
	`javascript:window.__xss=6//`,
	`</textarea><script>window.__xss=7</script><b data-xss>`,
	`</title><b data-xss>8</b><title>`,
	`{{.}}{{template "x"}}${window.__xss=9}{{constructor.constructor('window.__xss=9')()}}`,
	`<a href="javascript:window.__xss=10" data-xss>点我</a>`,
	"＜script＞window.__xss=11＜/script＞\u202e<b data-xss>\u2028\u2029",
	`<iframe srcdoc="<script>parent.__xss=12</script>" data-xss></iframe>`,
	`<div hx-get="/logout" hx-trigger="load" hx-on:htmx:load="window.__xss=13" data-xss>htmx</div>`,
	`" onmouseover="window.__xss=14" autofocus onfocus="window.__xss=14" data-xss="`,
	`' onfocus='window.__xss=15' autofocus data-xss='`,
	`</script><script>window.__xss=16</script><b data-xss>`,
	`\u003cscript\u003ewindow.__xss=17\u003c/script\u003e`,
	`<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=18 data-xss>`,
	`%3Cscript%3Ewindow.__xss=19%3C%2Fscript%3E`,
	`<body onload=alert(20) data-xss><details open ontoggle=confirm(20)>`,
	`<object data="javascript:window.__xss=21" data-xss></object><embed src="javascript:window.__xss=21">`,
	`--><!--<b data-xss>22</b>`,
	`<meta http-equiv="refresh" content="0;url=javascript:window.__xss=23" data-xss>`,
	`<base href="//evil.example/" data-xss><form action="javascript:window.__xss=24"><button data-xss>x</button></form>`,
}

// short returns payload i, cut to fit a field of at most n runes (names, titles).
func short(i, n int) string {
	r := []rune(xssPayloads[i%len(xssPayloads)])
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// allPayloads joins the corpus, for the long text fields, so every payload
// meets every context such a field is shown in.
func allPayloads() string { return strings.Join(xssPayloads, "\n") }

// pack joins payloads from start on while they fit in n runes, for fields
// too short for the whole corpus; it returns where it stopped.
func pack(start, n int) (string, int) {
	var parts []string
	size := 0
	i := start
	for ; i < len(xssPayloads); i++ {
		l := len([]rune(xssPayloads[i])) + 1
		if size+l > n {
			break
		}
		parts = append(parts, xssPayloads[i])
		size += l
	}
	return strings.Join(parts, "\n"), i
}

// packs splits the corpus into four texts of at most 500 runes, the
// shortest limit of a long text field (comments, notes, answers).
func packs() []string {
	var out []string
	next := 0
	for range 4 {
		var p string
		p, next = pack(next, 500)
		out = append(out, p)
	}
	if next != len(xssPayloads) {
		panic(fmt.Sprintf("four packs hold payloads up to %d of %d", next, len(xssPayloads)))
	}
	return out
}

// xssGuard runs before any script of every page: dialogs only set the flag.
const xssGuard = `(() => {
  for (const f of ["alert", "confirm", "prompt", "print"]) {
    window[f] = function (m) { window.__xss = window.__xss || ("dialog " + f + ": " + m); };
  }
})();`

// shownCheck tells whether the page shows a payload as text or holds one in a field.
const shownCheck = `(() => {
  const has = s => s.includes("__xss") || s.includes("data-xss");
  return has(document.body.innerText) || has(document.title) ||
    [...document.querySelectorAll("input, textarea")].some(e => has(e.value));
})()`

// xssCheck lists what a payload did to the page; [] when nothing.
const xssCheck = `(() => {
  const bad = [];
  if (window.__xss) bad.push("window.__xss = " + window.__xss);
  if (document.title === "XSS") bad.push("document.title set");
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href", "srcdoc"];
  for (const e of document.querySelectorAll("*")) {
    const tag = e.tagName.toLowerCase();
    for (const a of e.attributes) {
      const n = a.name.toLowerCase();
      if (n === "data-xss") bad.push("injected <" + tag + " data-xss>");
      else if (n.startsWith("on") || n.startsWith("hx-on")) bad.push("event handler attribute " + n + " on <" + tag + ">");
      else if (urlAttrs.includes(n) && /^\s*javascript:/i.test(a.value)) bad.push(n + "=" + a.value + " on <" + tag + ">");
      else if (n === "srcdoc") bad.push("srcdoc on <" + tag + ">");
    }
    if (tag === "script" && !e.src && e.type !== "application/json") bad.push("inline script: " + e.textContent.slice(0, 80));
    if (tag === "iframe" || tag === "object" || tag === "embed" || tag === "base") bad.push("<" + tag + "> in the page");
    if (tag === "meta" && (e.getAttribute("http-equiv") || "").toLowerCase() === "refresh") bad.push("meta refresh");
  }
  return bad;
})()`

// TestBrowserStoredXSS puts the corpus into units, users, ledger items and
// their progress notes and files, public reports (subject, content, the
// accused, the place, file names, follow-ups, handling notes, the rating
// comment), projects, milestones, pledges, project ratings, 群众点单 needs
// and the answer declining one, study tasks and reflections, then opens every
// page that shows them, signed in as the people who can see them and
// anonymously, and searches for each payload.
func TestBrowserStoredXSS(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := reportFixture(t, db)
	ctx := context.Background()
	if _, err := org.CreateUser(ctx, db, setup, org.UserInput{Username: "clerk1", Name: "冯办事员",
		UnitCode: "court1", Roles: []org.RoleGrant{{Role: "handler"}}, Password: pw}); err != nil {
		t.Fatal(err)
	}
	admin, h, jj, yz, clerk, judge, pub := loggedIn(t, srv, "admin"), loggedIn(t, srv, "handler1"), loggedIn(t, srv, "jj1"),
		loggedIn(t, srv, "yz1"), loggedIn(t, srv, "clerk1"), loggedIn(t, srv, "judge1"), newClient(t, srv)
	must := func(what string, r resp, status ...int) resp {
		t.Helper()
		for _, s := range status {
			if r.Status == s {
				return r
			}
		}
		t.Fatalf("%s: status %d, want %v\n%s", what, r.Status, status, r.Body)
		return r
	}
	find := func(what, re, body string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: %s not found in\n%s", what, re, body)
		}
		return m[1]
	}
	all := allPayloads()
	attachName := func(i int) string { return short(i, 60) + ".txt" }

	// units and people: names are short, so one payload each, several of them
	for i := range 4 {
		code := fmt.Sprintf("xss%d", i)
		must("unit", admin.post("/units", url.Values{"code": {code}, "name": {short(i*5+1, 50)}, "parent_code": {"county1"}, "kind": {"organ"}}), http.StatusSeeOther)
		must("user", admin.post("/users", url.Values{"username": {"xssuser" + code}, "name": {short(i*5+3, 50)}, "unit_code": {code},
			"role": {"handler"}, "password": {pw}}), http.StatusSeeOther)
	}

	// ledger: one item per payload (title, description, measures), a progress
	// note and a file name on each
	var problems []string
	for i, p := range xssPayloads {
		f := openForm(short(i, 60))
		f.Set("description", "检查"+p)
		f.Set("measures", all)
		// in the payload-named units, with payload-named people responsible,
		// so the names reach the dashboard, scorecards and warnings too
		f.Set("unit_code", fmt.Sprintf("xss%d", i%4))
		f.Set("responsible", fmt.Sprintf("xssuserxss%d", i%4))
		r := must("problem", h.post("/problems", f), http.StatusSeeOther)
		loc := "/problems/" + problemLoc.FindStringSubmatch(r.Location)[1]
		problems = append(problems, loc)
		must("progress", h.postFiles(loc+"/progress", url.Values{"percent": {"30"}, "note": {p}},
			map[string][]byte{attachName(i): []byte("x")}), http.StatusSeeOther)
	}
	// the first four items carry the whole corpus in their notes too, so
	// opening those four shows every payload in every field of an item
	for i, c := range packs() {
		must("progress", h.postFiles(problems[i]+"/progress", url.Values{"percent": {"40"}, "note": {c}}, nil), http.StatusSeeOther)
	}

	// public reports: twice the same subject, so it is also a 热点问题
	var receipt, key string
	var firstReceipt, firstKey string
	for n := range 2 {
		form := reportForm(short(3, 20))
		form.Set("subject", "庭长打招呼"+short(n, 40))
		form.Set("content", all)
		form.Set("where", short(13, 40))
		form.Set("when", short(5, 20))
		form["accused_post"] = []string{short(1, 20), ""}
		form.Set("reporter_name", short(0, 20))
		r := must("report", pub.postFiles("/report", form, map[string][]byte{short(4, 40) + ".jpg": photo(t)}), http.StatusCreated)
		receipt, key = receiptRe.FindStringSubmatch(r.Body)[1], keyRe.FindStringSubmatch(r.Body)[1]
		if n == 0 {
			firstReceipt, firstKey = receipt, key
		}
	}
	must("follow-up", pub.postFiles("/report/followup", url.Values{"receipt": {receipt}, "key": {key}, "message": {all}}, map[string][]byte{short(7, 40) + ".txt": []byte("x")}), http.StatusOK, http.StatusSeeOther)
	clues := clueRe.FindAllStringSubmatch(jj.get("/clues").Body, -1)
	if len(clues) != 2 {
		t.Fatalf("%d leads", len(clues))
	}
	concludeAll(t, jj)
	// rating comments hold 500 characters: the corpus is split over four
	ps := packs()
	comment1, comment2, comment3, comment4 := ps[0], ps[1], ps[2], ps[3]
	must("report rating", pub.post("/report/rate", url.Values{"receipt": {receipt}, "key": {key}, "level": {"2"}, "comment": {comment1}}), http.StatusOK)
	must("report rating", pub.post("/report/rate", url.Values{"receipt": {firstReceipt}, "key": {firstKey}, "level": {"1"}, "comment": {comment2}}), http.StatusOK)
	rating := find("rating", `href="/ratings/(\d+)"`, jj.get("/ratings").Body)

	// projects, milestones, a project rating, pledges
	r := must("project", clerk.post("/staff/projects", url.Values{"title": {short(2, 60)}, "area": {"worry"}, "unit_code": {"court1"},
		"leader": {"yz1"}, "handler": {"clerk1"}, "beneficiaries": {short(6, 60)}, "plan": {all}, "measures": {all},
		"start": {"2026-12-01"}, "end": {"2027-03-31"}, "public": {"1"}}), http.StatusSeeOther)
	staffProject := r.Location
	projectID := strings.TrimPrefix(staffProject, "/staff/projects/")
	must("adopt", yz.post(staffProject+"/advance", nil), http.StatusSeeOther)
	for i := range 3 {
		must("milestone", clerk.post(staffProject+"/milestone", url.Values{"due": {"2027-01-20"}, "what": {short(i*3+7, 60)}, "weight": {"1"}}), http.StatusSeeOther)
	}
	ms := find("milestone", `name="milestone" value="(\d+)"`, clerk.get(staffProject).Body)
	must("done", clerk.postFiles(staffProject+"/done", url.Values{"milestone": {ms}, "note": {comment1}}, map[string][]byte{short(9, 40) + ".pdf": []byte("%PDF-1.4 x")}), http.StatusSeeOther)
	for _, c := range []string{comment3, comment4} {
		tok := tokenRe.FindStringSubmatch(pub.get("/projects/" + projectID).Body)[1]
		must("project rating", pub.post("/projects/"+projectID+"/rate", url.Values{"token": {tok}, "level": {"3"}, "comment": {c}}), http.StatusOK)
	}
	for i := range 2 {
		must("pledge", clerk.post("/staff/pledges", url.Values{"unit_code": {"court1"}, "content": {"承诺" + short(i*11, 100)}, "due": {"2027-12-31"}, "public": {"1"}}), http.StatusSeeOther)
	}
	pledge := find("pledge", `action="/staff/pledges/(\d+)/kept"`, clerk.get("/staff/projects").Body)
	must("pledge kept", clerk.postFiles("/staff/pledges/"+pledge+"/kept", url.Values{"note": {comment2}}, map[string][]byte{short(12, 40) + ".pdf": []byte("%PDF-1.4 x")}), http.StatusSeeOther)

	// 群众点单: one declined with a payload answer, one open
	var needs []string
	var needReceipt, needKey string
	for i := range 2 {
		r := must("need", pub.post("/needs", url.Values{"unit_code": {"court1"}, "area": {"worry"}, "title": {short(i*7+4, 40)}, "body": {all}}), http.StatusCreated)
		needs = append(needs, needIDRe.FindStringSubmatch(r.Body)[1])
		needReceipt, needKey = needReceiptRe.FindStringSubmatch(r.Body)[1], needKeyRe.FindStringSubmatch(r.Body)[1]
	}
	must("decline", clerk.post("/staff/needs/"+needs[0]+"/decline", url.Values{"answer": {comment3}}), http.StatusSeeOther)

	// study: a task and a reflection
	r = must("study task", yz.postStudyFile("/study", url.Values{"title": {short(15, 60)}, "unit_code": {"court1"}, "due": {"2099-12-31"},
		"min_length": {"100"}, "material": {all}}, "files", short(16, 40)+".txt", []byte("材料")), http.StatusSeeOther)
	task := strings.TrimSuffix(r.Location, "?done=created")
	must("reflection", judge.post(task+"/reflections", url.Values{"text": {strings.Repeat("学习心得体会。", 20) + all}}), http.StatusSeeOther)
	reflection := find("reflection", `href="(/study/reflections/\d+)"`, yz.get(task).Body)

	// the pages, by who may see them
	// hostile queries may be refused; they must not be reflected as markup
	refusable := map[string]bool{}
	searches := make([]string, 0, len(xssPayloads)+1)
	searches = append(searches, "/search?q="+url.QueryEscape("检查"))
	// the query is shown back in one place, the box: a third of the corpus
	// is enough there (the hits for 检查 carry all of it)
	for i := 0; i < len(xssPayloads); i += 3 {
		searches = append(searches, "/search?q="+url.QueryEscape(xssPayloads[i]))
	}
	clue := "/clues/" + clues[0][1]
	visits := []struct {
		user  string
		paths []string
	}{
		{"admin", []string{"/units", "/units/xss0", "/units/xss1", "/units/county1", "/users", "/users/xssuserxss0",
			"/users/xssuserxss1", "/audit"}},
		{"inspector1", append([]string{"/", "/dashboard", "/problems", "/problems?q=" + url.QueryEscape(xssPayloads[1]),
			"/problems?unit=xss0", "/scorecards", "/scorecards/print", "/warnings", "/audit"}, searches...)},
		{"handler1", append(append([]string{"/problems"}, problems[:4]...),
			problems[0]+"/edit", problems[1]+"/notice")},
		{"jj1", []string{"/clues", clue, "/clues/" + clues[1][1], "/hot-issues", "/ratings", "/ratings/" + rating,
			"/audit", searches[0]}},
		{"clerk1", []string{"/staff/projects", staffProject, "/staff/needs", "/staff/needs/" + needs[0], "/staff/needs/" + needs[1]}},
		{"yz1", []string{"/study", task, reflection, "/staff/projects", staffProject}},
		{"judge1", []string{"/study", task, reflection}},
		{"", []string{"/projects?unit=court1", "/projects/" + projectID, "/projects/" + projectID + "/poster", "/needs",
			"/needs?unit=court1", "/needs/" + needs[0], "/needs/" + needs[1], "/transparency", "/needs/new?unit=" + url.QueryEscape(xssPayloads[3]),
			"/projects?unit=" + url.QueryEscape(xssPayloads[4]), "/needs?unit=" + url.QueryEscape(xssPayloads[1]),
			"/login?next=" + url.QueryEscape("javascript:window.__xss=1")}},
	}
	for _, p := range []string{"/needs/new?unit=" + url.QueryEscape(xssPayloads[3]), "/projects?unit=" + url.QueryEscape(xssPayloads[4]),
		"/needs?unit=" + url.QueryEscape(xssPayloads[1])} {
		refusable[p] = true
	}

	// ~70 pages take 10 s on an idle machine and four times that on a busy
	// 2-core one; the default 60 s for the whole browser would be too tight.
	// No web test runs in parallel, so changing the package value is safe.
	defer func(d time.Duration) { browsertest.Timeout = d }(browsertest.Timeout)
	browsertest.Timeout = 5 * time.Minute
	b := browsertest.New(t)
	started := time.Now()
	// a dialog would stop the page: record it and dismiss it from another goroutine
	var dialogs []string
	var mu sync.Mutex
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, d.Message)
			mu.Unlock()
			go chromedp.Call(b.Ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: xssGuard}); err != nil {
		t.Fatal(err)
	}
	var pages, hits int
	var blank []string // pages that showed no payload as text
	check := func(where string) {
		t.Helper()
		pages++
		time.Sleep(30 * time.Millisecond) // onerror and onload handlers fire after the load event
		if bad := browsertest.Eval[[]string](b, xssCheck); len(bad) > 0 {
			hits++
			t.Errorf("%s: a payload got into the page: %v", where, bad)
		}
		if !browsertest.Eval[bool](b, shownCheck) {
			blank = append(blank, where)
		}
	}
	for _, v := range visits {
		if _, err := chromedp.Call(b.Ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		if v.user != "" {
			browserLogin(t, b, srv, v.user)
		}
		for _, p := range v.paths {
			if st := b.Navigate(srv.URL + p); st != http.StatusOK && !(refusable[p] && st >= 400 && st < 500) {
				t.Errorf("%s %s: status %d", v.user, p, st)
			}
			check(v.user + " " + p)
		}
	}
	// the reporter's and the proposer's look-ups show the stored text back
	b.Navigate(srv.URL + "/report/lookup")
	if st := b.Submit("#main form", url.Values{"receipt": {receipt}, "key": {key}}); st != http.StatusOK {
		t.Errorf("report look-up: status %d", st)
	}
	check("report look-up")
	b.Navigate(srv.URL + "/needs/follow")
	if st := b.Submit("#main form", url.Values{"receipt": {needReceipt}, "key": {needKey}}); st != http.StatusOK {
		t.Errorf("need follow: status %d", st)
	}
	check("need follow")

	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		hits += len(dialogs)
		t.Errorf("dialogs opened: %q", dialogs)
	}
	// the test proves something only where the payloads are shown
	if len(blank) > pages/4 {
		t.Errorf("%d of %d pages show no payload: %q", len(blank), pages, blank)
	}
	t.Logf("pages showing no payload (checked all the same): %q", blank)
	t.Logf("%d payloads, %d pages opened in Chromium in %v, %d pages where a payload ran or got in", len(xssPayloads), pages,
		time.Since(started).Round(time.Second), hits)
}
