package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// TestBrowserPublicNeedsAndRating: on a 375-px phone a citizen proposes a
// need (a missing field explained in Chinese, the rest kept), keeps the
// receipt, supports the need once, then opens a public project by its page,
// rates it, and opens its printable poster. Nothing overflows, no cookie
// is set, no script fails (the harness checks that and off-host requests).
func TestBrowserPublicNeedsAndRating(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := reportFixture(t, db)
	if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "clerk1", Name: "冯办事员",
		UnitCode: "court1", Roles: []org.RoleGrant{{Role: "handler"}}, Password: pw}); err != nil {
		t.Fatal(err)
	}
	// a public, adopted project to rate
	clerk, yz := loggedIn(t, srv, "clerk1"), loggedIn(t, srv, "yz1")
	r := clerk.post("/staff/projects", url.Values{"title": {"诉讼服务延时办"}, "area": {"worry"}, "unit_code": {"court1"},
		"leader": {"yz1"}, "handler": {"clerk1"}, "start": {"2026-12-01"}, "end": {"2027-03-31"}, "public": {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("project: %d", r.Status)
	}
	if a := yz.post(r.Location+"/advance", nil); a.Status != http.StatusSeeOther {
		t.Fatalf("adopt: %d", a.Status)
	}
	projectPath := "/projects/" + strings.TrimPrefix(r.Location, "/staff/projects/")

	b := browsertest.New(t)
	b.SetViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch)
	noOverflow := func(where string) {
		t.Helper()
		if w := browsertest.Eval[int](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s: the page is %d px wide at a 375 px viewport", where, w)
		}
	}
	if st := b.Navigate(srv.URL + "/needs"); st != http.StatusOK {
		t.Fatalf("/needs: %d", st)
	}
	noOverflow("needs")
	if st := b.ClickAndWait("#need-new"); st != http.StatusOK {
		t.Fatalf("new: %d", st)
	}
	noOverflow("need form")
	st := b.Submit("#need-form", url.Values{"unit_code": {"court1"}, "title": {"希望开通周末立案"}, "body": {""}})
	if st != http.StatusBadRequest || !strings.Contains(b.Text("#need-form"), "请写明您的需求。") {
		t.Fatalf("empty body: %d %q", st, b.Text("main"))
	}
	if v := browsertest.Eval[string](b, `document.querySelector("#f-title").value`); v != "希望开通周末立案" {
		t.Errorf("the title was not kept: %q", v)
	}
	if st := b.Submit("#need-form", url.Values{"body": {"上班族平时请不出假。"}}); st != http.StatusCreated {
		t.Fatalf("propose: %d %s", st, b.Text("main"))
	}
	noOverflow("receipt")
	if receipt := b.Text("#receipt"); len(strings.ReplaceAll(receipt, " ", "")) != 12 {
		t.Fatalf("receipt %q", receipt)
	}
	if st := b.Navigate(srv.URL + "/needs?unit=court1"); st != http.StatusOK {
		t.Fatalf("list: %d", st)
	}
	if st := b.ClickAndWait("#public-needs a"); st != http.StatusOK {
		t.Fatalf("need page: %d", st)
	}
	if st := b.ClickAndWait("#vote-form button"); st != http.StatusOK {
		t.Fatalf("vote: %d", st)
	}
	if v := b.Text("#need-votes"); v != "1 人支持" {
		t.Errorf("votes after supporting: %q", v)
	}
	if n := b.Count("#vote-form"); n != 0 {
		t.Error("the vote form is offered again right after voting")
	}

	// rating the project on the phone, then its poster
	if st := b.Navigate(srv.URL + projectPath); st != http.StatusOK {
		t.Fatalf("project: %d", st)
	}
	noOverflow("project")
	b.Click(`#rating-form input[name="level"][value="5"]`)
	if st := b.Submit("#rating-form", url.Values{"comment": {"晚上也能办事,方便"}}); st != http.StatusOK {
		t.Fatalf("rate: %d %s", st, b.Text("main"))
	}
	if v := b.Text("#public-ratings"); !strings.Contains(v, "1") {
		t.Errorf("ratings after rating: %q", v)
	}
	if st := b.ClickAndWait("#poster-link"); st != http.StatusOK {
		t.Fatalf("poster: %d", st)
	}
	noOverflow("poster")
	if w := browsertest.Eval[int](b, `document.querySelector("#poster-qr").naturalWidth`); w != 320 {
		t.Errorf("the poster's QR code is %d px wide", w)
	}
	if c := browsertest.Eval[string](b, `document.cookie`); c != "" {
		t.Errorf("the public pages set a cookie: %q", c)
	}
}
