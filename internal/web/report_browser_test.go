package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// TestBrowserPublicReport: a citizen on a 375-px phone finds the unit by a
// few characters, submits anonymously, keeps the receipt and key, and follows
// the report with them. Nothing overflows, no cookie is set, nothing loads
// from another host (the harness fails on that and on any script error).
func TestBrowserPublicReport(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := reportFixture(t, db)
	b := browsertest.New(t)
	b.SetViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch)
	noOverflow := func(where string) {
		t.Helper()
		if w := browsertest.Eval[int](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s: the page is %d px wide at a 375 px viewport", where, w)
		}
	}
	if st := b.Navigate(srv.URL + "/report"); st != http.StatusOK {
		t.Fatalf("/report: %d", st)
	}
	noOverflow("form")

	// the unit picker: type, wait for the suggestion, choose it
	b.Type("#f-unit_code", "刑事")
	b.Visible(`button.pick[data-pick="court1-xs"]`)
	b.Click(`button.pick[data-pick="court1-xs"]`)
	if v := browsertest.Eval[string](b, `document.querySelector("#f-unit_code").value`); v != "court1-xs" {
		t.Fatalf("the picker filled %q", v)
	}

	// a missing field: the Chinese message, the rest kept
	st := b.Submit("#report-form", url.Values{"category": {"contact"}, "subject": {"律师称能搞定法官"}, "content": {""}})
	if st != http.StatusBadRequest || !strings.Contains(b.Text("#report-form"), "请填写具体反映的内容。") {
		t.Fatalf("empty content: %d %q", st, b.Text(".alert-error"))
	}
	if v := browsertest.Eval[string](b, `document.querySelector("#f-subject").value`); v != "律师称能搞定法官" {
		t.Errorf("the subject was not kept: %q", v)
	}
	st = b.Submit("#report-form", url.Values{"content": {"代理律师说与立案庭法官是老乡,交钱就能立案。"}, "when": {"上个月"}})
	if st != http.StatusCreated {
		t.Fatalf("submit: %d %s", st, b.Text("main"))
	}
	noOverflow("receipt")
	receipt, key := b.Text("#receipt"), b.Text("#key")
	if len(strings.ReplaceAll(receipt, " ", "")) != 12 || len(strings.ReplaceAll(key, "-", "")) != 20 {
		t.Fatalf("receipt %q key %q", receipt, key)
	}
	if c := browsertest.Eval[string](b, `document.cookie`); c != "" {
		t.Errorf("the public pages set a cookie: %q", c)
	}

	b.Navigate(srv.URL + "/report/lookup")
	if st := b.Submit("#lookup-form", url.Values{"receipt": {receipt}, "key": {key}}); st != http.StatusOK {
		t.Fatalf("lookup: %d", st)
	}
	noOverflow("report view")
	if n := b.Count("#stages li.done"); n != 0 {
		t.Errorf("%d stages reached before anyone handled the report", n)
	}
	if !strings.Contains(b.Text("main"), "律师称能搞定法官") {
		t.Error("the report view lacks the subject")
	}
}

// TestBrowserDashboardHot: the dashboard of someone who reads leads fills its
// 热点问题 panel through htmx after the page is shown.
func TestBrowserDashboardHot(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := reportFixture(t, db)
	pub := newClient(t, srv)
	for range 2 {
		if r := pub.postFiles("/report", reportForm("郑法官"), nil); r.Status != http.StatusCreated {
			t.Fatalf("submit: %d\n%s", r.Status, r.Body)
		}
	}
	b := browsertest.New(t)
	browserLogin(t, b, srv, "jj1")
	if st := b.Navigate(srv.URL + "/dashboard"); st != http.StatusOK {
		t.Fatalf("/dashboard: %d", st)
	}
	b.Visible("#dash-hot-list")
	if got := b.Text("#dash-hot-list"); !strings.Contains(got, "庭长打招呼要求轻判") || !strings.Contains(got, "2 件") {
		t.Fatalf("hot issues panel: %q", got)
	}
}

// TestBrowserReplyCheck: the 检查答复质量 button shows the hints under the
// draft in place (htmx), keeps the draft, and sends nothing.
func TestBrowserReplyCheck(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := reportFixture(t, db)
	pub := newClient(t, srv)
	if r := pub.postFiles("/report", reportForm("郑法官"), nil); r.Status != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", r.Status, r.Body)
	}
	b := browsertest.New(t)
	browserLogin(t, b, srv, "jj1")
	b.Navigate(srv.URL + "/clues")
	b.Click(`a[href^="/clues/"]`)
	b.Visible("#form-answer")
	page := b.URL()
	b.Type(`#form-answer textarea[name="reply"]`, "您好,已收悉,感谢您的支持。")
	b.Click(`#form-answer button[formaction*="reply-check"]`)
	b.Visible("#reply-hints-answer .reply-hint-box")
	if got := b.Text("#reply-hints-answer"); !strings.Contains(got, "没有后续途径") || !strings.Contains(got, "可能没有回应所反映的问题") {
		t.Fatalf("hints: %q", got)
	}
	if b.URL() != page {
		t.Errorf("the check left the page: %s", b.URL())
	}
	if v := browsertest.Eval[string](b, `document.querySelector('#form-answer textarea[name="reply"]').value`); v != "您好,已收悉,感谢您的支持。" {
		t.Errorf("the draft is %q", v)
	}
	if strings.Contains(b.Text("#clue-timeline"), "已答复") {
		t.Error("checking the draft answered the report")
	}
}
