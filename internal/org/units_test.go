package org_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func unitCount(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM units`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateUnitValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// the first unit needs someone who administers everything
		leader := &org.Principal{Username: "x", Grants: []org.Grant{{Role: org.RoleLeader, ScopePath: "/"}}}
		_, err := org.CreateUnit(ctx, db, leader, org.UnitInput{Code: "gd", Name: "广东省"})
		wantKind(t, err, apperr.Forbidden, "")
		buildTree(t, db)
		admin := principal(t, db, "admin")
		before := unitCount(t, db)
		mark := auditMark(t, db)
		for _, tc := range []struct {
			name string
			in   org.UnitInput
			kind apperr.Kind
			key  string
		}{
			{"empty code", org.UnitInput{Code: "  ", Name: "甲", ParentCode: "gz"}, apperr.Invalid, "err.unit.code_required"},
			{"code with space", org.UnitInput{Code: "a b", Name: "甲", ParentCode: "gz"}, apperr.Invalid, "err.unit.code_format"},
			{"code with slash", org.UnitInput{Code: "a/b", Name: "甲", ParentCode: "gz"}, apperr.Invalid, "err.unit.code_format"},
			{"code starting with a dash", org.UnitInput{Code: "-a", Name: "甲", ParentCode: "gz"}, apperr.Invalid, "err.unit.code_format"},
			{"Chinese code", org.UnitInput{Code: "广州", Name: "甲", ParentCode: "gz"}, apperr.Invalid, "err.unit.code_format"},
			{"code of 65 characters", org.UnitInput{Code: strings.Repeat("a", 65), Name: "甲", ParentCode: "gz"}, apperr.Invalid, "err.unit.code_format"},
			{"empty name", org.UnitInput{Code: "a1", Name: " \u3000", ParentCode: "gz"}, apperr.Invalid, "err.unit.name_required"},
			{"name of 101 characters", org.UnitInput{Code: "a1", Name: strings.Repeat("院", 101), ParentCode: "gz"}, apperr.Invalid, "err.unit.name_too_long"},
			{"name with a newline", org.UnitInput{Code: "a1", Name: "甲\n乙", ParentCode: "gz"}, apperr.Invalid, "err.unit.name_control"},
			{"name with NUL", org.UnitInput{Code: "a1", Name: "甲\x00", ParentCode: "gz"}, apperr.Invalid, "err.unit.name_control"},
			{"name with a tab", org.UnitInput{Code: "a1", Name: "甲\t乙", ParentCode: "gz"}, apperr.Invalid, "err.unit.name_control"},
			{"unknown kind", org.UnitInput{Code: "a1", Name: "甲", Kind: "village", ParentCode: "gz"}, apperr.Invalid, "err.unit.kind_invalid"},
			{"duplicate code", org.UnitInput{Code: "gz-th", Name: "另一个天河区", ParentCode: "sz"}, apperr.Conflict, "err.unit.code_taken"},
			{"unknown parent", org.UnitInput{Code: "a1", Name: "甲", ParentCode: "nowhere"}, apperr.Invalid, "err.unit.parent_not_found"},
			{"second root", org.UnitInput{Code: "a1", Name: "甲"}, apperr.Invalid, "err.unit.parent_required"},
		} {
			_, err := org.CreateUnit(ctx, db, admin, tc.in)
			if ae := apperr.As(err); ae == nil || ae.Kind != tc.kind || ae.Key != tc.key {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.key)
			}
		}
		if n := unitCount(t, db); n != before {
			t.Errorf("failed creations wrote %d units", n-before)
		}
		wantAudit(t, db, mark)

		// names are trimmed; 100 characters is the limit
		u, err := org.CreateUnit(ctx, db, admin, org.UnitInput{Code: " gz-hz ", Name: " " + strings.Repeat("海", 100) + " ", Kind: "county", ParentCode: "gz"})
		if err != nil || u.Code != "gz-hz" || u.Depth != 3 || u.ParentCode != "gz" || u.Path != unitPath(t, db, "gz")+itoa(u.ID)+"/" {
			t.Fatalf("create: %+v %v", u, err)
		}
		wantAudit(t, db, mark, ev{"unit.create", "gz-hz", "admin"})
		// closed parents take no new units
		if _, err := org.CloseUnit(ctx, db, admin, "gz-hz"); err != nil {
			t.Fatal(err)
		}
		_, err = org.CreateUnit(ctx, db, admin, org.UnitInput{Code: "gz-hz-1", Name: "甲", ParentCode: "gz-hz"})
		wantKind(t, err, apperr.Invalid, "err.unit.parent_closed")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestRenameMoveClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		admin := principal(t, db, "admin")
		mark := auditMark(t, db)

		// rename
		u, err := org.RenameUnit(ctx, db, admin, "gz-th", "  天河区（新）  ")
		if err != nil || u.Name != "天河区（新）" {
			t.Fatalf("rename: %+v %v", u, err)
		}
		for _, bad := range []string{"", "  ", "a\rb", strings.Repeat("名", 101)} {
			_, err := org.RenameUnit(ctx, db, admin, "gz-th", bad)
			wantKind(t, err, apperr.Invalid, "")
		}
		if _, err := org.RenameUnit(ctx, db, admin, "nowhere", "甲"); !isNotFound(err) {
			t.Errorf("rename unknown: %v", err)
		}
		wantAudit(t, db, mark, ev{"unit.rename", "gz-th", "admin"})

		// move gz-th (with four levels below it) from 广州 to 深圳 below 福田区
		mark = auditMark(t, db)
		sub := []string{"gz-th", "gz-th-court", "gz-th-court-xs", "gz-th-court-ms", "gz-th-ga", "gz-th-ga-xz"}
		depth := map[string]int{}
		for _, c := range sub {
			x, _ := org.UnitByCode(ctx, db.Read, c)
			depth[c] = x.Depth
		}
		moved, err := org.MoveUnit(ctx, db, admin, "gz-th", "sz-ft")
		if err != nil {
			t.Fatal(err)
		}
		ft, _ := org.UnitByCode(ctx, db.Read, "sz-ft")
		if moved.Path != ft.Path+itoa(moved.ID)+"/" || moved.Depth != ft.Depth+1 || moved.ParentCode != "sz-ft" {
			t.Fatalf("moved: %+v", moved)
		}
		for _, c := range sub {
			x, _ := org.UnitByCode(ctx, db.Read, c)
			if !strings.HasPrefix(x.Path, moved.Path) || x.Depth != depth[c]+1 {
				t.Errorf("%s after the move: path %s depth %d (was %d)", c, x.Path, x.Depth, depth[c])
			}
			// the path is the chain of ancestors' ids
			as, err := org.Ancestors(ctx, db, x)
			if err != nil || len(as) != x.Depth || as[len(as)-1].Code != c || as[0].Code != "gd" {
				t.Errorf("ancestors of %s: %v %v", c, as, err)
			}
			for i := 1; i < len(as); i++ {
				if as[i].ParentID != as[i-1].ID {
					t.Errorf("ancestors of %s out of order", c)
				}
			}
		}
		// people move with their unit: the city admin of 广州 no longer sees the court's people
		city := principal(t, db, "cityadmin")
		if _, err := org.GetUser(ctx, db, city, "p-gz-th-court-xs"); !isNotFound(err) {
			t.Errorf("city admin after the move: %v", err)
		}
		if _, err := org.GetUser(ctx, db, principal(t, db, "leader"), "p-gz-th-court-xs"); err != nil {
			t.Errorf("leader after the move: %v", err)
		}
		// 广州 still has its other district; its counters follow
		kids, _, _ := org.ListUnits(ctx, db, admin, org.UnitFilter{ParentCode: "gz"})
		if len(kids) != 1 || kids[0].Code != "gz-yx" {
			t.Errorf("children of gz after the move: %v", kids)
		}
		wantAudit(t, db, mark, ev{"unit.move", "gz-th", "admin"})

		// refused moves write nothing
		mark = auditMark(t, db)
		for _, tc := range []struct {
			name, code, to, key string
		}{
			{"below itself", "gz-th", "gz-th", "err.unit.move_into_self"},
			{"below its own descendant", "gz-th", "gz-th-court-xs", "err.unit.move_into_self"},
			{"the top unit", "gd", "sz", "err.unit.move_root"},
			{"no new parent", "gz-th", " ", "err.unit.parent_required"},
			{"unknown parent", "gz-th", "nowhere", "err.unit.parent_not_found"},
		} {
			_, err := org.MoveUnit(ctx, db, admin, tc.code, tc.to)
			if ae := apperr.As(err); ae == nil || ae.Key != tc.key {
				t.Errorf("move %s: %v, want %s", tc.name, err, tc.key)
			}
		}
		// the city admin cannot pull a unit out of another city, nor push one into it
		_, err = org.MoveUnit(ctx, db, city, "gz-yx", "sz")
		wantKind(t, err, apperr.Invalid, "err.unit.parent_not_found")
		_, err = org.MoveUnit(ctx, db, city, "sz-ft", "gz")
		if !isNotFound(err) {
			t.Errorf("move out of scope: %v", err)
		}
		wantAudit(t, db, mark)

		// close: refused with open children, with active people, for the top unit
		mark = auditMark(t, db)
		_, err = org.CloseUnit(ctx, db, admin, "gz-yx")
		wantKind(t, err, apperr.Conflict, "err.unit.close_not_empty")
		_, err = org.CloseUnit(ctx, db, admin, "gz-yx-jcy")
		wantKind(t, err, apperr.Conflict, "err.unit.close_not_empty") // p-gz-yx-jcy works there
		_, err = org.CloseUnit(ctx, db, admin, "gd")
		wantKind(t, err, apperr.Conflict, "err.unit.close_root")
		wantAudit(t, db, mark)
		// once the person is disabled and the unit empty, it closes (twice is harmless)
		yes := true
		if _, err := org.UpdateUser(ctx, db, admin, "p-gz-yx-jcy", org.UserPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		c, err := org.CloseUnit(ctx, db, admin, "gz-yx-jcy")
		if err != nil || !c.Closed || c.ClosedAt == 0 {
			t.Fatalf("close: %+v %v", c, err)
		}
		if _, err := org.CloseUnit(ctx, db, admin, "gz-yx-jcy"); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, ev{"user.update", "p-gz-yx-jcy", "admin"}, ev{"unit.close", "gz-yx-jcy", "admin"})
		// closed units leave lists unless asked for; a closed child no longer blocks its parent
		list, total, _ := org.ListUnits(ctx, db, admin, org.UnitFilter{Under: "gz-yx"})
		if total != 1 || list[0].Code != "gz-yx" || list[0].Children != 0 {
			t.Errorf("open units under gz-yx: %+v", list)
		}
		_, total, _ = org.ListUnits(ctx, db, admin, org.UnitFilter{Under: "gz-yx", IncludeClosed: true})
		if total != 2 {
			t.Errorf("all units under gz-yx: %d", total)
		}
		// a closed unit takes no one
		_, err = org.CreateUser(ctx, db, admin, org.UserInput{Username: "late", Name: "迟到", UnitCode: "gz-yx-jcy",
			Roles: []org.RoleGrant{{Role: "officer"}}, Password: pw})
		wantKind(t, err, apperr.Invalid, "err.unit.parent_closed")
		_, err = org.MoveUnit(ctx, db, admin, "sz-ft-court", "gz-yx-jcy")
		wantKind(t, err, apperr.Invalid, "err.unit.parent_closed")

		// search escapes LIKE wildcards
		_, total, _ = org.ListUnits(ctx, db, admin, org.UnitFilter{Q: "%"})
		if total != 0 {
			t.Errorf("search %%: %d", total)
		}
		_, total, _ = org.ListUnits(ctx, db, admin, org.UnitFilter{Q: "法院"})
		if total != 2 {
			t.Errorf("search 法院: %d", total)
		}
		// multi's court moved to 深圳, out of its discipline scope over 广州: two separate roots now
		roots, err := org.RootUnits(ctx, db, principal(t, db, "multi"))
		if err != nil || len(roots) != 2 || roots[0].Code != "gz-th-court" || roots[1].Code != "gz" || roots[1].Children != 1 {
			t.Errorf("roots of multi: %+v %v", roots, err)
		}
	})
}

func importErr(t *testing.T, err error) map[int]string {
	t.Helper()
	var ie *org.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("want *ImportError, got %v", err)
	}
	out := map[int]string{}
	for _, r := range ie.Rows {
		if _, dup := out[r.Row]; dup {
			t.Errorf("row %d reported twice", r.Row)
		}
		ae := apperr.As(r.Err)
		if ae == nil {
			t.Fatalf("row %d: %v", r.Row, r.Err)
		}
		out[r.Row] = ae.Key
	}
	return out
}

func TestImportUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		admin := principal(t, db, "admin")
		before := unitCount(t, db)

		for _, tc := range []struct {
			name  string
			rows  []org.UnitInput
			lines []int
			want  map[int]string
		}{
			{"one bad row among good ones", []org.UnitInput{
				{Code: "sz-ns", Name: "南山区", ParentCode: "sz"},
				{Code: "sz-ns-court", Name: "", ParentCode: "sz-ns"},
				{Code: "sz-ns-jcy", Name: "南山区人民检察院", ParentCode: "sz-ns"},
			}, []int{2, 3, 5}, map[int]string{3: "err.unit.name_required"}},
			{"every bad row, with its line", []org.UnitInput{
				{Code: "bad code", Name: "甲", ParentCode: "sz"},
				{Code: "ok1", Name: "乙", ParentCode: "sz"},
				{Code: "ok2", Name: "丙", Kind: "planet", ParentCode: "sz"},
				{Code: "ok3", Name: "丁"},
			}, []int{2, 3, 4, 7}, map[int]string{2: "err.unit.code_format", 4: "err.unit.kind_invalid", 7: "err.unit.parent_required"}},
			{"duplicate rows", []org.UnitInput{
				{Code: "dup", Name: "甲", ParentCode: "sz"},
				{Code: "dup", Name: "乙", ParentCode: "sz"},
			}, nil, map[int]string{2: "err.import.duplicate_row"}},
			{"codes already taken, unknown and unreachable parents", []org.UnitInput{
				{Code: "gz-th", Name: "甲", ParentCode: "sz"},
				{Code: "x1", Name: "乙", ParentCode: "nowhere"},
				{Code: "x2", Name: "丙", ParentCode: "sz"},
			}, nil, map[int]string{1: "err.unit.code_taken", 2: "err.unit.parent_not_found"}},
			{"a cycle", []org.UnitInput{
				{Code: "c1", Name: "甲", ParentCode: "c2"},
				{Code: "c2", Name: "乙", ParentCode: "c1"},
				{Code: "c3", Name: "丙", ParentCode: "c3"},
				{Code: "c4", Name: "丁", ParentCode: "sz"},
			}, []int{10, 11, 12, 13}, map[int]string{10: "err.import.cycle", 11: "err.import.cycle", 12: "err.import.cycle"}},
		} {
			mark := auditMark(t, db)
			n, err := org.ImportUnits(ctx, db, admin, tc.rows, tc.lines)
			got := importErr(t, err)
			if n != 0 || len(got) != len(tc.want) {
				t.Errorf("%s: n=%d rows %v, want %v", tc.name, n, got, tc.want)
			}
			for line, key := range tc.want {
				if got[line] != key {
					t.Errorf("%s: line %d = %q, want %q", tc.name, line, got[line], key)
				}
			}
			if c := unitCount(t, db); c != before {
				t.Errorf("%s: %d units written", tc.name, c-before)
			}
			wantAudit(t, db, mark)
		}

		// the city admin may not import into another city: every row says so, nothing is written
		city := principal(t, db, "cityadmin")
		_, err := org.ImportUnits(ctx, db, city, []org.UnitInput{{Code: "y1", Name: "甲", ParentCode: "gz"}, {Code: "y2", Name: "乙", ParentCode: "sz"}}, nil)
		if got := importErr(t, err); len(got) != 1 || got[2] != "err.unit.parent_not_found" {
			t.Errorf("import beyond scope: %v", got)
		}

		// parents defined later in the file work; everything is created and audited in parent order
		mark := auditMark(t, db)
		rows := []org.UnitInput{
			{Code: "sz-ns-court-xs", Name: "刑事审判庭", Kind: "department", ParentCode: "sz-ns-court"},
			{Code: "sz-ns-court", Name: "南山区人民法院", Kind: "organ", ParentCode: "sz-ns"},
			{Code: "sz-ns", Name: "南山区", Kind: "county", ParentCode: "sz"},
			{Code: "sz-ns-jcy", Name: "南山区人民检察院", Kind: "organ", ParentCode: "sz-ns"},
		}
		n, err := org.ImportUnits(ctx, db, admin, rows, nil)
		if err != nil || n != 4 {
			t.Fatalf("import: %d %v", n, err)
		}
		xs, _ := org.UnitByCode(ctx, db.Read, "sz-ns-court-xs")
		if xs.Depth != 5 || !strings.HasPrefix(xs.Path, unitPath(t, db, "sz-ns-court")) {
			t.Errorf("imported leaf: %+v", xs)
		}
		wantAudit(t, db, mark, ev{"unit.create", "sz-ns", "admin"}, ev{"unit.create", "sz-ns-court", "admin"},
			ev{"unit.create", "sz-ns-court-xs", "admin"}, ev{"unit.create", "sz-ns-jcy", "admin"})
		// importing the same file again conflicts on every row and changes nothing
		_, err = org.ImportUnits(ctx, db, admin, rows, nil)
		if got := importErr(t, err); len(got) != 4 || got[1] != "err.unit.code_taken" {
			t.Errorf("second import: %v", got)
		}
	})
}

// sheet builds an .xlsx file whose first sheet holds rows (nil rows stay blank).
func sheet(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseUnitSheet(t *testing.T) {
	zh := sheet(t, [][]string{
		{"单位编码", "单位名称", "上级单位编码", "单位类型"},
		{"sz-ns", "南山区", "sz", "county"},
		nil,
		{"", " ", ""},
		{" sz-ns-court ", "南山区人民法院", "sz-ns", "organ"},
	})
	rows, lines, err := org.ParseUnitSheet(bytes.NewReader(zh))
	if err != nil {
		t.Fatal(err)
	}
	want := []org.UnitInput{{Code: "sz-ns", Name: "南山区", ParentCode: "sz", Kind: "county"},
		{Code: "sz-ns-court", Name: "南山区人民法院", ParentCode: "sz-ns", Kind: "organ"}}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] || len(lines) != 2 || lines[0] != 2 || lines[1] != 5 {
		t.Fatalf("zh sheet: %+v lines %v", rows, lines)
	}

	// English headers in another order, without the optional kind, after a blank first line
	en := sheet(t, [][]string{nil, {"Name", "Parent_Code", "CODE"}, {"福田区", "sz", "sz-ft"}})
	rows, lines, err = org.ParseUnitSheet(bytes.NewReader(en))
	if err != nil || len(rows) != 1 || rows[0] != (org.UnitInput{Code: "sz-ft", Name: "福田区", ParentCode: "sz"}) || lines[0] != 3 {
		t.Fatalf("en sheet: %+v %v %v", rows, lines, err)
	}

	for _, tc := range []struct {
		name string
		file []byte
		key  string
	}{
		{"missing header", sheet(t, [][]string{{"sz-ns", "南山区", "sz"}}), "err.import.header"},
		{"header without parent column", sheet(t, [][]string{{"单位编码", "单位名称"}, {"a", "b"}}), "err.import.header"},
		{"header only", sheet(t, [][]string{{"code", "name", "parent_code"}}), "err.import.empty"},
		{"empty workbook", sheet(t, nil), "err.import.header"},
		{"not an xlsx", []byte("单位编码,单位名称\nsz,深圳\n"), "err.import.file"},
		{"empty file", nil, "err.import.file"},
	} {
		_, _, err := org.ParseUnitSheet(bytes.NewReader(tc.file))
		if ae := apperr.As(err); ae == nil || ae.Key != tc.key || ae.Field != "file" {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.key)
		}
	}

	// a parsed sheet imports with its own line numbers in messages
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		bad := sheet(t, [][]string{{"单位编码", "单位名称", "上级单位编码"}, {"sz-ns", "南山区", "sz"}, nil, nil, {"sz-ns-court", "", "sz-ns"}})
		rows, lines, err := org.ParseUnitSheet(bytes.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		_, err = org.ImportUnits(ctx, db, principal(t, db, "admin"), rows, lines)
		if got := importErr(t, err); len(got) != 1 || got[5] != "err.unit.name_required" {
			t.Errorf("sheet import: %v", got)
		}
	})
}

func FuzzParseUnitSheet(f *testing.F) {
	f.Add(sheet(f, [][]string{{"单位编码", "单位名称", "上级单位编码", "单位类型"}, {"sz-ns", "南山区", "sz", "county"}}))
	f.Add(sheet(f, [][]string{{"code", "name", "parent_code"}, nil, {"a", "b", "c"}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, lines, err := org.ParseUnitSheet(bytes.NewReader(b))
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("error without a message key: %v", err)
			}
			return
		}
		if len(rows) == 0 || len(rows) != len(lines) {
			t.Fatalf("%d rows, %d lines", len(rows), len(lines))
		}
		for i, r := range rows {
			if r == (org.UnitInput{}) || (i > 0 && lines[i] <= lines[i-1]) || lines[i] < 2 {
				t.Fatalf("row %d (line %d): %+v", i, lines[i], r)
			}
		}
	})
}
