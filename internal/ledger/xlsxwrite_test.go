package ledger

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestSheetWriter writes a workbook with awkward text (XML's special
// characters, controls XML cannot hold, invalid UTF-8, CJK, a cell longer
// than Excel allows, empty and missing cells, numbers) and checks it opens
// with excelize, cell by cell, and in LibreOffice headless (converted to
// CSV), with the header styled and the pane frozen.
func TestSheetWriter(t *testing.T) {
	long := strings.Repeat("长", maxCellChars+10)
	rows := [][]any{
		{1, "a<b>&\"c\" 'd'", "控制\x01字符\x1f", "bad\xffutf8", "line\nbreak\ttab", nil, ""},
		{2, "  spaces kept  ", long, 3.5, int64(-7), "问题,带逗号", "end"},
	}
	want := [][]string{
		{"1", "a<b>&\"c\" 'd'", "控制字符", "badutf8", "line\nbreak\ttab"},
		{"2", "  spaces kept  ", strings.Repeat("长", maxCellChars), "3.5", "-7", "问题,带逗号", "end"},
	}
	var b bytes.Buffer
	sw, err := newSheetWriter(&b, "台账 & <x>", []float64{6, 20, 40, 10, 10, 10, 10}, []string{"序号", "甲", "乙", "丙", "丁", "戊", "己"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := sw.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if sw.Rows() != 3 {
		t.Fatalf("%d rows", sw.Rows())
	}
	// a cell of another type is refused, and the writer stays failed
	bad, _ := newSheetWriter(&bytes.Buffer{}, "x", nil, nil)
	if err := bad.Row([]any{struct{}{}}); err == nil || bad.Row([]any{1}) == nil || bad.Close() == nil {
		t.Fatal("a cell of an unknown type was accepted")
	}
	x, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); len(got) != 1 || got[0] != "台账 & <x>" {
		t.Fatalf("sheets %v", got)
	}
	got, err := x.GetRows("台账 & <x>")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || strings.Join(got[0], "|") != "序号|甲|乙|丙|丁|戊|己" {
		t.Fatalf("%d rows, header %q", len(got), got[0])
	}
	for i, w := range want {
		if strings.Join(got[i+1], "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i+2, got[i+1], w)
		}
	}
	if v, _ := x.GetCellType("台账 & <x>", "A2"); v != excelize.CellTypeNumber && v != excelize.CellTypeUnset {
		t.Errorf("A2 is of type %v, want a number", v)
	}
	style, _ := x.GetCellStyle("台账 & <x>", "B1")
	st, err := x.GetStyle(style)
	if err != nil || st.Font == nil || !st.Font.Bold || st.Fill.Type != "pattern" || st.Fill.Pattern != 1 {
		t.Errorf("header style %d: %+v (%v)", style, st, err)
	}
	panes, err := x.GetPanes("台账 & <x>")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v (%v)", panes, err)
	}
	if w, _ := x.GetColWidth("台账 & <x>", "C"); w != 40 {
		t.Errorf("column C width %v", w)
	}

	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("soffice (LibreOffice) is needed for this test in CI")
		}
		t.Skip("soffice (LibreOffice) not installed: skipping the LibreOffice check")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "写.xlsx")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir, file)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "写.csv"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(csv)
	for _, s := range []string{"序号,甲,乙,丙,丁,戊,己", `1,"a<b>&""c"" 'd'",控制字符,badutf8,"line` + "\nbreak\ttab" + `"`,
		`2,  spaces kept  ,` + strings.Repeat("长", 100), `,3.5,-7,"问题,带逗号",end`} {
		if !strings.Contains(text, s) {
			t.Errorf("LibreOffice's CSV lacks %q:\n%.300s", s, text)
		}
	}
}

func TestAppendColumn(t *testing.T) {
	for i, want := range map[int]string{0: "A", 13: "N", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := string(appendColumn(nil, i)); got != want {
			t.Errorf("column %d = %s, want %s", i, got, want)
		}
	}
}
