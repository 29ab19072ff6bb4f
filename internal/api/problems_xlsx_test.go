package api_test

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

var ledgerHeader = []any{"序号", "问题编号", "问题描述", "问题来源", "整改类别", "整改措施", "责任单位", "责任人", "完成时限"}

func multipartSheet(t *testing.T, unit string, data []byte) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if unit != "" {
		mw.WriteField("unit", unit)
	}
	w, _ := mw.CreateFormFile("file", "台账.xlsx")
	w.Write(data)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestProblemImportExportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)
		good := sheet(t, ledgerHeader,
			[]any{1, "", "执行案件超期未结", "督查巡察", "限期整改", "逐案清理", "东城区委政法委", "测试off", "2026年12月1日"},
			[]any{2, "", "接待群众态度生硬", "群众反映", "立行立改", "谈话提醒", "", "hand", "2026-11-20"})

		// preview: the rows as they would be recorded, nothing written
		body, ct := multipartSheet(t, "c", good)
		f.unchanged(func() {
			r := f.req("hand", "POST", "/api/v1/problems/import?preview=true", body, "Content-Type", ct)
			want(t, r, 200, "")
			rows := r.Body["rows"].([]any)
			first := rows[0].(map[string]any)
			if r.Body["total"].(float64) != 2 || first["unit_code"] != "c-k" || first["responsible"] != "off" || first["deadline"] != "2026-12-01" {
				t.Fatalf("preview: %s", r.Raw)
			}
		})
		r := f.req("hand", "POST", "/api/v1/problems/import", body, "Content-Type", ct)
		want(t, r, 200, "")
		if r.Body["created"].(float64) != 2 || r.str("first_number") != "WT-2026-000001" {
			t.Fatalf("import: %s", r.Raw)
		}

		// one bad cell refuses the sheet, naming row, column and reason
		bad := sheet(t, ledgerHeader,
			[]any{1, "", "好的一行", "督查巡察", "限期整改", "措施", "", "hand", "2026-12-01"},
			[]any{2, "", "坏的一行", "督查巡察", "限期整改", "措施", "", "out", "下月底"})
		f.unchanged(func() {
			r = f.req("hand", "POST", "/api/v1/problems/import?unit=c", bad, "Content-Type", xlsxType)
			want(t, r, 422, "import_rows")
		})
		rows := r.Body["error"].(map[string]any)["rows"].([]any)
		if len(rows) != 2 {
			t.Fatalf("row errors: %s", r.Raw)
		}
		e := rows[0].(map[string]any)
		if e["row"].(float64) != 3 || e["column"] != "完成时限" || !strings.Contains(e["message"].(string), "下月底") {
			t.Fatalf("row error: %v", e)
		}
		// not an xlsx; no file; an import into a unit one may not record in
		f.unchanged(func() {
			want(t, f.req("hand", "POST", "/api/v1/problems/import", []byte("not a workbook"), "Content-Type", xlsxType), 400, "invalid")
			want(t, f.req("hand", "POST", "/api/v1/problems/import", []byte("x"), "Content-Type", "text/csv"), 415, "")
			want(t, f.req("hand", "POST", "/api/v1/problems/import?unit=d", good, "Content-Type", xlsxType), 400, "invalid")
			want(t, f.req("off", "POST", "/api/v1/problems/import", good, "Content-Type", xlsxType), 400, "invalid")
		})

		// export: the same filters as the list, only what the reader may list
		r = f.req("hand", "GET", "/api/v1/problems/export.xlsx?unit=c-k", nil)
		if r.Code != 200 || r.Header.Get("Content-Type") != xlsxType || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", r.Code, r.Header)
		}
		x, err := excelize.OpenReader(bytes.NewReader(r.Raw))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := x.GetRows(x.GetSheetList()[0])
		if len(got) != 2 || got[0][2] != "问题描述" || got[1][1] != "WT-2026-000001" || got[1][6] != "东城区委政法委" {
			t.Fatalf("export rows: %v", got)
		}
		r = f.req("out", "GET", "/api/v1/problems/export.xlsx", nil)
		x, _ = excelize.OpenReader(bytes.NewReader(r.Raw))
		if got, _ = x.GetRows(x.GetSheetList()[0]); r.Code != 200 || len(got) != 1 {
			t.Fatalf("an outsider exported %d rows", len(got))
		}
		want(t, f.req("hand", "GET", "/api/v1/problems/export.xlsx?status=nonsense", nil), 400, "invalid")
		want(t, f.req("hand", "GET", "/api/v1/problems/export.xlsx?mine=maybe", nil), 400, "invalid")
		want(t, f.req("", "GET", "/api/v1/problems/export.xlsx", nil), 401, "")
	})
}
