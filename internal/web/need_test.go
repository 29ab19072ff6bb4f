package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

var (
	needReceiptRe = regexp.MustCompile(`id="receipt" class="code big">([0-9 ]+)<`)
	needKeyRe     = regexp.MustCompile(`id="key" class="code big">([0-9A-Z-]+)<`)
	needIDRe      = regexp.MustCompile(`href="/needs/(\d+)"`)
)

// TestNeedFlow: a citizen proposes a need on the public page (bad input
// kept and explained), others support it once per form, the proposer
// follows it by receipt and key, staff outside the unit's scope cannot see
// it, the court takes it into a project, and the public sees the project.
func TestNeedFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "clerk1", Name: "冯办事员",
			UnitCode: "court1", Roles: []org.RoleGrant{{Role: "handler"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		pub, clerk, outsider := newClient(t, srv), loggedIn(t, srv, "clerk1"), loggedIn(t, srv, "officer1")

		expect(t, pub.get("/needs"), 200, "群众点单", "暂无点单。")
		expect(t, pub.get("/needs/new?unit=court1"), 200, `id="need-form"`, `<option value="court1" selected>`)
		form := url.Values{"unit_code": {"court1"}, "area": {"worry"}, "title": {"希望开通周末立案"}, "body": {" "}}
		expect(t, pub.post("/needs", form), http.StatusBadRequest, "请写明您的需求。", "希望开通周末立案")
		form.Set("body", "上班族平时没空。我的电话 13812345678")
		r := pub.post("/needs", form)
		expect(t, r, http.StatusCreated, "点单已提交", "密钥只显示这一次")
		receipt, key := needReceiptRe.FindStringSubmatch(r.Body)[1], needKeyRe.FindStringSubmatch(r.Body)[1]
		id := needIDRe.FindStringSubmatch(r.Body)[1]

		// the public page masks the number and offers support once per form
		r = pub.get("/needs/" + id)
		expect(t, r, 200, "希望开通周末立案", "0 人支持", `id="vote-form"`)
		if strings.Contains(r.Body, "13812345678") {
			t.Fatal("the public page shows the phone number")
		}
		tok := tokenRe.FindStringSubmatch(r.Body)[1]
		expect(t, pub.post("/needs/"+id+"/vote", url.Values{"token": {tok}}), 200, "已记下您的支持", "1 人支持")
		expect(t, pub.post("/needs/"+id+"/vote", url.Values{"token": {tok}}), http.StatusConflict, "这次支持已经记下了")

		// following: the right key shows it, a wrong one says nothing more
		expect(t, pub.post("/needs/follow", url.Values{"receipt": {receipt}, "key": {"AAAA-AAAA-AAAA-AAAA-AAAA"}}),
			http.StatusBadRequest, "查询编码或密钥不正确")
		expect(t, pub.post("/needs/follow", url.Values{"receipt": {receipt}, "key": {key}}), 200, "希望开通周末立案", "待接单")

		// staff: the court sees it with the number, an outsider does not
		expect(t, clerk.get("/staff/needs"), 200, "希望开通周末立案")
		expect(t, clerk.get("/staff/needs/"+id), 200, "13812345678", `id="need-take"`)
		expect(t, outsider.get("/staff/needs/"+id), http.StatusNotFound)
		if r := outsider.get("/staff/needs"); strings.Contains(r.Body, "希望开通周末立案") {
			t.Fatal("a need outside the reader's scope is listed")
		}
		expect(t, outsider.post("/staff/needs/"+id+"/decline", url.Values{"answer": {"不办"}}), http.StatusNotFound)

		// 接单: the project form comes prefilled and takes the need
		r = clerk.get("/staff/projects/new?need=" + id)
		expect(t, r, 200, `name="need_id" value="`+id+`"`, "希望开通周末立案")
		r = clerk.post("/staff/projects", url.Values{"title": {"周末立案服务"}, "area": {"worry"}, "unit_code": {"court1"},
			"leader": {"yz1"}, "handler": {"clerk1"}, "start": {"2026-12-05"}, "end": {"2027-03-31"}, "public": {"1"}, "need_id": {id}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("take: %d\n%s", r.Status, r.Body)
		}
		expect(t, clerk.get("/staff/needs/"+id), 200, "已接单", "周末立案服务")
		expect(t, pub.get("/needs/"+id), 200, "已接单")
		// once adopted, the public page links the project
		yz := loggedIn(t, srv, "yz1")
		if r := yz.post(r.Location+"/advance", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("adopt: %d", r.Status)
		}
		expect(t, pub.get("/needs/"+id), 200, `href="/projects/`, "周末立案服务")

		// a second need declined with a public reason
		form.Set("title", "法院门口修停车场")
		r = pub.post("/needs", form)
		id2 := needIDRe.FindStringSubmatch(r.Body)[1]
		// 答复质量 on the answer before it is sent: the page with the draft
		// kept and the hints; the outsider learns nothing
		expect(t, clerk.post("/staff/needs/"+id2+"/reply-check", url.Values{"answer": {"不办。"}}), 200,
			`id="reply-hints-decline"`, "答复质量提示", "没有后续途径", ">不办。</textarea>")
		expect(t, clerk.post("/staff/needs/"+id2+"/reply-check", url.Values{"answer": {""}}), 200, "请先填写答复内容。")
		expect(t, outsider.post("/staff/needs/"+id2+"/reply-check", url.Values{"answer": {"不办。"}}), http.StatusNotFound)
		expect(t, pub.get("/needs/"+id2), 200)
		if strings.Contains(pub.get("/needs/"+id2).Body, "不予接单") {
			t.Fatal("checking the answer declined the need")
		}
		expect(t, clerk.post("/staff/needs/"+id2+"/decline", url.Values{"answer": {" "}}), http.StatusBadRequest, "请写明不予接单的理由")
		expect(t, clerk.post("/staff/needs/"+id2+"/decline", url.Values{"answer": {"场地属城管部门，已转交"}}), http.StatusSeeOther)
		expect(t, pub.get("/needs/"+id2), 200, "不予接单", "场地属城管部门，已转交")
	})
}
