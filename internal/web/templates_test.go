package web

import (
	"bytes"
	"flag"
	"fmt"
	"html/template"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/luoshi/luoshi/internal/i18n"
)

// staticCheck is what the web tests' renders found: the pages (and
// fragments) compared, in both languages, and those that differed.
var staticCheck struct {
	sync.Mutex
	dynamic *templateSet // every T call kept
	checked map[string]bool
	differ  []string
}

// TestMain turns on the check of the per-language template sets for every
// web test: each page a test renders is rendered again in both languages,
// with the translated set and with the set that keeps every T call, and the
// two must be byte for byte the same (TestStaticTextsRenderAlike reports it;
// a difference fails the run). The pages run on SQLite only for this: the
// check is about templates, not engines.
func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() == "" { // benchmarks measure the renders alone
		staticCheck.dynamic = parseTemplates("")
		staticCheck.checked = map[string]bool{}
		checkStatic = compareStatic
	}
	code := m.Run()
	staticCheck.Lock()
	defer staticCheck.Unlock()
	if len(staticCheck.differ) > 0 {
		fmt.Fprintf(os.Stderr, "translated templates render differently from T calls:\n%s\n", strings.Join(staticCheck.differ, "\n"))
		code = 1
	}
	os.Exit(code)
}

func compareStatic(pageName, tmpl string, pg *page) {
	for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
		c := *pg
		c.Lang = l
		var a, b bytes.Buffer
		errA := execIn(langSets[l], pageName, tmpl, &c, &a)
		errB := execIn(staticCheck.dynamic, pageName, tmpl, &c, &b)
		key := pageName + "/" + tmpl + "/" + string(l)
		staticCheck.Lock()
		staticCheck.checked[key] = true
		if (errA == nil) != (errB == nil) || !bytes.Equal(a.Bytes(), b.Bytes()) {
			staticCheck.differ = append(staticCheck.differ, fmt.Sprintf("%s: %v %v\n%s\n----\n%s", key, errA, errB, firstDiff(a.String(), b.String()), firstDiff(b.String(), a.String())))
		}
		staticCheck.Unlock()
	}
}

func execIn(set *templateSet, pageName, tmpl string, pg *page, w *bytes.Buffer) error {
	t := set.partials
	if pageName != "" {
		t = set.pages[pageName]
	}
	return t.ExecuteTemplate(w, tmpl, pg)
}

// firstDiff is a's text around its first difference from b.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[max(0, i-80):min(len(a), i+80)]
}

// TestStaticTextsRenderAlike: the pages the other tests rendered came out the
// same both ways (checked as they render, see TestMain); here, the contexts
// html/template escapes differently, on a template of its own.
func TestStaticTextsRenderAlike(t *testing.T) {
	src := `{{define "x"}}<p title="{{.T "ui.save"}}">{{.T "ui.save"}} {{$.T "ui.save"}}</p>` +
		`<a href="/x?q={{.T "ui.save"}}">{{with .}}{{.T "ui.cancel"}}{{end}}</a>` +
		`<script>var s = {{.T "ui.save"}};</script>{{template "y" (dict "Pg" . "Label" (.T "ui.cancel"))}}{{end}}` +
		`{{define "y"}}<b data-x="{{.Label}}">{{.Pg.T "ui.save"}}</b>{{$pg := .Pg}}{{range $i, $x := list3}}{{$pg.T "ui.cancel"}}{{end}}{{end}}`
	for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
		tr := template.Must(template.New("").Funcs(funcs).Parse(src))
		translateStatic(tr, l)
		dyn := template.Must(template.New("").Funcs(funcs).Parse(src))
		pg := &page{Lang: l}
		var a, b bytes.Buffer
		if err := tr.ExecuteTemplate(&a, "x", pg); err != nil {
			t.Fatal(err)
		}
		if err := dyn.ExecuteTemplate(&b, "x", pg); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s:\n%s\n%s", l, a.String(), b.String())
		}
		if strings.Contains(a.String(), "ui.save") || !strings.Contains(a.String(), i18n.T(l, "ui.save")) {
			t.Errorf("%s: not translated: %s", l, a.String())
		}
		if n := strings.Count(tr.Lookup("x").Tree.Root.String(), ".T "); n != 0 {
			t.Errorf("%s: %d T calls left in %s", l, n, tr.Lookup("x").Tree.Root.String())
		}
	}
	// and the pages of the other tests (at least the main ones rendered)
	staticCheck.Lock()
	defer staticCheck.Unlock()
	var seen []string
	for k := range staticCheck.checked {
		seen = append(seen, k)
	}
	sort.Strings(seen)
	t.Logf("%d page renders compared so far", len(seen))
}
