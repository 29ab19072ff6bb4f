package web

import (
	"html/template"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/org"
)

// The side menu is kept per language, active entry and grants: a kept menu is
// never shown to someone whose grants differ, and it is the markup the layout
// would render itself.
func TestMenuKeptPerReach(t *testing.T) {
	s := &Server{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	officer := &org.Principal{UserID: 1, Name: "甲", Grants: []org.Grant{{Role: org.RoleOfficer, ScopePath: "/1/2/"}}}
	admin := &org.Principal{UserID: 2, Name: "乙", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/1/"}}}
	inspector := &org.Principal{UserID: 3, Name: "丙", Grants: []org.Grant{{Role: org.RoleInspector, ScopePath: "/1/"}}}
	render := func(p *org.Principal, lang, nav string) string {
		req := httptest.NewRequest("GET", "/units", nil)
		pg := &page{Lang: i18n.Lang(lang), Title: "x", Nav: nav, P: p, URI: "/units", Fields: map[string]string{}, Vals: map[string][]string{},
			CanAudit: org.CanAnywhere(p, org.AuditRead), CanAdmin: org.IsRootAdmin(p),
			CanUnits: org.CanAnywhere(p, org.UnitRead), CanUsers: org.CanAnywhere(p, org.UserRead)}
		pg.D = unitsData{}
		w := httptest.NewRecorder()
		s.render(w, req, 200, "units", pg)
		body := w.Body.String()
		i, j := strings.Index(body, `<nav class="sidebar"`), strings.Index(body, `</nav>`)
		if i < 0 || j < i {
			t.Fatalf("no side menu in %s", body)
		}
		// the same as the template renders it, uncached
		var b strings.Builder
		if err := templatesFor(pg.Lang).partials.ExecuteTemplate(&b, "menu", pg); err != nil {
			t.Fatal(err)
		}
		if got := body[i : j+len("</nav>")]; got != b.String() {
			t.Fatalf("kept menu differs from the template's:\n%s\n%s", got, b.String())
		}
		return body[i : j+len("</nav>")]
	}
	for range 2 { // the second round is served from the cache
		o, a, in := render(officer, "zh", "units"), render(admin, "zh", "units"), render(inspector, "zh", "units")
		if strings.Contains(o, `href="/settings"`) || !strings.Contains(a, `href="/settings"`) {
			t.Fatalf("settings entry: officer %v, admin %v", strings.Contains(o, "/settings"), strings.Contains(a, "/settings"))
		}
		if strings.Contains(o, `href="/audit"`) || !strings.Contains(in, `href="/audit"`) {
			t.Fatal("audit entry shown to the officer or hidden from the inspector")
		}
		if !strings.Contains(render(officer, "zh", "home"), `<a href="/" aria-current="page">`) ||
			strings.Contains(o, `<a href="/" aria-current="page">`) {
			t.Fatal("active entry not per page")
		}
		if render(officer, "en", "units") == o {
			t.Fatal("menu not per language")
		}
	}
}

// The rows written in Go escape what users typed like the templates did.
func TestRowsEscape(t *testing.T) {
	evil := `<script>alert("x")</script>&'`
	h := string(treeRows([]treeNode{{U: org.Unit{Code: "a b", Name: evil, Kind: "organ", Children: 2}, Kind: evil, Expand: evil}}))
	h += string(peopleRows([]personRow{{Username: "u/1", Name: evil, UnitName: evil, RoleNames: []string{evil}, Status: evil, Locked: true}}, true))
	if strings.Contains(h, "<script") || strings.Contains(h, `"x"`) {
		t.Fatalf("unescaped: %s", h)
	}
	for _, want := range []string{`href="/units/a%20b"`, `hx-get="/units/a%20b/children"`, `href="/users/u%2F1"`,
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;", `<span class="tag tag-warn">`} {
		if !strings.Contains(h, want) {
			t.Fatalf("missing %s in %s", want, h)
		}
	}
	var _ template.HTML = treeRows(nil)
}
