package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

var ratingRe = regexp.MustCompile(`href="/ratings/(\d+)">(PJ-\d{4}-\d{6})<`)

// concludeAll concludes, as the court's discipline officer, every lead in the list.
func concludeAll(t *testing.T, jj *client) {
	t.Helper()
	r := jj.get("/api/v1/clues")
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Items) == 0 {
		t.Fatalf("clues: %d %s", r.Status, r.Body)
	}
	for _, it := range list.Items {
		path := "/clues/" + itoa(it.ID)
		for _, step := range []struct {
			action string
			form   url.Values
		}{
			{"register", url.Values{"note": {"受理"}}},
			{"method", url.Values{"method": {"verify"}, "note": {"初核"}}},
			{"record", url.Values{"note": {"调查笔录"}}},
			{"conclude", url.Values{"conclusion": {"untrue"}, "note": {"经核实不属实"}}},
		} {
			if r := jj.post(path+"/"+step.action, step.form); r.Status != http.StatusSeeOther {
				t.Fatalf("%s: %d\n%s", step.action, r.Status, r.Body)
			}
		}
	}
}

func TestRatingFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "clerk1", Name: "冯办事员",
			UnitCode: "court1", Roles: []org.RoleGrant{{Role: "handler"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		pub := newClient(t, srv)
		r := pub.postFiles("/report", reportForm("郑法官"), nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("submit: %d\n%s", r.Status, r.Body)
		}
		receipt, key := receiptRe.FindStringSubmatch(r.Body)[1], keyRe.FindStringSubmatch(r.Body)[1]
		creds := url.Values{"receipt": {receipt}, "key": {key}}
		with := func(kv ...string) url.Values {
			v := url.Values{"receipt": {receipt}, "key": {key}}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v
		}

		// not concluded: no form, and a rating is refused
		r = pub.post("/report/lookup", creds)
		if r.Status != 200 || strings.Contains(r.Body, `id="rating-form"`) {
			t.Fatalf("rating form before conclusion: %d", r.Status)
		}
		expect(t, pub.post("/report/rate", with("level", "5")), http.StatusConflict, "该事项尚未办结")

		jj := loggedIn(t, srv, "jj1")
		concludeAll(t, jj)
		expect(t, pub.post("/report/lookup", creds), 200, `id="rating-form"`, `action="/report/rate"`, "非常满意",
			`<input type="hidden" name="key" value="`+key+`">`)

		// bad input changes nothing; a wrong key gets the look-up's one answer
		expect(t, pub.post("/report/rate", with("level", "6")), http.StatusBadRequest, "请选择评价等级(1至5)。")
		expect(t, pub.post("/report/rate", with("level", "0")), http.StatusBadRequest, "请选择评价等级(1至5)。")
		bad := with("level", "3")
		bad.Set("key", "AAAA-BBBB-CCCC-DDDD-EEEE")
		expect(t, pub.post("/report/rate", bad), http.StatusNotFound, "查询编码或查询密钥不正确")
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM ratings`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d ratings from bad input", n)
		}
		r = pub.post("/report/rate", with("level", "2", "comment", "办理拖拉", "dim_efficiency", "1"))
		expect(t, r, 200, "感谢您的评价。", "办理拖拉", "修改评价")

		// the API: a bad level, then a change within 7 days
		post := func(body string) (int, string) {
			res, err := http.Post(srv.URL+"/api/v1/public/ratings", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var b strings.Builder
			json.NewDecoder(res.Body).Decode(&map[string]any{})
			return res.StatusCode, b.String()
		}
		rk := `"receipt":"` + receipt + `","key":"` + key + `"`
		if st, _ := post(`{"target":"report",` + rk + `,"level":0}`); st != 400 {
			t.Fatalf("level 0: %d", st)
		}
		if st, _ := post(`{"target":"unit",` + rk + `,"level":3}`); st != 400 {
			t.Fatalf("unknown target: %d", st)
		}
		if st, _ := post(`{"target":"report",` + rk + `,"level":1,"comment":"仍不满意","dimensions":{"attitude":1}}`); st != 201 {
			t.Fatalf("change: %d", st)
		}

		// staff: the list with its figures and the real-name gap
		insp := loggedIn(t, srv, "inspector1")
		r = insp.get("/ratings")
		expect(t, r, 200, `id="rating-metrics"`, "差评回访率", "非常不满意", `id="real-gap"`, "有1条实名差评尚未回访")
		m := ratingRe.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no rating listed\n%s", r.Body)
		}
		path := "/ratings/" + m[1]
		expect(t, insp.get("/ratings?level=9"), http.StatusBadRequest, "请选择评价等级")
		expect(t, loggedIn(t, srv, "officer1").get(path), http.StatusNotFound)

		clerk := loggedIn(t, srv, "clerk1")
		expect(t, clerk.get(path), 200, `id="visit-form"`, `id="appeal-form"`, "仍不满意", `id="rating-problem"`)
		// 答复质量 on the 回访 reply before it is saved; who may not record
		// the 回访 learns nothing
		expect(t, clerk.post(path+"/reply-check", url.Values{"said": {"办理慢"}, "reply": {"已收悉。"}}), 200,
			`id="reply-hints-visit"`, "答复质量提示", "没有给出依据", ">已收悉。</textarea>")
		expect(t, loggedIn(t, srv, "officer1").post(path+"/reply-check", url.Values{"reply": {"已收悉。"}}), http.StatusNotFound)
		expect(t, clerk.post(path+"/visit", url.Values{"contact": {"12月2日电话"}, "said": {"办理慢"}}), http.StatusBadRequest, "请填写对评价人的答复。")
		if r := clerk.post(path+"/visit", url.Values{"contact": {"12月2日电话"}, "said": {"办理慢"}, "reply": {"已督促整改并致歉"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("visit: %d\n%s", r.Status, r.Body)
		}
		expect(t, clerk.get(path+"?done=visit"), 200, "回访记录已保存。", "已督促整改并致歉", "冯办事员")
		expect(t, pub.post("/report/lookup", creds), 200, "单位答复", "已督促整改并致歉")
		expect(t, insp.get("/ratings"), 200, "差评回访率")
		if strings.Contains(insp.get("/ratings").Body, `id="real-gap"`) {
			t.Error("the gap is still shown after the visit")
		}

		// appeal: the clerk asks, the inspector decides; the rating stays
		if r := clerk.post(path+"/appeal", url.Values{"reason": {"评价人反映的问题与本单位无关"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("appeal: %d\n%s", r.Status, r.Body)
		}
		expect(t, clerk.post(path+"/decide", url.Values{"decision": {"uphold"}, "note": {"同意"}}), http.StatusForbidden)
		expect(t, insp.get(path), 200, `id="decide-form"`, "待审核")
		expect(t, insp.post(path+"/decide", url.Values{"decision": {"uphold"}}), http.StatusBadRequest, "请填写审核意见。")
		if r := insp.post(path+"/decide", url.Values{"decision": {"uphold"}, "note": {"经核查属错误评价"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("decide: %d\n%s", r.Status, r.Body)
		}
		expect(t, insp.get(path), 200, "申诉成立", "经核查属错误评价")

		// the staff API
		r = insp.get("/api/v1/ratings?bad=1")
		var list struct {
			Items []struct {
				Number   string `json:"number"`
				Excluded bool   `json:"excluded"`
			} `json:"items"`
			Total int `json:"total"`
		}
		json.Unmarshal([]byte(r.Body), &list)
		if r.Status != 200 || list.Total != 1 || !list.Items[0].Excluded || list.Items[0].Number != m[2] {
			t.Fatalf("api list: %d %s", r.Status, r.Body)
		}
		r = insp.get("/api/v1/ratings/metrics")
		if r.Status != 200 || !strings.Contains(r.Body, `"excluded":1`) || !strings.Contains(r.Body, `"counted":0`) {
			t.Fatalf("api metrics: %d %s", r.Status, r.Body)
		}
		if r := insp.get("/api/v1/ratings?level=6"); r.Status != 400 {
			t.Fatalf("api level 6: %d", r.Status)
		}
		if r := loggedIn(t, srv, "officer1").get("/api/v1/ratings/" + m[1]); r.Status != 404 {
			t.Fatalf("out of scope: %d", r.Status)
		}
	})
}
