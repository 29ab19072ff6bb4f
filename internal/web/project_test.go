package web_test

import (
	"context"
	"image/png"
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
	milestoneRe = regexp.MustCompile(`name="milestone" value="(\d+)"`)
	tokenRe     = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

func TestProjectFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "clerk1", Name: "冯办事员",
			UnitCode: "court1", Roles: []org.RoleGrant{{Role: "handler"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		clerk, yz, insp, pub := loggedIn(t, srv, "clerk1"), loggedIn(t, srv, "yz1"), loggedIn(t, srv, "inspector1"), newClient(t, srv)
		expect(t, clerk.get("/staff/projects/new"), 200, `id="project-form"`, "保民安", "暖民心")
		form := url.Values{"title": {"诉讼服务延时办"}, "area": {"worry"}, "unit_code": {"court1"}, "leader": {"yz1"},
			"handler": {"clerk1"}, "plan": {"工作日延时至晚七点"}, "start": {"2026-12-01"}, "end": {"2026-11-01"}, "public": {"1"}}
		expect(t, clerk.post("/staff/projects", form), http.StatusBadRequest, "结束日期不能早于开始日期。", "诉讼服务延时办")
		form.Set("end", "2027-03-31")
		r := clerk.post("/staff/projects", form)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.Status, r.Body)
		}
		path := r.Location
		id := strings.TrimPrefix(path, "/staff/projects/")
		form.Set("public", "0")
		form.Set("title", "内部项目")
		hidden := clerk.post("/staff/projects", form).Location

		// a proposal is not public; the leader adopts it
		expect(t, pub.get("/projects/"+id), http.StatusNotFound)
		expect(t, clerk.post(path+"/advance", nil), http.StatusForbidden)
		if r := yz.post(path+"/advance", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("adopt: %d\n%s", r.Status, r.Body)
		}
		yz.post(hidden+"/advance", nil)
		expect(t, pub.get("/projects/"+strings.TrimPrefix(hidden, "/staff/projects/")), http.StatusNotFound)

		expect(t, clerk.post(path+"/milestone", url.Values{"due": {"2026-12-20"}, "what": {"方案印发"}, "weight": {"0"}}),
			http.StatusBadRequest, "节点权重须为1至100。")
		for _, m := range []url.Values{{"due": {"2026-12-20"}, "what": {"方案印发"}, "weight": {"1"}},
			{"due": {"2027-01-20"}, "what": {"延时窗口开放"}, "weight": {"3"}}} {
			if r := clerk.post(path+"/milestone", m); r.Status != http.StatusSeeOther {
				t.Fatalf("milestone: %d\n%s", r.Status, r.Body)
			}
		}
		r = clerk.get(path)
		ms := milestoneRe.FindAllStringSubmatch(r.Body, -1)
		if len(ms) != 2 {
			t.Fatalf("milestones %v\n%s", ms, r.Body)
		}
		// done without evidence is refused; with evidence it counts
		expect(t, clerk.postFiles(path+"/done", url.Values{"milestone": {ms[0][1]}}, nil), http.StatusBadRequest, "请上传佐证材料,没有佐证不能标记完成。")
		if r := clerk.postFiles(path+"/done", url.Values{"milestone": {ms[0][1]}, "note": {"已印发"}}, map[string][]byte{"方案.pdf": []byte("%PDF-1.4 plan")}); r.Status != http.StatusSeeOther {
			t.Fatalf("done: %d\n%s", r.Status, r.Body)
		}
		expect(t, clerk.get(path), 200, `id="project-progress">25%<`, "方案.pdf")
		expect(t, clerk.post(path+"/advance", nil), http.StatusSeeOther)
		expect(t, clerk.post(path+"/advance", nil), http.StatusConflict, "节点“延时窗口开放”尚未完成并上传佐证")

		// the public page: progress, milestones and a rating form with a token
		expect(t, pub.get("/projects?unit=court1"), 200, "诉讼服务延时办", `value="25"`)
		r = pub.get("/projects/" + id)
		expect(t, r, 200, `id="rating-form"`, "方案印发", "25%")
		tok := tokenRe.FindStringSubmatch(r.Body)[1]
		expect(t, pub.post("/projects/"+id+"/rate", url.Values{"token": {tok}, "level": {"6"}}), http.StatusBadRequest, "请选择评价等级")
		expect(t, pub.post("/projects/"+id+"/rate", url.Values{"token": {"x.y"}, "level": {"5"}}), http.StatusBadRequest, "评价页面已失效")
		expect(t, pub.post("/projects/"+id+"/rate", url.Values{"token": {tok}, "level": {"5"}, "comment": {"晚上也能办事"}}), 200, "感谢您的评价。", "1条,平均5.00分")
		expect(t, pub.post("/projects/"+id+"/rate", url.Values{"token": {tok}, "level": {"5"}}), http.StatusConflict, "这次评价已经提交过了。")

		// the QR code of a public project is a PNG; a hidden project has none
		qr := pub.get("/projects/" + id + "/qr.png")
		img, err := png.Decode(strings.NewReader(qr.Body))
		if qr.Status != 200 || err != nil || img.Bounds().Dx() != 320 {
			t.Fatalf("qr: %d %v", qr.Status, err)
		}
		expect(t, pub.get("/projects/"+strings.TrimPrefix(hidden, "/staff/projects/")+"/qr.png"), http.StatusNotFound)
		expect(t, pub.get("/projects/"+id+"/poster"), 200, `id="poster-qr"`, `src="/projects/`+id+`/qr.png"`, "诉讼服务延时办", "手机扫码")
		expect(t, pub.get("/projects/"+strings.TrimPrefix(hidden, "/staff/projects/")+"/poster"), http.StatusNotFound)

		// finish and evaluate
		// a photo as evidence: shown on the public page without its metadata
		jpg := photo(t)
		payload := []byte("Exif\x00\x00GPS-31.2N-121.5E")
		exif := append([]byte{0xFF, 0xE1, 0x00, byte(len(payload) + 2)}, payload...)
		withExif := append(append(append([]byte{}, jpg[:2]...), exif...), jpg[2:]...)
		if r := clerk.postFiles(path+"/done", url.Values{"milestone": {ms[1][1]}}, map[string][]byte{"现场.jpg": withExif}); r.Status != http.StatusSeeOther {
			t.Fatalf("photo evidence: %d %s", r.Status, r.Body)
		}
		photoRe := regexp.MustCompile(`src="(/projects/` + id + `/photos/\d+)"`)
		m := photoRe.FindStringSubmatch(pub.get("/projects/" + id).Body)
		if m == nil {
			t.Fatal("the public page shows no evidence photo")
		}
		ph := pub.get(m[1])
		if ph.Status != 200 || !strings.HasPrefix(ph.Body, "\xFF\xD8") || strings.Contains(ph.Body, "GPS-31.2N") {
			t.Fatalf("public photo: %d, a JPEG %v, metadata kept %v", ph.Status, strings.HasPrefix(ph.Body, "\xFF\xD8"), strings.Contains(ph.Body, "GPS-31.2N"))
		}
		// the PDF evidence of the first milestone is not public
		expect(t, pub.get("/projects/"+id+"/photos/1"), http.StatusNotFound)
		expect(t, clerk.post(path+"/advance", nil), http.StatusSeeOther)
		expect(t, insp.get(path), 200, `id="evaluate-form"`, "100%")
		expect(t, insp.post(path+"/evaluate", url.Values{"score_quality": {"9"}, "comment_quality": {"规范"}, "score_effect": {"8"}}),
			http.StatusBadRequest, "每项评分都要写评价意见。")
		if r := insp.post(path+"/evaluate", url.Values{"score_quality": {"9"}, "comment_quality": {"规范"}, "score_effect": {"8"}, "comment_effect": {"好评多"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("evaluate: %d\n%s", r.Status, r.Body)
		}
		expect(t, insp.get(path), 200, "已评估", "好评多")
		expect(t, loggedIn(t, srv, "officer1").get(path), http.StatusNotFound)

		// pledges: made, refused when kept without evidence, kept with it, shown to the public
		expect(t, clerk.post("/staff/pledges", url.Values{"unit_code": {"court1"}, "content": {""}, "due": {"2026-12-31"}}),
			http.StatusBadRequest, "请填写承诺内容。")
		if r := clerk.post("/staff/pledges", url.Values{"unit_code": {"court1"}, "content": {"来信七日内答复"}, "due": {"2026-12-31"}, "public": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("pledge: %d\n%s", r.Status, r.Body)
		}
		r = clerk.get("/staff/projects")
		pm := regexp.MustCompile(`action="/staff/pledges/(\d+)/kept"`).FindStringSubmatch(r.Body)
		if pm == nil {
			t.Fatalf("no pledge form\n%s", r.Body)
		}
		expect(t, clerk.postFiles("/staff/pledges/"+pm[1]+"/kept", url.Values{"note": {"均已答复"}}, nil), http.StatusBadRequest, "请上传佐证材料,没有佐证不能标记完成。")
		if r := clerk.postFiles("/staff/pledges/"+pm[1]+"/kept", url.Values{"note": {"均已答复"}}, map[string][]byte{"台账.pdf": []byte("%PDF-1.4 x")}); r.Status != http.StatusSeeOther {
			t.Fatalf("kept: %d\n%s", r.Status, r.Body)
		}
		expect(t, pub.get("/projects?unit=court1"), 200, "来信七日内答复", "已践诺", "均已答复")
		expect(t, loggedIn(t, srv, "officer1").postFiles("/staff/pledges/"+pm[1]+"/kept", url.Values{}, map[string][]byte{"x.pdf": []byte("%PDF-1.4 x")}), http.StatusNotFound)

		// the API
		r = clerk.get("/api/v1/projects?status=evaluated")
		if r.Status != 200 || !strings.Contains(r.Body, `"progress":100`) || !strings.Contains(r.Body, `"total":1`) {
			t.Fatalf("api list: %d %s", r.Status, r.Body)
		}
		res, err := http.Get(srv.URL + "/api/v1/public/projects?unit=court1")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Set-Cookie") != "" {
			t.Fatalf("public api: %d", res.StatusCode)
		}
	})
}
