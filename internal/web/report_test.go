package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// reportFixture adds to the page fixture a court in county1 with a department,
// its discipline officer, its leader and a judge, and a county discipline officer.
func reportFixture(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	srv := fixture(t, db)
	ctx := context.Background()
	for _, u := range []org.UnitInput{
		{Code: "court1", Name: "一县人民法院", Kind: "organ", ParentCode: "county1"},
		{Code: "court1-xs", Name: "刑事审判庭", Kind: "department", ParentCode: "court1"},
	} {
		if _, err := org.CreateUnit(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []org.UserInput{
		{Username: "jj1", Name: "纪检员甲", UnitCode: "court1", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "jj-county", Name: "纪检员乙", UnitCode: "county1", Roles: []org.RoleGrant{{Role: "discipline"}}},
		{Username: "yz1", Name: "吴院长", UnitCode: "court1", Roles: []org.RoleGrant{{Role: "leader"}}},
		{Username: "judge1", Name: "郑法官", UnitCode: "court1-xs", Roles: []org.RoleGrant{{Role: "officer"}}},
	} {
		u.Password = pw
		if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

// photo is a small real JPEG.
func photo(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	receiptRe = regexp.MustCompile(`id="receipt" class="code big">([0-9 ]+)<`)
	keyRe     = regexp.MustCompile(`id="key" class="code big">([0-9A-Z-]+)<`)
	clueRe    = regexp.MustCompile(`href="/clues/(\d+)">(JB-\d{4}-\d{6})<`)
)

func reportForm(accused string) url.Values {
	return url.Values{"category": {"interfere"}, "unit_code": {"court1-xs"}, "subject": {"庭长打招呼要求轻判"},
		"content": {"某案开庭前,庭长多次打电话要求承办法官从轻判决。"}, "when": {"2026年11月"}, "where": {"一县法院"},
		"accused_name": {accused, ""}, "accused_post": {"法官", ""}, "identity": {"real"},
		"reporter_name": {"钱群众"}, "reporter_phone": {"13900001111"}}
}

func TestPublicReportFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		pub := newClient(t, srv)

		r := pub.get("/report")
		expect(t, r, 200, `id="report-form"`, `enctype="multipart/form-data"`, `name="category" value="interfere"`,
			"违规干预过问案件", `hx-get="/report/units"`, `name="identity" value="anonymous"`, "不记录您的 IP 地址")
		expect(t, pub.get("/report/units?unit_code=刑事"), 200, `data-pick="court1-xs"`, "一县人民法院")

		// bad input: Chinese errors on the fields, values kept, nothing stored
		bad := reportForm("郑法官")
		bad.Set("content", "")
		bad.Set("reporter_phone", "12")
		r = pub.postFiles("/report", bad, nil)
		expect(t, r, http.StatusBadRequest, "请填写具体反映的内容。", "庭长打招呼要求轻判")
		r = pub.postFiles("/report", reportForm("郑法官"), map[string][]byte{"x.jpg": []byte("<html><script>alert(1)</script></html>")})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `class="field-error"`) {
			t.Fatalf("HTML as JPEG: %d\n%s", r.Status, r.Body)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d reports stored from bad input", n)
		}

		r = pub.postFiles("/report", reportForm("郑法官"), map[string][]byte{"现场.jpg": photo(t)})
		expect(t, r, http.StatusCreated, "举报已提交", "密钥只显示这一次")
		if r.Status != http.StatusCreated {
			return
		}
		receipt, key := receiptRe.FindStringSubmatch(r.Body)[1], keyRe.FindStringSubmatch(r.Body)[1]
		if len(strings.ReplaceAll(receipt, " ", "")) != 12 || len(strings.ReplaceAll(key, "-", "")) != 20 {
			t.Fatalf("receipt %q key %q", receipt, key)
		}

		// follow-up with receipt and key; a wrong key gets the one answer
		expect(t, pub.post("/report/lookup", url.Values{"receipt": {receipt}, "key": {"AAAA-BBBB-CCCC-DDDD-EEEE"}}),
			http.StatusNotFound, "查询编码或查询密钥不正确")
		r = pub.post("/report/lookup", url.Values{"receipt": {receipt}, "key": {key}})
		expect(t, r, 200, "庭长打招呼要求轻判", "现场.jpg", `class="stages"`)
		r = pub.postFiles("/report/followup", url.Values{"receipt": {receipt}, "key": {key}, "message": {"补充:通话时间是晚上九点"}}, nil)
		expect(t, r, 200, "已收到您补充的内容。", "补充:通话时间是晚上九点")

		// the court's discipline officer sees it, the judge named in it does not
		jj := loggedIn(t, srv, "jj1")
		expect(t, jj.get("/"), 200, "1 件举报待受理", `href="/clues?status=received"`)
		r = jj.get("/clues")
		expect(t, r, 200, "庭长打招呼要求轻判", "受理及时率", "查结率")
		m := clueRe.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no lead in the list\n%s", r.Body)
		}
		path := "/clues/" + m[1]
		expect(t, jj.get("/clues?status=&unit=court1"), 200, "庭长打招呼要求轻判")
		expect(t, jj.get("/clues?unit=nope"), http.StatusBadRequest, "找不到单位“nope”")
		expect(t, jj.get(path), 200, "某案开庭前", "郑法官", `id="form-register"`, `id="form-identity"`)
		r = jj.post(path+"/register", url.Values{"note": {"属于线索"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("register: %d\n%s", r.Status, r.Body)
		}
		expect(t, jj.post(path+"/identity", url.Values{"reason": {""}}), http.StatusBadRequest, "必须写明理由")
		expect(t, jj.post(path+"/identity", url.Values{"reason": {"电话核实举报细节"}}), 200, "钱群众", "13900001111", "已记入审计日志")
		expect(t, jj.get(path), 200, "查看了举报人身份", "电话核实举报细节")
		// a second report about the same matter is offered for merging
		if r := pub.postFiles("/report", reportForm("郑法官"), nil); r.Status != http.StatusCreated {
			t.Fatalf("second report: %d", r.Status)
		}
		r = jj.get("/clues?status=received")
		m2 := clueRe.FindStringSubmatch(r.Body)
		if m2 == nil {
			t.Fatalf("no second report\n%s", r.Body)
		}
		expect(t, jj.get("/clues/"+m2[1]), 200, `id="clue-similar"`, "可能是同一事项的举报", m[2], "并入该线索")

		judge := loggedIn(t, srv, "judge1")
		expect(t, judge.get(path), http.StatusNotFound)
		if r := judge.get("/clues"); r.Status != http.StatusForbidden {
			t.Errorf("the judge opens the leads list: %d", r.Status)
		}
		// the reporter now sees 受理
		expect(t, pub.post("/report/lookup", url.Values{"receipt": {receipt}, "key": {key}}), 200, `class="done current">受理<`)

		// the public figures mask small counts
		expect(t, pub.get("/transparency"), 200, "举报办理情况公开", `id="t-total"><5<`)
	})
}

func TestPublicReportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		post := func(path, body string) (int, map[string]any) {
			res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			json.NewDecoder(res.Body).Decode(&out)
			if res.Header.Get("Set-Cookie") != "" {
				t.Errorf("%s sets a cookie", path)
			}
			return res.StatusCode, out
		}
		st, out := post("/api/v1/public/reports", `{"category":"work","unit_code":"court1","subject":"立案难","content":"窗口不收材料"}`)
		if st != 201 || out["receipt"] == nil || out["key"] == nil {
			t.Fatalf("submit: %d %v", st, out)
		}
		receipt, key := out["receipt"].(string), out["key"].(string)
		st, out = post("/api/v1/public/reports/lookup", `{"receipt":"`+receipt+`","key":"`+key+`"}`)
		if st != 200 || out["subject"] != "立案难" || out["stage"] != "received" {
			t.Fatalf("lookup: %d %v", st, out)
		}
		st1, out1 := post("/api/v1/public/reports/lookup", `{"receipt":"`+receipt+`","key":"0000-0000-0000-0000-0000"}`)
		st2, out2 := post("/api/v1/public/reports/lookup", `{"receipt":"999999999999","key":"`+key+`"}`)
		if st1 != 404 || st2 != 404 || !jsonEqual(out1, out2) {
			t.Fatalf("mismatch answers differ: %d %v / %d %v", st1, out1, st2, out2)
		}
		for _, body := range []string{`{"category":"work","unit_code":"court1","subject":"x","content":""}`,
			`{"category":"work","unit_code":"court1","subject":"x","content":"` + strings.Repeat("长", 20001) + `"}`,
			`{"category":"work","unit_code":"court1","subject":"x","content":"y","extra":1}`, `{`} {
			if st, out := post("/api/v1/public/reports", body); st != 400 || out["error"] == nil {
				t.Errorf("bad body %.40s: %d %v", body, st, out)
			}
		}

		// staff API: list, get, register, identity
		jj := loggedIn(t, srv, "jj1")
		r := jj.get("/api/v1/clues?status=received")
		var list struct {
			Items []struct {
				ID     int64  `json:"id"`
				Number string `json:"number"`
			} `json:"items"`
			Total int `json:"total"`
		}
		json.Unmarshal([]byte(r.Body), &list)
		if r.Status != 200 || list.Total != 1 {
			t.Fatalf("clues: %d %s", r.Status, r.Body)
		}
		id := list.Items[0].ID
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/clues/"+itoa(id)+"/register", strings.NewReader(`{"note":"受理"}`))
		req.Header.Set("Content-Type", "application/json")
		if r := jj.do(req); r.Status != 200 || !strings.Contains(r.Body, `"status":"registered"`) {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		req, _ = http.NewRequest("POST", srv.URL+"/api/v1/clues/"+itoa(id)+"/identity", strings.NewReader(`{"reason":"核实身份"}`))
		req.Header.Set("Content-Type", "application/json")
		if r := jj.do(req); r.Status != 404 || !strings.Contains(r.Body, "匿名") {
			t.Fatalf("identity of an anonymous report: %d %s", r.Status, r.Body)
		}
		// someone the lead names gets 404, as for a lead that does not exist
		req, _ = http.NewRequest("POST", srv.URL+"/api/v1/clues/"+itoa(id)+"/assign", strings.NewReader(`{"named_usernames":["yz1"]}`))
		req.Header.Set("Content-Type", "application/json")
		if r := jj.do(req); r.Status != 200 {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		jjc := loggedIn(t, srv, "jj-county")
		if r := jjc.get("/api/v1/clues/" + itoa(id)); r.Status != 200 || !strings.Contains(r.Body, `"handling_unit_code":"county1"`) {
			t.Fatalf("a lead naming the court's leader is not with the county: %d %s", r.Status, r.Body)
		}
		yz := loggedIn(t, srv, "yz1")
		a, b := yz.get("/api/v1/clues/"+itoa(id)), yz.get("/api/v1/clues/999999")
		if a.Status != 404 || a.Body != b.Body {
			t.Fatalf("the named leader: %d %s / %s", a.Status, a.Body, b.Body)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestReportTimersSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		a := loggedIn(t, srv, "admin")
		expect(t, a.get("/settings"), 200, `id="report-timers-form"`, `name="ack_days"`, `value="5"`, `value="15"`)
		expect(t, a.post("/settings/report-timers", url.Values{"ack_days": {"0"}, "conclude_days": {"60"}, "feedback_days": {"15"}}),
			http.StatusBadRequest, "该值应在 1 到 60 之间。")
		expect(t, a.post("/settings/report-timers", url.Values{"ack_days": {"x"}, "conclude_days": {"60"}, "feedback_days": {"15"}}),
			http.StatusBadRequest, "请填写整数。")
		if r := loggedIn(t, srv, "jj1").post("/settings/report-timers", url.Values{"ack_days": {"3"}, "conclude_days": {"60"}, "feedback_days": {"15"}}); r.Status != http.StatusForbidden {
			t.Fatalf("a discipline officer changed the timers: %d", r.Status)
		}
		r := a.post("/settings/report-timers", url.Values{"ack_days": {"3"}, "conclude_days": {"30"}, "feedback_days": {"10"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		expect(t, a.get("/settings"), 200, `id="f-ack_days" name="ack_days" min="1" max="60" required value="3"`)
		// a new report gets the new acknowledgement timer
		pub := newClient(t, srv)
		if r := pub.postFiles("/report", reportForm(""), nil); r.Status != http.StatusCreated {
			t.Fatalf("submit: %d", r.Status)
		}
		var received, due string
		db.Read.QueryRow(`SELECT received_on, ack_due FROM reports`).Scan(&received, &due)
		if due <= received {
			t.Fatalf("ack due %s for a report received %s", due, received)
		}
		var n int
		db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'settings.report_timers'`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d audit entries for the change", n)
		}
	})
}

// TestPublicReportMultipart: the API's multipart form with files, a file
// over the limit, and a name that climbs out of its folder.
func TestPublicReportMultipart(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := reportFixture(t, db)
	send := func(files map[string][]byte) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("report", `{"category":"work","unit_code":"court1","subject":"附件测试","content":"见附件"}`)
		for name, b := range files {
			fw, _ := mw.CreateFormFile("evidence", name)
			fw.Write(b)
		}
		mw.Close()
		res, err := http.Post(srv.URL+"/api/v1/public/reports", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := send(map[string][]byte{"big.jpg": bytes.Repeat([]byte{0xff}, 20<<20+1)}); st != 400 || !strings.Contains(body, "过大") {
		t.Fatalf("a 20 MB + 1 file: %d %s", st, body)
	}
	st, body := send(map[string][]byte{"../../现场.jpg": photo(t)})
	if st != 201 {
		t.Fatalf("a photo: %d %s", st, body)
	}
	var rc struct{ Receipt, Key string }
	json.Unmarshal([]byte(body), &rc)
	pub := newClient(t, srv)
	expect(t, pub.post("/report/lookup", url.Values{"receipt": {rc.Receipt}, "key": {rc.Key}}), 200, ">现场.jpg<")
	var n int
	db.Read.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d reports stored", n)
	}
}
