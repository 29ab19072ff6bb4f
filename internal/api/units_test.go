package api_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func (f *fx) unit(code string) org.Unit {
	f.t.Helper()
	u, err := org.UnitByCode(context.Background(), f.db.Read, code)
	if err != nil {
		f.t.Fatalf("unit %s: %v", code, err)
	}
	return u
}

func (f *fx) unitExists(code string) bool {
	_, err := org.UnitByCode(context.Background(), f.db.Read, code)
	return err == nil
}

func TestUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)

		r := f.req("admin", "GET", "/api/v1/units", nil)
		want(t, r, 200, "")
		if r.Body["total"].(float64) != 6 || len(r.items()) != 6 || r.Body["page"].(float64) != 1 || r.Body["per_page"].(float64) != 50 {
			t.Fatalf("list: %s", r.Raw)
		}
		top := r.items()[0].(map[string]any)
		if top["code"] != "qh" || top["parent_code"] != nil || top["depth"].(float64) != 1 || top["children"].(float64) != 2 {
			t.Fatalf("top unit: %v", top)
		}

		// create
		r = f.req("admin", "POST", "/api/v1/units", `{"code":"x2","name":"南城县委政法委","parent_code":"c1","kind":"county"}`)
		want(t, r, 201, "")
		if r.Header.Get("Location") != "/api/v1/units/x2" || r.str("code") != "x2" || r.Body["parent_code"] != "c1" ||
			r.Body["depth"].(float64) != 3 || r.Body["closed"] != false {
			t.Fatalf("create: %s %s", r.Header.Get("Location"), r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/units/x2", nil)
		want(t, r, 200, "")
		if r.str("name") != "南城县委政法委" || r.str("kind") != "county" {
			t.Fatalf("get: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/units/c1", nil)
		if r.Body["children"].(float64) != 2 {
			t.Fatalf("children of c1: %s", r.Raw)
		}

		// filters
		r = f.req("admin", "GET", "/api/v1/units?parent_code=c1", nil)
		want(t, r, 200, "")
		if r.Body["total"].(float64) != 2 {
			t.Fatalf("parent_code filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/units?under=x1", nil)
		if r.Body["total"].(float64) != 3 {
			t.Fatalf("under filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/units?q=%E6%B3%95%E9%99%A2", nil) // 法院
		if r.Body["total"].(float64) != 1 || r.items()[0].(map[string]any)["code"] != "x1-court" {
			t.Fatalf("q filter: %s", r.Raw)
		}

		// rename, move, both at once
		r = f.req("admin", "PATCH", "/api/v1/units/x2", `{"name":"南城县"}`)
		want(t, r, 200, "")
		if r.str("name") != "南城县" || f.unit("x2").Name != "南城县" {
			t.Fatalf("rename: %s", r.Raw)
		}
		r = f.req("admin", "PATCH", "/api/v1/units/x2", `{"parent_code":"c2"}`)
		want(t, r, 200, "")
		if r.Body["parent_code"] != "c2" || f.unit("x2").ParentCode != "c2" {
			t.Fatalf("move: %s", r.Raw)
		}
		r = f.req("admin", "PATCH", "/api/v1/units/x2", `{"name":"南城县委政法委","parent_code":"c1"}`)
		want(t, r, 200, "")
		if u := f.unit("x2"); u.Name != "南城县委政法委" || u.ParentCode != "c1" {
			t.Fatalf("rename+move: %+v", u)
		}
		// moving a subtree carries it
		want(t, f.req("admin", "PATCH", "/api/v1/units/x1", `{"parent_code":"c2"}`), 200, "")
		if u := f.unit("x1-court-d1"); u.Depth != 5 || !strings.HasPrefix(u.Path, f.unit("c2").Path) {
			t.Fatalf("subtree not moved: %+v", u)
		}

		// close; closed units are listed only on request
		r = f.req("admin", "POST", "/api/v1/units/x2/close", nil)
		want(t, r, 200, "")
		if r.Body["closed"] != true || r.Body["closed_at"] == nil {
			t.Fatalf("close: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/units", nil)
		if r.Body["total"].(float64) != 6 {
			t.Fatalf("closed unit listed: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/units?include_closed=true", nil)
		if r.Body["total"].(float64) != 7 {
			t.Fatalf("include_closed: %s", r.Raw)
		}
		want(t, f.req("admin", "GET", "/api/v1/units?include_closed=maybe", nil), 400, "invalid")
		// a unit with people cannot be closed
		f.unchanged(func() { want(t, f.req("admin", "POST", "/api/v1/units/x1-court/close", nil), 409, "not_empty") })
		f.unchanged(func() { want(t, f.req("admin", "POST", "/api/v1/units/qh/close", nil), 409, "") })
	})
}

func TestUnitBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		create := func(body string, status int, code, field string) {
			t.Helper()
			f.unchanged(func() {
				r := f.req("admin", "POST", "/api/v1/units", body)
				want(t, r, status, code)
				if field != "" && r.errField() != field {
					t.Fatalf("field %q, want %q: %s", r.errField(), field, r.Raw)
				}
			})
			if f.unitExists("new1") {
				t.Fatalf("%s: the unit was created", body)
			}
		}
		create(`{"code":"new1","name":"","parent_code":"c1"}`, 400, "invalid", "name")
		create(`{"code":"new1","name":"   ","parent_code":"c1"}`, 400, "invalid", "name")
		create(`{"code":"new1","name":"`+strings.Repeat("长", 101)+`","parent_code":"c1"}`, 400, "invalid", "name")
		create(`{"code":"new1","name":"a\nb","parent_code":"c1"}`, 400, "invalid", "name")
		create(`{"code":"","name":"新单位","parent_code":"c1"}`, 400, "invalid", "code")
		create(`{"code":"new 1","name":"新单位","parent_code":"c1"}`, 400, "invalid", "code")
		create(`{"code":"new1","name":"新单位","parent_code":"c1","kind":"galaxy"}`, 400, "invalid", "kind")
		create(`{"code":"new1","name":"新单位","parent_code":"nope"}`, 400, "invalid", "parent_code")
		create(`{"code":"new1","name":"新单位"}`, 400, "invalid", "parent_code")
		create(`{"code":"new1","name":"新单位","parent_code":"c1","extra":1}`, 400, "unknown_field", "extra")
		create(`{"code":"new1","name":"新单位","parent_code":"c1","Code":"x"}`, 400, "unknown_field", "Code")
		create(`{"code":"new1","name":"新单位","parent_code":"c1","code":"new1"}`, 400, "duplicate_field", "code")
		create(`{"code":"new1","name":"新单位","parent_code":"c1"`, 400, "malformed_json", "")
		create(`{"code":"new1","name":"新单位","parent_code":"c1"} {}`, 400, "malformed_json", "")
		create(`{"code":"new1","name":"新单位",,"parent_code":"c1"}`, 400, "malformed_json", "")
		create(`{"code":1,"name":"新单位","parent_code":"c1"}`, 400, "malformed_json", "code")
		create(`["new1"]`, 400, "malformed_json", "")
		create(`null`, 400, "malformed_json", "")
		create(``, 400, "malformed_json", "")
		// duplicate code: an existing unit keeps its name
		create(`{"code":"c2","name":"重复","parent_code":"c1"}`, 409, "duplicate_code", "code")
		if f.unit("c2").Name != "西城市委政法委" || f.unit("c2").ParentCode != "qh" {
			t.Fatal("duplicate code changed the existing unit")
		}

		// the error message names the position or the field
		r := f.req("admin", "POST", "/api/v1/units", `{"code":"new1","name":"新单位",,"parent_code":"c1"}`, "Accept-Language", "en")
		if !strings.Contains(r.errMessage(), "syntax error at byte") {
			t.Fatalf("syntax message: %q", r.errMessage())
		}
		r = f.req("admin", "POST", "/api/v1/units", `{"code":"new1","name":"n","parent_code":"c1","colour":"red"}`)
		if !strings.Contains(r.errMessage(), "colour") {
			t.Fatalf("unknown field message: %q", r.errMessage())
		}

		// content type and size
		f.unchanged(func() {
			r := f.req("admin", "POST", "/api/v1/units", []byte(`{"code":"new1","name":"新单位","parent_code":"c1"}`), "Content-Type", "text/plain")
			want(t, r, 415, "unsupported_media_type")
			r = f.req("admin", "POST", "/api/v1/units", []byte(`{"code":"new1","name":"新单位","parent_code":"c1"}`))
			want(t, r, 415, "unsupported_media_type")
			big := `{"code":"new1","name":"` + strings.Repeat("a", 1<<20) + `","parent_code":"c1"}`
			want(t, f.req("admin", "POST", "/api/v1/units", big), 413, "too_large")
		})
		// charset utf-8 is fine
		r = f.req("admin", "POST", "/api/v1/units", []byte(`{"code":"ok1","name":"新单位","parent_code":"c1"}`),
			"Content-Type", "application/json; charset=UTF-8")
		want(t, r, 201, "")

		// patches
		patch := func(code, body string, status int, errCode string) {
			t.Helper()
			before := f.unit(code)
			f.unchanged(func() { want(t, f.req("admin", "PATCH", "/api/v1/units/"+code, body), status, errCode) })
			if after := f.unit(code); after.Name != before.Name || after.Path != before.Path {
				t.Fatalf("%s changed: %+v -> %+v", body, before, after)
			}
		}
		patch("c1", `{"parent_code":"x1"}`, 400, "invalid")     // under its own descendant
		patch("c1", `{"parent_code":"c1"}`, 400, "invalid")     // under itself
		patch("qh", `{"parent_code":"c1"}`, 400, "invalid")     // the top unit
		patch("c1", `{"parent_code":"nope"}`, 400, "invalid")   // no such parent
		patch("c1", `{"parent_code":""}`, 400, "invalid")       // empty parent
		patch("c1", `{"name":""}`, 400, "invalid")              // empty name
		patch("c1", `{"name":"新","parent_code":"x1"}`, 400, "") // a bad move does not rename
		patch("c1", `{"name":"","parent_code":"c2"}`, 400, "")  // a bad name does not move
		patch("c1", `{"name":"`+strings.Repeat("长", 101)+`"}`, 400, "invalid")
		patch("c1", `{}`, 400, "invalid") // nothing to change
		patch("c1", `{"name":"新","kind":"city"}`, 400, "unknown_field")
		patch("c1", `{"name":5}`, 400, "malformed_json")
		f.unchanged(func() { want(t, f.req("admin", "PATCH", "/api/v1/units/nope", `{"name":"新"}`), 404, "not_found") })
	})
}

func TestUnitScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// cityadmin administers c1 only
		r := f.req("cityadmin", "GET", "/api/v1/units", nil)
		want(t, r, 200, "")
		if r.Body["total"].(float64) != 4 {
			t.Fatalf("cityadmin sees: %s", r.Raw)
		}
		for _, it := range r.items() {
			if c := it.(map[string]any)["code"]; c == "qh" || c == "c2" {
				t.Fatalf("out of scope unit listed: %v", c)
			}
		}
		want(t, f.req("cityadmin", "GET", "/api/v1/units/c2", nil), 404, "not_found")
		want(t, f.req("cityadmin", "GET", "/api/v1/units/qh", nil), 404, "not_found")
		want(t, f.req("cityadmin", "GET", "/api/v1/units?parent_code=qh", nil), 404, "not_found")
		f.unchanged(func() {
			want(t, f.req("cityadmin", "PATCH", "/api/v1/units/c2", `{"name":"改"}`), 404, "not_found")
			want(t, f.req("cityadmin", "POST", "/api/v1/units/c2/close", nil), 404, "not_found")
			// moving one's own unit out of one's scope
			r := f.req("cityadmin", "PATCH", "/api/v1/units/x1", `{"parent_code":"c2"}`)
			if r.Code != 400 && r.Code != 403 && r.Code != 404 {
				t.Fatalf("move out of scope: %d %s", r.Code, r.Raw)
			}
			// creating below a unit out of scope
			r = f.req("cityadmin", "POST", "/api/v1/units", `{"code":"new1","name":"新","parent_code":"c2"}`)
			if r.Code != 400 && r.Code != 403 && r.Code != 404 {
				t.Fatalf("create out of scope: %d %s", r.Code, r.Raw)
			}
			// read-only roles may not write in their own scope
			want(t, f.req("officer", "PATCH", "/api/v1/units/x1-court", `{"name":"改"}`), 403, "forbidden")
			want(t, f.req("officer", "POST", "/api/v1/units", `{"code":"new1","name":"新","parent_code":"x1-court"}`), 403, "forbidden")
			want(t, f.req("inspector", "POST", "/api/v1/units/x1-court-d1/close", nil), 403, "forbidden")
		})
		if f.unit("c2").Name != "西城市委政法委" || f.unit("x1").ParentCode != "c1" || f.unitExists("new1") {
			t.Fatal("an out-of-scope write changed something")
		}
		// inside its scope cityadmin may write
		want(t, f.req("cityadmin", "POST", "/api/v1/units", `{"code":"new1","name":"新","parent_code":"x1"}`), 201, "")
	})
}

func TestPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for i := range 7 {
			body := fmt.Sprintf(`{"code":"d%d","name":"科室%d","parent_code":"x1-court"}`, i, i)
			want(t, f.req("admin", "POST", "/api/v1/units", body), 201, "")
		}
		seen := map[string]bool{}
		for page := 1; page <= 3; page++ {
			r := f.req("admin", "GET", fmt.Sprintf("/api/v1/units?parent_code=x1-court&per_page=3&page=%d", page), nil)
			want(t, r, 200, "")
			if r.Body["total"].(float64) != 8 || r.Body["page"].(float64) != float64(page) || r.Body["per_page"].(float64) != 3 {
				t.Fatalf("page %d: %s", page, r.Raw)
			}
			wantLen := 3
			if page == 3 {
				wantLen = 2
			}
			if len(r.items()) != wantLen {
				t.Fatalf("page %d has %d items", page, len(r.items()))
			}
			for _, it := range r.items() {
				c := it.(map[string]any)["code"].(string)
				if seen[c] {
					t.Fatalf("%s on two pages", c)
				}
				seen[c] = true
			}
		}
		r := f.req("admin", "GET", "/api/v1/units?parent_code=x1-court&per_page=3&page=9", nil)
		want(t, r, 200, "")
		if len(r.items()) != 0 || r.Raw == nil || !strings.Contains(string(r.Raw), `"items":[]`) {
			t.Fatalf("past the end: %s", r.Raw)
		}
		for _, q := range []string{"page=0", "page=-1", "page=x", "page=", "per_page=0", "per_page=501", "per_page=1.5", "page=99999999999999999999"} {
			for _, path := range []string{"/api/v1/units?", "/api/v1/users?", "/api/v1/tokens?"} {
				r := f.req("admin", "GET", path+q, nil)
				want(t, r, 400, "invalid")
				if f := r.errField(); f != "page" && f != "per_page" {
					t.Fatalf("%s%s: field %q", path, q, f)
				}
			}
		}
		r = f.req("admin", "GET", "/api/v1/users?per_page=500", nil)
		want(t, r, 200, "")
	})
}

