package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// ledgerFixture is the page fixture's tree and people plus a deputy of
// county1 (decides extensions) and a server whose attachments live in a
// temporary folder. Shifting the ledger's clock brings look-backs due.
func ledgerFixture(t *testing.T, db *store.DB) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	fixture(t, db)
	if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "deputy1", Name: "赵分管",
		UnitCode: "county1", Roles: []org.RoleGrant{{Role: "deputy"}}, Password: pw}); err != nil {
		t.Fatal(err)
	}
	ws := web.New(db, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	shift := new(atomic.Int64) // days the ledger's clock runs ahead
	ws.Ledger.Clock = func() time.Time { return time.Now().AddDate(0, 0, int(shift.Load())) }
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	return srv, shift
}

// day formats a day from today, as the date input sends it.
func day(days int) string {
	return time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, days).Format("2006-01-02")
}

var problemLoc = regexp.MustCompile(`^/problems/(\d+)\?done=problem_created$`)

// createProblem records an item through the form and returns its path.
func createProblem(t *testing.T, c *client, form url.Values) string {
	t.Helper()
	r := c.post("/problems", form)
	m := problemLoc.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	return "/problems/" + m[1]
}

func openForm(title string) url.Values {
	return url.Values{"title": {title}, "description": {"群众反映窗口办事推诿。"}, "source": {"citizen_report"},
		"class": {"deadline"}, "severity": {"serious"}, "unit_code": {"county1"}, "responsible": {"handler1"},
		"measures": {"建立首问负责制,每周通报。"}, "deadline": {day(30)}, "action": {"open"}}
}

// postFiles sends a multipart form with files in the field "evidence".
func (c *client) postFiles(path string, fields url.Values, files map[string][]byte) resp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, b := range files {
		fw, _ := mw.CreateFormFile("evidence", name)
		fw.Write(b)
	}
	// an empty file input sends a nameless part: it is no file
	mw.CreateFormFile("evidence", "")
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestProblemCreateForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, _ := ledgerFixture(t, db)
		h := loggedIn(t, srv, "handler1")
		expect(t, h.get("/problems/new"), 200, `id="problem-form"`, `name="title"`, `name="unit_code"`, `name="responsible"`,
			`name="measures"`, `type="date" id="f-deadline"`, `name="tag" value="违规经商办企业"`, `name="tags_extra"`,
			`value="draft"`, `value="open"`, `hx-get="/problems/people?field=responsible"`)

		// opening needs the 三定: the missing one is named next to its field, input kept
		f := openForm("窗口推诿")
		f.Del("responsible")
		r := h.post("/problems", f)
		expect(t, r, 400, "请指定责任人", `class="field-error"`, `value="窗口推诿"`, "建立首问负责制")
		f = openForm("窗口推诿")
		f.Set("deadline", day(-3))
		expect(t, h.post("/problems", f), 400, "完成时限不能早于今天", `value="handler1"`)
		f.Set("deadline", "下月底")
		expect(t, h.post("/problems", f), 400, "无法识别", `value="下月底"`, `type="text" id="f-deadline"`)
		f = openForm("窗口推诿")
		f.Set("responsible", "officer1") // outside the unit's subtree
		expect(t, h.post("/problems", f), 400, "不能作为该问题的责任人")

		// a date written by hand in Chinese is accepted
		f = openForm("窗口推诿")
		d := time.Now().AddDate(0, 2, 0)
		f.Set("deadline", d.Format("2006年1月2日"))
		f["tag"] = []string{"违规经商办企业"}
		f.Set("tags_extra", "窗口作风，服务态度")
		loc := createProblem(t, h, f)
		r = h.get(loc + "?done=problem_created")
		expect(t, r, 200, "问题已登记。", "<h1 id=\"problem-title\">窗口推诿</h1>", "WT-", "待整改", "张承办", "一县委政法委",
			"建立首问负责制", d.Format("2006-01-02"), "违规经商办企业", "窗口作风", "服务态度", "群众反映", "限期整改", "较重",
			`class="light light-green"`, "绿灯", "剩余")

		// a draft without the 三定, then submitting it is refused until they are there
		loc = createProblem(t, h, url.Values{"title": {"草稿问题"}, "source": {"self_check"}, "class": {"immediate"},
			"unit_code": {"county1"}, "action": {"draft"}})
		r = h.get(loc)
		expect(t, r, 200, "草稿", `id="submit-form"`, `id="problem-edit"`, "未填写")
		if strings.Contains(r.Body, `id="progress-form"`) {
			t.Error("a draft offers progress reports")
		}
		expect(t, h.post(loc+"/submit", nil), 400, "请指定责任人", `id="submit-form"`)
		expect(t, h.get(loc+"/edit"), 200, `id="problem-form"`, `value="草稿问题"`, `action="`+loc+`/edit"`)
		upd := openForm("草稿问题")
		upd.Set("class", "immediate")
		r = h.post(loc+"/edit", upd)
		if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "done=problem_submitted") {
			t.Fatalf("edit and open: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		expect(t, h.get(r.Location), 200, "问题已立项", "待整改", "立行立改", "张承办")

		// the responsible person picker lists the unit's people
		expect(t, h.get("/problems/people?field=responsible&unit_code=county1&responsible="+url.QueryEscape("张")), 200, `data-pick="handler1"`)

		// English
		h.get("/lang?to=en&back=/")
		expect(t, h.get(loc), 200, "Open", "Responsible person", "Fix at once", "Timeline")

		// a person outside the unit's subtree: not found, and nothing leaks
		o := loggedIn(t, srv, "officer1")
		r = o.get(loc)
		expect(t, r, 404)
		if strings.Contains(r.Body, "草稿问题") {
			t.Error("the 404 page names the item")
		}
		expect(t, o.get(loc+"/notice"), 404)
		expect(t, o.post(loc+"/progress", url.Values{"percent": {"10"}, "note": {"x"}}), 404)
		expect(t, o.get("/problems/new"), 403)
		expect(t, o.get("/problems/abc"), 404)
	})
}

func TestProblemListFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, _ := ledgerFixture(t, db)
		h := loggedIn(t, srv, "handler1")
		createProblem(t, h, openForm("甲问题"))
		f := openForm("乙问题")
		f.Set("class", "longterm")
		f["tag"] = []string{"违规参股借贷"}
		f.Set("deadline", day(60))
		lt := createProblem(t, h, f)
		createProblem(t, h, url.Values{"title": {"丙草稿"}, "source": {"rating"}, "class": {"immediate"},
			"unit_code": {"county1"}, "action": {"draft"}})

		i := loggedIn(t, srv, "inspector1")
		if r := i.post(lt+"/supervise", url.Values{"interval_days": {"7"}, "note": {"每周报告"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("supervise: %d\n%s", r.Status, r.Body)
		}
		r := i.get("/problems")
		expect(t, r, 200, `href="/problems"`, `id="problem-filter"`, `id="problem-list"`, "甲问题", "乙问题", "丙草稿",
			`class="tag tag-supervised"`, `<progress max="100" value="0">`, "绿灯", "一县委政法委", "张承办",
			`href="/api/v1/problems/export.xlsx"`, `hx-select="#problem-results"`, `value="review_due"`, "回头看到期")
		only := func(r resp, want string, not ...string) {
			t.Helper()
			expect(t, r, 200, want)
			for _, n := range not {
				if strings.Contains(r.Body, n) {
					t.Errorf("the list shows %q", n)
				}
			}
		}
		only(i.get("/problems?class=longterm"), "乙问题", "甲问题", "丙草稿")
		only(i.get("/problems?supervised=1"), "乙问题", "甲问题", "丙草稿")
		only(i.get("/problems?tag="+url.QueryEscape("违规参股借贷")), "乙问题", "甲问题")
		only(i.get("/problems?status=draft"), "丙草稿", "甲问题", "乙问题")
		only(i.get("/problems?source=rating"), "丙草稿", "甲问题")
		only(i.get("/problems?q="+url.QueryEscape("甲")), "甲问题", "乙问题")
		only(i.get("/problems?unit=county1&responsible=handler1&sort=-deadline"), "乙问题", "丙草稿")
		only(i.get("/problems?deadline_from="+day(45)+"&deadline_to="+day(90)), "乙问题", "甲问题")
		expect(t, i.get("/problems?light=red"), 200, "没有符合条件的问题")
		expect(t, i.get("/problems?class=longterm"), 200, `href="/api/v1/problems/export.xlsx?class=longterm"`)
		// htmx asks for the same page (and swaps the results in place)
		req, _ := http.NewRequest("GET", srv.URL+"/problems?class=longterm", nil)
		req.Header.Set("HX-Request", "true")
		expect(t, i.do(req), 200, `id="problem-results"`, "乙问题")

		// a bad filter is shown on its field
		expect(t, i.get("/problems?unit=nosuch"), 400, "找不到责任单位“nosuch”", `class="field-error"`)
		expect(t, i.get("/problems?unit=city2"), 400, "找不到责任单位") // outside the reader's scope
		expect(t, i.get("/problems?deadline_from="+url.QueryEscape("明天")), 400, "无法识别")

		// saved filters: save, use, delete
		r = i.post("/problems/filters", url.Values{"name": {"长期督办"}, "query": {"class=longterm&supervised=1"}})
		if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "done=filter_saved") {
			t.Fatalf("save filter: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		r = i.get(r.Location)
		expect(t, r, 200, "筛选条件已保存。", `id="saved-filters"`, "长期督办", `href="/problems?class=longterm&supervised=1"`)
		expect(t, i.post("/problems/filters", url.Values{"name": {""}, "query": {"class=longterm"}}), 400, "请给筛选条件起个名字")
		m := regexp.MustCompile(`/problems/filters/(\d+)/delete`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatal("no delete form")
		}
		if strings.Contains(h.get("/problems").Body, "长期督办") {
			t.Error("another person sees the saved filter")
		}
		h.post("/problems/filters/"+m[1]+"/delete", nil) // not theirs: nothing happens
		expect(t, i.get("/problems"), 200, "长期督办")
		if r = i.post("/problems/filters/"+m[1]+"/delete", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.Status)
		}
		if strings.Contains(i.get("/problems").Body, "长期督办") {
			t.Error("the saved filter was not deleted")
		}

		// the menu: readers of the ledger see it, others do not
		o := loggedIn(t, srv, "officer1")
		if strings.Contains(o.get("/").Body, `href="/problems"`) {
			t.Error("the menu offers the ledger to an officer")
		}
		r = o.get("/problems")
		expect(t, r, 200)
		if strings.Contains(r.Body, "甲问题") {
			t.Error("an officer elsewhere sees the items")
		}
	})
}

func TestProblemFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, shift := ledgerFixture(t, db)
		h := loggedIn(t, srv, "handler1")
		i := loggedIn(t, srv, "inspector1")
		dep := loggedIn(t, srv, "deputy1")
		loc := createProblem(t, h, openForm("窗口推诿"))

		// the actions each person may use now, and no others
		has := func(r resp, yes []string, no []string) {
			t.Helper()
			expect(t, r, 200, yes...)
			for _, n := range no {
				if strings.Contains(r.Body, n) {
					t.Errorf("the page offers %s", n)
				}
			}
		}
		has(h.get(loc), []string{`id="progress-form"`, `id="close-form"`, `id="extension-form"`, "已延期 0 次,最多 2 次",
			`enctype="multipart/form-data"`, `accept=".jpg,`, `multiple`},
			[]string{`id="verify-form"`, `id="supervise-form"`, `id="review-form"`, `id="submit-form"`, `id="extension-decide-form"`})
		has(i.get(loc), []string{`id="supervise-form"`}, []string{`id="verify-form"`, `id="review-form"`, `id="extension-decide-form"`})
		has(dep.get(loc), []string{`id="progress-form"`}, []string{`id="verify-form"`, `id="supervise-form"`})

		// progress with evidence files (multipart); the empty file input is ignored
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
		r := h.postFiles(loc+"/progress", url.Values{"percent": {"40"}, "note": {"已完成窗口人员培训"}},
			map[string][]byte{"现场照片.png": png, "培训记录.txt": []byte("培训签到 12 人")})
		if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "done=problem_progress") {
			t.Fatalf("progress: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		r = h.get(r.Location)
		expect(t, r, 200, "整改进展已报告。", "整改中", "已完成窗口人员培训", "40%", "现场照片.png", "培训记录.txt", "报告进展")
		fm := regexp.MustCompile(`href="(` + loc + `/files/\d+)" download>培训记录.txt<`).FindStringSubmatch(r.Body)
		if fm == nil {
			t.Fatalf("no download link\n%s", r.Body)
		}
		fr, err := h.c.Get(srv.URL + fm[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(fr.Body)
		fr.Body.Close()
		if fr.StatusCode != 200 || string(b) != "培训签到 12 人" || fr.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(fr.Header.Get("Content-Disposition"), "attachment;") ||
			!strings.Contains(fr.Header.Get("Content-Disposition"), "filename*=UTF-8''%E5%9F%B9") {
			t.Fatalf("download: %d %q %v", fr.StatusCode, b, fr.Header)
		}
		o := loggedIn(t, srv, "officer1")
		expect(t, o.get(fm[1]), 404)

		// refusals: progress may not go down; a file of the wrong type; no note
		expect(t, h.post(loc+"/progress", url.Values{"percent": {"30"}, "note": {"回退"}}), 400, "不能低于上次报告的 40%",
			`value="30"`, "回退")
		expect(t, h.postFiles(loc+"/progress", url.Values{"percent": {"50"}, "note": {"x"}}, map[string][]byte{"a.exe": []byte("MZ")}),
			400, "类型不能上传")
		expect(t, h.post(loc+"/close", url.Values{"note": {""}}), 400, "请填写说明", `id="close-form"`)

		// close → reject (with reason) → close → approve
		if r = h.postFiles(loc+"/close", url.Values{"note": {"整改完成"}, "close_standard": {"群众回访满意"}}, nil); r.Status != http.StatusSeeOther {
			t.Fatalf("close: %d\n%s", r.Status, r.Body)
		}
		has(h.get(loc), []string{"待验收"}, []string{`id="verify-form"`, `id="progress-form"`, `id="close-form"`})
		has(i.get(loc), []string{`id="verify-form"`, "群众回访满意"}, []string{`id="progress-form"`})
		expect(t, i.get("/"), 200, `id="home-verify"`, "窗口推诿")
		expect(t, i.post(loc+"/verify", url.Values{"decision": {"reject"}}), 400, "请填写说明", `id="verify-form"`)
		if r = i.post(loc+"/verify", url.Values{"decision": {"reject"}, "note": {"佐证不足"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reject: %d\n%s", r.Status, r.Body)
		}
		expect(t, h.get(loc), 200, "整改中", "退回整改", "佐证不足")
		h.postFiles(loc+"/close", url.Values{"note": {"补充材料"}}, map[string][]byte{"回访记录.txt": []byte("回访 20 户")})
		if r = i.post(loc+"/verify", url.Values{"decision": {"approve"}, "note": {"同意销号"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("approve: %d\n%s", r.Status, r.Body)
		}
		r = i.get(r.Location)
		expect(t, r, 200, "已审核通过,问题已销号。", "已销号", "回头看日期", `id="review-form"`)
		if strings.Contains(r.Body, `id="verify-form"`) {
			t.Error("a closed item offers verification")
		}

		// 100 days later the look-back is due: on the list, the workbench and the item
		shift.Store(100)
		expect(t, i.get("/problems?status=review_due"), 200, "窗口推诿")
		expect(t, i.get("/"), 200, `id="home-reviews"`, "窗口推诿")
		expect(t, i.get(loc), 200, `id="review-due"`, "回头看已到期")
		shift.Store(0)

		// the look-back: the problem is back, with a new deadline
		expect(t, i.post(loc+"/review", url.Values{"decision": {"recurred"}, "note": {"又有推诿"}}), 400, "请填写完成时限")
		if r = i.post(loc+"/review", url.Values{"decision": {"recurred"}, "note": {"又有推诿"}, "deadline": {day(20)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("review: %d\n%s", r.Status, r.Body)
		}
		expect(t, h.get(loc), 200, "已重新打开", "反弹 1 次", "回头看:问题反弹,重新打开", day(20))

		// extension: asked by the responsible person, decided by the deputy
		if r = h.post(loc+"/extension", url.Values{"deadline": {day(40)}, "reason": {"需协调编制"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("extension: %d\n%s", r.Status, r.Body)
		}
		has(h.get(loc), []string{"延期申请待审批", "需协调编制"}, []string{`id="extension-form"`, `id="extension-decide-form"`})
		expect(t, dep.get("/"), 200, `id="home-extensions"`, "窗口推诿")
		has(dep.get(loc), []string{`id="extension-decide-form"`}, nil)
		if r = dep.post(loc+"/extension/decide", url.Values{"decision": {"approve"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("decide: %d\n%s", r.Status, r.Body)
		}
		expect(t, h.get(loc), 200, "已延期 1 次,最多 2 次", day(40), "同意延期")

		// supervision: banner, list mark, the printable notice
		expect(t, i.post(loc+"/supervise", url.Values{"interval_days": {"7"}}), 400, "请填写说明")
		if r = i.post(loc+"/supervise", url.Values{"interval_days": {"5"}, "note": {"每周五前报送"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("supervise: %d\n%s", r.Status, r.Body)
		}
		has(i.get(loc), []string{`id="supervision-banner"`, "一市委政法委", "每 5 天报告一次整改进展", `id="unsupervise-form"`},
			[]string{`id="supervise-form"`})
		expect(t, h.get("/problems?mine=1"), 200, "窗口推诿", `class="tag tag-supervised"`)
		r = h.get(loc + "/notice")
		expect(t, r, 200, `id="notice"`, "问题整改督办单", "一市委政法委", "一县委政法委", "窗口推诿", "张承办", "建立首问负责制",
			"每 5 天报告一次进展", "每周五前报送", "办理情况", `id="notice-sign"`, "督办单位（盖章）", "签发人", "承办单位签收人",
			"签收日期", `data-print`, "/static/app.js")

		// the workbench of the responsible person
		expect(t, h.get("/"), 200, `id="home-mine"`, "窗口推诿", "我负责的问题")

		// a long-term item closes only with its mechanism
		f := openForm("长期问题")
		f.Set("class", "longterm")
		lt := createProblem(t, h, f)
		expect(t, h.get(lt), 200, `id="mechanism-fields"`, `name="mech_title"`)
		ev := map[string][]byte{"制度.txt": []byte("制度全文")}
		expect(t, h.postFiles(lt+"/close", url.Values{"note": {"完成"}}, ev), 400, "长效机制")
		r = h.postFiles(lt+"/close", url.Values{"note": {"完成"}, "mech_title": {"窗口服务首问负责制度"},
			"mech_doc_no": {"青政法〔2026〕12号"}, "mech_issued_on": {day(-1)}}, ev)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("close long-term: %d\n%s", r.Status, r.Body)
		}
		expect(t, h.get(lt), 200, "窗口服务首问负责制度", "青政法〔2026〕12号", "待验收")
	})
}

// TestLedgerLabels: every status, class, source, light and severity has its label.
func TestLedgerLabels(t *testing.T) {
	var keys []string
	for _, s := range ledger.Statuses {
		keys = append(keys, "ui.problem.status."+string(s))
	}
	for _, c := range ledger.Classes {
		keys = append(keys, "ui.problem.class."+c)
	}
	for _, s := range ledger.Sources {
		keys = append(keys, "ui.problem.source."+s)
	}
	for _, l := range ledger.Lights {
		keys = append(keys, "ui.problem.light."+l)
	}
	for _, s := range ledger.Severities {
		keys = append(keys, "ui.problem.severity."+s)
	}
	for _, k := range keys {
		if !i18n.Has(k) {
			t.Errorf("no label %s", k)
		}
	}
	want := map[string]string{"ui.problem.status.draft": "草稿", "ui.problem.status.open": "待整改",
		"ui.problem.status.in_progress": "整改中", "ui.problem.status.pending_verification": "待验收",
		"ui.problem.status.closed": "已销号", "ui.problem.status.reopened": "已重新打开",
		"ui.problem.class.immediate": "立行立改", "ui.problem.class.deadline": "限期整改", "ui.problem.class.longterm": "长期整改",
		"ui.problem.source.inspection": "督查巡察", "ui.problem.source.clue": "线索转办",
		"ui.problem.light.yellow": "黄灯", "ui.problem.severity.serious": "较重"}
	for k, v := range want {
		if got := i18n.T(i18n.ZH, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
