package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestSearchPage: the header box leads to /search; a lead is found by words
// of its sealed text, highlighted, by the discipline office handling it, and
// never by the officer it names; the API answers the same.
func TestSearchPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		pub := newClient(t, srv)
		if r := pub.postFiles("/report", reportForm("郑法官"), nil); r.Status != http.StatusCreated {
			t.Fatalf("submit: %d\n%s", r.Status, r.Body)
		}
		jj := loggedIn(t, srv, "jj1")
		expect(t, jj.get("/"), 200, `action="/search"`)
		r := jj.get("/search?q=" + url.QueryEscape("打电话 轻判"))
		expect(t, r, 200, `id="search-hits"`, "<mark>打电话</mark>", `href="/clues/`)
		expect(t, jj.get("/search?q=轻判&type=problem"), 200, "没有找到匹配的内容")
		expect(t, jj.get("/search?q=x&type=nope"), 400, "没有这种检索类别")

		judge := loggedIn(t, srv, "judge1")
		r = judge.get("/search?q=轻判")
		if r.Status != 200 || strings.Contains(r.Body, "/clues/") {
			t.Fatalf("the named officer finds the lead: %d\n%s", r.Status, r.Body)
		}

		r = jj.get("/api/v1/search?q=" + "庭长打招呼")
		var res struct {
			Hits []struct {
				Type    string   `json:"type"`
				ID      int64    `json:"id"`
				Title   string   `json:"title"`
				Snippet string   `json:"snippet"`
				Marks   [][2]int `json:"marks"`
			} `json:"hits"`
		}
		if err := json.Unmarshal([]byte(r.Body), &res); err != nil || r.Status != 200 {
			t.Fatalf("api: %d %s", r.Status, r.Body)
		}
		if len(res.Hits) != 1 || res.Hits[0].Type != "report" || res.Hits[0].Title != "庭长打招呼要求轻判" || len(res.Hits[0].Marks) == 0 {
			t.Fatalf("api hits %+v", res.Hits)
		}
		// 热点问题: two reports about one matter make one issue
		if r := pub.postFiles("/report", reportForm("郑法官"), nil); r.Status != http.StatusCreated {
			t.Fatalf("submit: %d\n%s", r.Status, r.Body)
		}
		expect(t, jj.get("/hot-issues"), 200, `id="hot-issues"`, "庭长打招呼要求轻判", `href="/clues/`)
		expect(t, judge.get("/hot-issues"), 403)
		// and on the dashboard: a panel that htmx fills from /hot-issues/top
		// (a link without JavaScript), for those who read leads only
		expect(t, jj.get("/dashboard"), 200, `id="dash-hot"`, `hx-get="/hot-issues/top?unit=`, `href="/hot-issues?unit=`)
		expect(t, jj.get("/hot-issues/top"), 200, `id="dash-hot-list"`, "庭长打招呼要求轻判", "2 件 · 关注度 2")
		expect(t, jj.get("/hot-issues/top?unit=nope"), 200, "alert-error")
		if r := judge.get("/dashboard"); r.Status != 200 || strings.Contains(r.Body, `id="dash-hot"`) {
			t.Fatalf("the named officer's dashboard: %d, has the hot issues panel: %v", r.Status, strings.Contains(r.Body, `id="dash-hot"`))
		}
		expect(t, judge.get("/hot-issues/top"), 403)
		r = jj.get("/api/v1/hot-issues?from=2020-01-01")
		if r.Status != 200 || !strings.Contains(r.Body, `"count":2`) {
			t.Fatalf("api hot issues: %d %s", r.Status, r.Body)
		}

		// 智能分办: the assign form says there is no model yet; training is
		// for discipline staff and administrators
		m := clueRe.FindStringSubmatch(jj.get("/clues").Body)
		if m == nil {
			t.Fatal("no lead in the list")
		}
		if r := jj.post("/clues/"+m[1]+"/register", url.Values{"note": {"受理"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		expect(t, jj.get("/clues/"+m[1]), 200, `id="routing-hint"`, "暂无建议", `id="form-assign"`,
			`<option value="interfere" selected>`, "举报人选择的类别:违规干预过问案件")
		// the handler corrects the category while assigning: a value that is
		// no category is refused in words, and nothing changes
		r = jj.post("/clues/"+m[1]+"/assign", url.Values{"category": {"nope"}})
		expect(t, r, 400, "请选择反映的问题类别。")
		if strings.Contains(jj.get("/clues/"+m[1]).Body, "更正问题类别") {
			t.Fatal("a refused correction changed the category")
		}
		if r := jj.post("/clues/"+m[1]+"/assign", url.Values{"category": {"contact"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		expect(t, jj.get("/clues/"+m[1]), 200, "更正问题类别", "违规干预过问案件 → 律师和司法人员不正当接触交往",
			`<option value="contact" selected>`)
		expect(t, jj.get("/api/v1/clues/"+m[1]+"/routing"), 200, `"trained_on":0`)
		expect(t, judge.get("/api/v1/clues/"+m[1]+"/routing"), 404)
		// the one assigned lead is too few to train on
		expect(t, jj.post("/api/v1/routing/train", nil), 200, `{"docs":1,"categories":0,"units":0}`)
		expect(t, judge.post("/api/v1/routing/train", nil), 403)

		// 答复质量: the hints on a draft, as htmx asks for them (the fragment)
		// and as a browser without JavaScript posts the form (the page, the
		// draft kept); nothing is sent; the named officer learns nothing
		draft := "您好,已收悉,感谢您的支持。"
		req, _ := http.NewRequest("POST", srv.URL+"/clues/"+m[1]+"/reply-check?form=message",
			strings.NewReader(url.Values{"message": {draft}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		r = jj.do(req)
		expect(t, r, 200, "答复质量提示", "可能没有回应所反映的问题", "内容单薄", "没有给出依据", "没有后续途径")
		if strings.Contains(r.Body, "<html") {
			t.Fatal("htmx got a whole page")
		}
		r = jj.post("/clues/"+m[1]+"/reply-check?form=message", url.Values{"message": {draft}})
		expect(t, r, 200, `id="form-message"`, `id="reply-hints-message"`, "没有后续途径", ">"+draft+"</textarea>")
		expect(t, jj.post("/clues/"+m[1]+"/reply-check?form=message", url.Values{"message": {""}}), 200, "请先填写答复内容。")
		expect(t, jj.post("/clues/"+m[1]+"/reply-check?form=nope", url.Values{"reply": {draft}}), 404)
		expect(t, judge.post("/clues/"+m[1]+"/reply-check?form=message", url.Values{"message": {draft}}), 404)
		if strings.Contains(jj.get("/clues/"+m[1]).Body, draft) {
			t.Fatal("checking a draft sent it")
		}
		api := func(c *client, body string) resp {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/clues/"+m[1]+"/reply-check", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return c.do(req)
		}
		expect(t, api(jj, `{"reply":"`+draft+`"}`), 200, `"flagged":true`, `"no_follow_up":true`, `"key_terms":[`)
		expect(t, api(jj, `{"reply":""}`), 400, `"reply"`)
		expect(t, api(judge, `{"reply":"`+draft+`"}`), 404)

		r = judge.get("/api/v1/search?q=" + "庭长打招呼")
		if r.Status != 200 || !strings.Contains(r.Body, `"hits":[]`) {
			t.Fatalf("api for the named officer: %d %s", r.Status, r.Body)
		}
	})
}
