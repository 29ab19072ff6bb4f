package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// postMultipart sends text fields and, when file is not nil, the file "file".
func (c *client) postMultipart(path string, fields map[string]string, file []byte) resp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "台账.xlsx")
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var hiddenData = regexp.MustCompile(`name="data" value="([^"]*)"`)

func problemCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM problems`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProblemImportPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, _ := ledgerFixture(t, db)
		c := loggedIn(t, srv, "handler1")
		header := []string{"序号", "问题内容", "问题来源", "整改类别", "整改措施", "责任单位", "责任人员", "整改时限"}
		good := xlsx(t, [][]string{header,
			{"1", "窗口办事推诿", "群众反映", "限期整改", "建立首问负责制", "一县委政法委", "张承办", day(30)},
			{"2", "卷宗归档不及时", "自查自纠", "立行立改", "一周内补齐", "", "handler1", strings.ReplaceAll(day(10), "-", "/")}})

		expect(t, c.get("/problems"), http.StatusOK, `href="/problems/import"`, `href="/api/v1/problems/export.xlsx"`)
		expect(t, c.get("/problems/import"), http.StatusOK, "导入问题台账", "问题内容")

		// upload → preview: nothing is written yet
		r := c.postMultipart("/problems/import/preview", map[string]string{"unit": "county1"}, good)
		expect(t, r, http.StatusOK, "共 2 行数据", "窗口办事推诿", "群众反映", "handler1", "确认导入 2 条")
		if problemCount(t, db) != 0 {
			t.Fatal("the preview wrote items")
		}
		m := hiddenData.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatal("no file in the confirm form")
		}
		// confirm
		r = c.postMultipart("/problems/import", map[string]string{"unit": "county1", "name": "台账.xlsx", "data": html.UnescapeString(m[1])}, nil)
		expect(t, r, http.StatusOK, "已导入 2 个问题", "查看台账")
		if problemCount(t, db) != 2 {
			t.Fatalf("%d items after the import", problemCount(t, db))
		}

		// bad cells: every one listed with row, column and reason; nothing written
		bad := xlsx(t, [][]string{header,
			{"1", "好的一行", "群众反映", "限期整改", "措施", "", "handler1", day(30)},
			{"2", "日期含糊", "群众反映", "限期整改", "措施", "", "handler1", "下月底"},
			{"3", "他市的人", "群众反映", "限期整改", "措施", "", "李干警", day(30)}})
		r = c.postMultipart("/problems/import/preview", map[string]string{"unit": "county1"}, bad)
		expect(t, r, http.StatusUnprocessableEntity, "第 3 行", "整改时限", "下月底", "第 4 行", "责任人员", "李干警", "本次未导入任何问题")
		if strings.Contains(r.Body, `name="data"`) {
			t.Fatal("a sheet with errors offers the confirm button")
		}
		// a confirm with a changed file is checked again
		r = c.postMultipart("/problems/import", map[string]string{"unit": "county1", "data": encode(bad)}, nil)
		expect(t, r, http.StatusUnprocessableEntity, "下月底")
		// not an xlsx; a unit out of reach
		expect(t, c.postMultipart("/problems/import/preview", map[string]string{"unit": "county1"}, []byte("hello")),
			http.StatusBadRequest, "请上传 .xlsx 格式")
		expect(t, c.postMultipart("/problems/import/preview", map[string]string{"unit": "city2"}, good),
			http.StatusBadRequest, "city2")
		if problemCount(t, db) != 2 {
			t.Fatal("a refused import wrote items")
		}

		// the list's export link carries exactly the list's filter
		expect(t, c.get("/problems?unit=county1&status=open&sort=number"), http.StatusOK,
			`href="/api/v1/problems/export.xlsx?sort=number&status=open&unit=county1"`)
		// and serves the filtered ledger to the signed-in browser
		r = c.get("/api/v1/problems/export.xlsx?unit=county1&sort=number")
		x, err := excelize.OpenReader(strings.NewReader(r.Body))
		if r.Status != http.StatusOK || err != nil {
			t.Fatalf("export: %d %v", r.Status, err)
		}
		rows, _ := x.GetRows(x.GetSheetList()[0])
		if len(rows) != 3 || rows[1][2] != "窗口办事推诿" || rows[2][7] != "张承办" {
			t.Fatalf("export rows %v", rows)
		}

		// a person who may not record problems has no import page
		o := loggedIn(t, srv, "officer1")
		expect(t, o.get("/problems/import"), http.StatusForbidden)
		expect(t, o.postMultipart("/problems/import/preview", nil, good), http.StatusForbidden)
	})
}

func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestBrowserProblemImport walks the import in Chromium: the list's button,
// the upload, the preview table, the confirm; no script or CSP error on the way.
func TestBrowserProblemImport(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := fixture(t, db)
	b := browsertest.New(t)
	browserLogin(t, b, srv, "handler1")
	file := filepath.Join(t.TempDir(), "台账.xlsx")
	if err := os.WriteFile(file, xlsx(t, [][]string{
		{"序号", "问题描述", "问题来源", "整改类别", "整改措施", "责任人", "完成时限"},
		{"1", "窗口办事推诿", "群众反映", "限期整改", "建立首问负责制", "张承办", day(30)}}), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Navigate(srv.URL + "/problems")
	if st := b.ClickAndWait("#problem-import"); st != http.StatusOK {
		t.Fatalf("import page: %d", st)
	}
	b.Fill("#import-form", url.Values{"unit": {"county1"}})
	ctx, cancel := context.WithTimeout(b.Ctx, browsertest.StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file})); err != nil {
		t.Fatalf("choose the file: %v", err)
	}
	if st := b.ClickAndWait(`#import-form [type="submit"]`); st != http.StatusOK {
		t.Fatalf("preview: %d", st)
	}
	if got := b.Text("#import-preview tbody"); !strings.Contains(got, "窗口办事推诿") || !strings.Contains(got, "handler1") {
		t.Fatalf("preview table: %q", got)
	}
	if st := b.ClickAndWait(`#import-confirm [type="submit"]`); st != http.StatusOK {
		t.Fatalf("confirm: %d", st)
	}
	if got := b.Text(".alert-success"); !strings.Contains(got, "已导入 1 个问题") {
		t.Fatalf("result: %q", got)
	}
	if problemCount(t, db) != 1 {
		t.Fatalf("%d items after the browser import", problemCount(t, db))
	}
}