func sheet(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func TestImportUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		header := []any{"单位编码", "单位名称", "上级单位编码", "单位类型"}
		good := sheet(t, header,
			[]any{"x3-pro", "北城县人民检察院", "x3", "organ"}, // its parent comes on a later row
			[]any{"x3", "北城县委政法委", "c1", "county"},
			[]any{"x3-pro-d1", "第一检察部", "x3-pro", "department"})
		r := f.req("admin", "POST", "/api/v1/units/import", good, "Content-Type", xlsxType)
		want(t, r, 200, "")
		if r.Body["created"].(float64) != 3 || f.unit("x3-pro-d1").Depth != 5 {
			t.Fatalf("import: %s", r.Raw)
		}

		// one bad row refuses the whole sheet
		bad := sheet(t, header,
			[]any{"y1", "南郊县委政法委", "c1", "county"},
			[]any{"y1-court", "", "y1", "organ"},
			[]any{"c2", "重复的编码", "qh", "city"},
			[]any{"y2", "远郊县", "nowhere", "county"})
		f.unchanged(func() {
			r = f.req("admin", "POST", "/api/v1/units/import", bad, "Content-Type", xlsxType, "Accept-Language", "en")
			want(t, r, 422, "import_rows")
		})
		rows := r.Body["error"].(map[string]any)["rows"].([]any)
		if len(rows) == 0 {
			t.Fatalf("no row errors: %s", r.Raw)
		}
		first := rows[0].(map[string]any)
		if first["row"].(float64) != 3 || first["field"] != "name" || first["message"] == "" {
			t.Fatalf("row error: %v", first)
		}
		if f.unitExists("y1") || f.unitExists("y2") {
			t.Fatal("a refused import created units")
		}
		// the database-level failures are reported too, still all or nothing
		bad2 := sheet(t, header, []any{"y1", "南郊县委政法委", "c1", "county"}, []any{"c2", "重复", "qh", "city"},
			[]any{"y2", "远郊县", "nowhere", "county"})
		f.unchanged(func() {
			r = f.req("admin", "POST", "/api/v1/units/import", bad2, "Content-Type", xlsxType)
			want(t, r, 422, "import_rows")
		})
		if n := len(r.Body["error"].(map[string]any)["rows"].([]any)); n != 2 || f.unitExists("y1") {
			t.Fatalf("want 2 row errors and nothing created: %s", r.Raw)
		}

		// multipart upload
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("note", "ignored")
		fw, _ := mw.CreateFormFile("file", "units.xlsx")
		fw.Write(sheet(t, header, []any{"z1", "新区", "c2", "county"}))
		mw.Close()
		r = f.req("admin", "POST", "/api/v1/units/import", buf.Bytes(), "Content-Type", mw.FormDataContentType())
		want(t, r, 200, "")
		if !f.unitExists("z1") {
			t.Fatal("multipart import did nothing")
		}

		f.unchanged(func() {
			want(t, f.req("admin", "POST", "/api/v1/units/import", []byte("not a zip"), "Content-Type", xlsxType), 400, "invalid")
			want(t, f.req("admin", "POST", "/api/v1/units/import", sheet(t, []any{"a", "b"}), "Content-Type", xlsxType), 400, "invalid")
			want(t, f.req("admin", "POST", "/api/v1/units/import", `{"rows":[]}`), 415, "unsupported_media_type")
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("other", "x")
			mw.Close()
			want(t, f.req("admin", "POST", "/api/v1/units/import", buf.Bytes(), "Content-Type", mw.FormDataContentType()), 400, "invalid")
			// a read-only role: every row is refused
			r := f.req("officer", "POST", "/api/v1/units/import", sheet(t, header, []any{"w1", "新", "x1-court", ""}), "Content-Type", xlsxType)
			want(t, r, 422, "import_rows")
		})
	})
}
