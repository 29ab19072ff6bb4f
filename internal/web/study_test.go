package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/study"
)

func (c *client) postStudyFile(path string, fields url.Values, field, name string, file []byte) resp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

const ownReflection = `通过这次学习，我对“刀刃向内”有了新的体会。过去办案时总觉得程序上没有问题就够了，
这次对照查摆才发现，自己在接待当事人时说话生硬，有两次让群众多跑了路。今后我准备把每周三下午固定为接待时间，
把常见问题的答复写成一页纸放在窗口，做到一次讲清楚。对于积案，我列了清单，逐件排出时间表，每月向庭长报告一次进度。
在廉洁方面，我把八小时以外的交往也梳理了一遍，婉拒了两个不合适的饭局。学习不是写在纸上的，要落在每一件案子上。`

func TestStudyFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := reportFixture(t, db)
		yz, judge, jj, insp, other, admin := loggedIn(t, srv, "yz1"), loggedIn(t, srv, "judge1"), loggedIn(t, srv, "jj1"),
			loggedIn(t, srv, "inspector1"), loggedIn(t, srv, "officer1"), loggedIn(t, srv, "admin")

		// an officer may not issue; the court's leader may
		expect(t, judge.get("/study/new"), http.StatusForbidden)
		expect(t, yz.get("/study/new"), 200, `id="study-form"`, `name="roles"`)
		form := url.Values{"title": {"学习教育整顿应知应会"}, "unit_code": {"court1"}, "due": {"2099-12-31"}, "min_length": {"100"},
			"material": {"坚持刀刃向内，推进教育整顿走深走实。"}}
		r := yz.postStudyFile("/study", form, "files", "应知应会.txt", []byte("应知应会题库"))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", r.Status, r.Body)
		}
		task := strings.TrimSuffix(r.Location, "?done=created")
		expect(t, judge.get("/study"), 200, "学习教育整顿应知应会")
		expect(t, other.get(task), http.StatusNotFound)
		expect(t, judge.get(task), 200, `id="reflection-form"`, "应知应会.txt", "坚持刀刃向内")

		// too short, then an own reflection; the leader copies a published speech
		expect(t, judge.post(task+"/reflections", url.Values{"text": {"学习很有收获。"}}), http.StatusBadRequest, "心得体会至少100字")
		expect(t, judge.post(task+"/reflections", url.Values{"text": {ownReflection}}), http.StatusSeeOther)
		speech := []rune(study.Builtin()[0].Body)
		copied := strings.ReplaceAll(string(speech[200:900]), "司法局", "人民法院")
		expect(t, yz.post(task+"/reflections", url.Values{"text": {copied}}), http.StatusSeeOther)

		// completion: the leader and the officer side by side
		r = yz.get(task)
		expect(t, r, 200, `id="study-completion"`, "领导", "副职", "干警", `id="study-members"`, "疑似抄袭")
		link := regexpFind(t, r.Body, `href="(/study/reflections/\d+)">[^<]*</a>\s*</td>\s*<td><span class="sim sim-high"`)

		// the reviewer sees the shared passages beside the speech
		r = jj.get(link)
		expect(t, r, 200, `id="reflection-flagged"`, `id="source-text"`, "<mark>", "范文", study.Builtin()[0].Title)
		if strings.Contains(r.Body, `id="review-form"`) {
			t.Fatal("discipline may read but not judge")
		}
		expect(t, other.get(link), http.StatusNotFound)
		expect(t, judge.get(link), http.StatusNotFound)
		expect(t, insp.get(link), 200, `id="review-form"`)
		expect(t, insp.post(link+"/review", url.Values{"decision": {"copy"}}), http.StatusBadRequest, "请写明认定理由")
		expect(t, insp.post(link+"/review", url.Values{"decision": {"copy"}, "note": {"大段照搬讲话稿"}}), http.StatusSeeOther)
		expect(t, insp.get(link), 200, "确属抄袭", "大段照搬讲话稿")
		// a revision keeps the earlier, flagged version in view
		expect(t, yz.post(task+"/reflections", url.Values{"text": {copied + "以上是我的学习体会。"}}), http.StatusSeeOther)
		expect(t, insp.get(link), 200, `id="reflection-versions"`, "第1版", "第2版", "已被新版本替代")

		// the corpus: admins only; a GBK .txt upload is read
		expect(t, yz.get("/study/corpus"), http.StatusForbidden)
		expect(t, admin.get("/study/corpus"), 200, `id="study-refs"`, "内置")
		gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(strings.Repeat("网上流传的心得体会范文，照抄不可取。", 6)))
		expect(t, admin.postStudyFile("/study/corpus", url.Values{}, "file", "网传范文.txt", gbk), http.StatusSeeOther)
		expect(t, admin.get("/study/corpus"), 200, "网传范文", "撤下")
		expect(t, admin.post("/study/settings", url.Values{"threshold": {"0"}, "min_length": {"300"}}), http.StatusBadRequest, "相似度阈值")
		expect(t, admin.post("/study/settings", url.Values{"threshold": {"500"}, "min_length": {"300"}}), http.StatusSeeOther)
	})
}

func regexpFind(t *testing.T, body, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s not found in\n%s", re, body)
	}
	return m[1]
}
