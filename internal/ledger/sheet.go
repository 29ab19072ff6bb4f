package ledger

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/i18n"
)

// The ledger as a spreadsheet (台账 Excel): the columns a Chinese office keeps,
// read back with the variants people write in their own headers.

// Column is one column of the ledger sheet.
type Column string

const (
	ColSeq         Column = "seq"
	ColNumber      Column = "number"
	ColDescription Column = "description"
	ColSource      Column = "source"
	ColClass       Column = "class"
	ColMeasures    Column = "measures"
	ColUnit        Column = "unit"
	ColResponsible Column = "responsible"
	ColDeadline    Column = "deadline"
	ColProgress    Column = "progress"
	ColStatus      Column = "status"
	ColLight       Column = "light"
	ColClosedOn    Column = "closed_on"
	ColReview      Column = "review_result"
	// Optional columns an import may carry beyond the export's.
	ColTitle    Column = "title"
	ColSeverity Column = "severity"
	ColTags     Column = "tags"
)

// SheetColumns are the export's columns in order.
var SheetColumns = []Column{ColSeq, ColNumber, ColDescription, ColSource, ColClass, ColMeasures, ColUnit,
	ColResponsible, ColDeadline, ColProgress, ColStatus, ColLight, ColClosedOn, ColReview}

// columnKeys name each column's header in the catalogue (the ledger's own labels).
var columnKeys = map[Column]string{
	ColSeq: "ui.xlsx.col.seq", ColNumber: "ui.problem.number", ColDescription: "ui.problem.description",
	ColSource: "ui.problem.source", ColClass: "ui.problem.class", ColMeasures: "ui.problem.measures",
	ColUnit: "ui.problem.unit", ColResponsible: "ui.problem.responsible", ColDeadline: "ui.problem.deadline",
	ColProgress: "ui.problem.progress", ColStatus: "ui.problem.status", ColLight: "ui.problem.light",
	ColClosedOn: "ui.problem.closed_on", ColReview: "ui.problem.review_result",
	ColTitle: "ui.problem.title", ColSeverity: "ui.problem.severity", ColTags: "ui.problem.tags",
}

// Header is a column's header in lang.
func (c Column) Header(lang i18n.Lang) string { return i18n.T(lang, columnKeys[c]) }

// headerAliases are the other headers offices use for the same column (matched
// after normalizeHeader). The canonical Chinese and English headers and the
// column keys are matched as well.
var headerAliases = map[string]Column{
	"序号": ColSeq, "编号序号": ColSeq, "no": ColSeq, "no.": ColSeq,
	"台账编号": ColNumber, "问题序号编号": ColNumber,
	"问题内容": ColDescription, "问题表现": ColDescription, "存在问题": ColDescription, "具体问题": ColDescription,
	"问题": ColDescription, "问题描述及表现": ColDescription, "问题情况": ColDescription, "主要问题": ColDescription,
	"来源": ColSource, "发现渠道": ColSource, "问题来源渠道": ColSource,
	"整改类型": ColClass, "类别": ColClass, "整改分类": ColClass,
	"整改举措": ColMeasures, "措施": ColMeasures, "具体整改措施": ColMeasures, "整改措施及要求": ColMeasures,
	"牵头单位": ColUnit, "责任部门": ColUnit, "整改单位": ColUnit, "责任单位部门": ColUnit,
	"责任领导": ColResponsible, "责任人员": ColResponsible, "具体责任人": ColResponsible, "整改责任人": ColResponsible,
	"整改时限": ColDeadline, "完成时间": ColDeadline, "整改期限": ColDeadline, "时限": ColDeadline, "完成期限": ColDeadline,
	"整改时间": ColDeadline,
	"进度":   ColProgress, "整改情况": ColProgress, "整改进展": ColProgress,
	"整改状态": ColStatus, "办理状态": ColStatus,
	"亮灯": ColLight, "灯色": ColLight, "预警": ColLight,
	"销号时间": ColClosedOn,
	"回头看":  ColReview, "回头看情况": ColReview,
	"标题": ColTitle, "问题名称": ColTitle,
	"问题性质": ColSeverity, "问题类别": ColTags, "标签": ColTags,
}

// normalizeHeader folds the ways a header may be decorated: spaces and line
// breaks inside it, a required-field star, a note in brackets (完成时限（必填）),
// full-width letters, upper case.
func normalizeHeader(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(' || r == '（' || r == '[' || r == '【':
			depth++
			continue
		case r == ')' || r == '）' || r == ']' || r == '】':
			if depth > 0 {
				depth--
			}
			continue
		case depth > 0, r == '*', r == '＊', unicode.IsSpace(r), r == '：', r == ':':
			continue
		case r >= '！' && r <= '～': // full-width ASCII
			r -= 0xfee0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

var headerIndex = func() map[string]Column {
	m := map[string]Column{}
	for c := range columnKeys {
		m[normalizeHeader(c.Header(i18n.ZH))] = c
		m[normalizeHeader(c.Header(i18n.EN))] = c
		m[string(c)] = c
	}
	for k, c := range headerAliases {
		m[normalizeHeader(k)] = c
	}
	return m
}()

// ColumnOf maps a header cell to its column.
func ColumnOf(header string) (Column, bool) {
	c, ok := headerIndex[normalizeHeader(header)]
	return c, ok
}

// requiredColumns must be present in an import (问题编号 and the state columns are not).
var requiredColumns = []Column{ColDescription, ColSource, ColClass, ColMeasures, ColResponsible, ColDeadline}

// Import limits: a hostile or mistaken file cannot exhaust memory or time.
const (
	MaxSheetBytes    = 20 << 20  // the uploaded file
	maxUnzipped      = 120 << 20 // everything excelize unpacks
	maxUnzippedXML   = 16 << 20  // a worksheet above this goes to a temporary file
	MaxImportRows    = 20000     // data rows
	maxScannedRows   = 200000    // rows looked at, empty ones included
	maxHeaderLookups = 20        // rows above the header (a title, a date line)
	maxRowErrors     = 1000      // errors listed; more are counted
)

// SheetRow is one data row of an import.
type SheetRow struct {
	Line   int    // the row number a clerk sees in the spreadsheet
	Number string // 问题编号 in the file; the ledger hands out its own
	Unit   string // 责任单位 as written: a code or a name, empty for the import's unit
	In     Input
	Cells  map[Column]string // the cells as read, for the preview
}

// RowError is one bad cell (or row) of an import.
type RowError struct {
	Line   int    // spreadsheet row number
	Column string // the header as written in the file, or the column's Chinese name
	Err    *apperr.Error
}

// Sheet is a parsed import file.
type Sheet struct {
	Columns []Column          // recognised columns, in file order
	Headers map[Column]string // the header text as written
	Ignored []string          // headers not recognised (ignored)
	Rows    []SheetRow
	Errors  []RowError
	More    int // errors beyond maxRowErrors, counted only
}

// ImportError lists every bad row of an import; nothing was written.
type ImportError struct {
	Errors []RowError
	More   int
}

func (e *ImportError) Error() string { return strconv.Itoa(len(e.Errors)+e.More) + " rows rejected" }

func (s *Sheet) fail(line int, c Column, err error) {
	if len(s.Errors) >= maxRowErrors {
		s.More++
		return
	}
	e := apperr.As(err)
	if e == nil {
		e = apperr.Invalidf(string(c), "err.xlsx.cell")
	}
	s.Errors = append(s.Errors, RowError{Line: line, Column: s.header(c), Err: e})
}

func (s *Sheet) header(c Column) string {
	if h := s.Headers[c]; h != "" {
		return h
	}
	if c == "" {
		return ""
	}
	return c.Header(i18n.ZH)
}

// ParseSheet reads the first worksheet of an .xlsx file: it finds the header
// row, maps each cell to an Input, and lists every bad cell. It needs no
// database; ledger.CheckImport then resolves units and people. A file that is
// not a readable ledger at all is an *apperr.Error.
func ParseSheet(data []byte) (*Sheet, error) {
	if len(data) > MaxSheetBytes {
		return nil, apperr.Invalidf("file", "err.xlsx.too_large", MaxSheetBytes>>20)
	}
	formulas, err := formulaCells(data)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedXML})
	if err != nil {
		if strings.Contains(err.Error(), "size exceeds") {
			return nil, apperr.Invalidf("file", "err.xlsx.unzip_limit", maxUnzipped>>20)
		}
		return nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, apperr.Invalidf("file", "err.xlsx.empty")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
	}
	defer rows.Close()
	return parseRows(rows, formulas)
}

// rowSource is what parseRows needs of excelize's row iterator (a fake in tests).
type rowSource interface {
	Next() bool
	Columns(...excelize.Options) ([]string, error)
	Error() error
}

func parseRows(rows rowSource, formulas map[int][]int) (*Sheet, error) {
	s := &Sheet{Headers: map[Column]string{}}
	var col []Column // column of each cell index; "" ignored
	line, seen, above := 0, 0, 0
	for rows.Next() {
		line++
		seen++
		if seen > maxScannedRows {
			return nil, apperr.Invalidf("file", "err.xlsx.too_many_rows", MaxImportRows)
		}
		// raw values: a date cell arrives as its serial number, not in the
		// writer's display format
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
		}
		if blank(cells) && len(formulas[line]) == 0 {
			continue // empty rows cost nothing
		}
		if col == nil {
			if above++; above > maxHeaderLookups {
				break
			}
			if c, ok := s.readHeader(cells); ok {
				col = c
				for _, x := range formulas[line] {
					s.fail(line, colAt(col, x), apperr.Invalidf("", "err.xlsx.formula", cellName(x, line)))
				}
			}
			continue
		}
		if len(s.Rows) >= MaxImportRows {
			return nil, apperr.Invalidf("file", "err.xlsx.too_many_rows", MaxImportRows)
		}
		bad := false
		for _, x := range formulas[line] {
			s.fail(line, colAt(col, x), apperr.Invalidf("", "err.xlsx.formula", cellName(x, line)))
			bad = true
		}
		if bad {
			continue
		}
		if r, ok := s.readRow(line, col, cells); ok {
			s.Rows = append(s.Rows, r)
		}
	}
	if err := rows.Error(); err != nil {
		return nil, apperr.Invalidf("file", "err.xlsx.too_many_rows", MaxImportRows)
	}
	if col == nil {
		return nil, apperr.Invalidf("file", "err.xlsx.header", strings.Join(columnNames(requiredColumns), "、"))
	}
	if len(s.Rows) == 0 && len(s.Errors) == 0 {
		return nil, apperr.Invalidf("file", "err.xlsx.empty")
	}
	return s, nil
}

func colAt(col []Column, i int) Column {
	if i < len(col) {
		return col[i]
	}
	return ""
}

// cellName is the A1 name of a 0-based column in a 1-based row.
func cellName(x, line int) string {
	n, err := excelize.CoordinatesToCellName(x+1, line)
	if err != nil {
		return strconv.Itoa(line)
	}
	return n
}

func columnNames(cs []Column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Header(i18n.ZH)
	}
	return out
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// readHeader recognises the header row: it must name every required column.
// Rows above it (a title such as “XX单位问题整改台账”) are skipped.
func (s *Sheet) readHeader(cells []string) ([]Column, bool) {
	col := make([]Column, len(cells))
	found := map[Column]bool{}
	var ignored []string
	for i, h := range cells {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		c, ok := ColumnOf(h)
		if !ok || found[c] {
			ignored = append(ignored, h) // unknown, or a second column of the same meaning
			continue
		}
		found[c] = true
		col[i] = c
	}
	for _, c := range requiredColumns {
		if !found[c] {
			return nil, false
		}
	}
	for i, c := range col {
		if c != "" {
			s.Columns = append(s.Columns, c)
			s.Headers[c] = strings.TrimSpace(cells[i])
		}
	}
	s.Ignored = ignored
	return col, true
}

// readRow turns one row into an Input, listing the bad cells. ok is false for
// a row with nothing in the columns an import reads (a 序号 alone, say).
func (s *Sheet) readRow(line int, col []Column, cells []string) (SheetRow, bool) {
	r := SheetRow{Line: line, Cells: map[Column]string{}}
	for i, v := range cells {
		if i < len(col) && col[i] != "" {
			if v = strings.TrimSpace(v); v != "" {
				r.Cells[col[i]] = v
			}
		}
	}
	content := false
	for c := range r.Cells {
		if c != ColSeq && c != ColNumber {
			content = true
		}
	}
	if !content {
		return r, false
	}
	cell := r.Cells
	nErr := len(s.Errors) + s.More
	for c, v := range cell {
		if !utf8.ValidString(v) {
			s.fail(line, c, apperr.Invalidf("", "err.xlsx.encoding"))
			return r, true
		}
	}
	r.Number, r.Unit = cell[ColNumber], cell[ColUnit]
	r.In.Title, r.In.Description = splitDescription(cell[ColTitle], cell[ColDescription])
	r.In.Measures = cell[ColMeasures]
	r.In.Responsible = cell[ColResponsible]
	if v := cell[ColSource]; v == "" {
		s.fail(line, ColSource, apperr.Invalidf("source", "err.xlsx.required", ColSource.Header(i18n.ZH)))
	} else if code, ok := labelCode(v, Sources, "ui.problem.source", sourceAliases); ok {
		r.In.Source = code
	} else {
		s.fail(line, ColSource, apperr.Invalidf("source", "err.problem.source"))
	}
	if v := cell[ColClass]; v == "" {
		s.fail(line, ColClass, apperr.Invalidf("class", "err.xlsx.required", ColClass.Header(i18n.ZH)))
	} else if code, ok := labelCode(v, Classes, "ui.problem.class", classAliases); ok {
		r.In.Class = code
	} else {
		s.fail(line, ColClass, apperr.Invalidf("class", "err.problem.class"))
	}
	if v := cell[ColSeverity]; v != "" {
		if code, ok := labelCode(v, Severities, "ui.problem.severity", nil); ok {
			r.In.Severity = code
		} else {
			s.fail(line, ColSeverity, apperr.Invalidf("severity", "err.problem.severity"))
		}
	}
	if v := cell[ColTags]; v != "" {
		r.In.Tags = strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",，、;；\n", r) })
	}
	if v := cell[ColDeadline]; v != "" {
		d, err := SheetDate(v)
		if err != nil {
			s.fail(line, ColDeadline, err)
		} else {
			r.In.Deadline = calendar.FormatDay(d)
		}
	}
	switch v := cell[ColStatus]; {
	case v == "" || v == string(Open) || v == i18n.T(i18n.ZH, statusKey(Open)):
	case v == string(Draft) || v == i18n.T(i18n.ZH, statusKey(Draft)):
		r.In.Draft = true
	default:
		s.fail(line, ColStatus, apperr.Invalidf("status", "err.xlsx.status", v))
	}
	if len(s.Errors)+s.More > nErr {
		return r, true // the row's own errors are enough; the rest would repeat them
	}
	r.In.UnitCode = "-" // resolved later; Validate only needs it non-empty
	r.In.Normalize()
	if err := r.In.Validate(); err != nil {
		e := apperr.As(err)
		s.fail(line, fieldColumn(e.Field), e)
	}
	r.In.UnitCode = ""
	return r, true
}

// fieldColumn is the sheet column that carries an Input field.
func fieldColumn(field string) Column {
	switch field {
	case "title", "description":
		return ColDescription
	case "unit_code":
		return ColUnit
	case "origin_type", "origin_ref":
		return ""
	}
	c := Column(field)
	if _, ok := columnKeys[c]; ok {
		return c
	}
	return ""
}

// splitDescription makes an item's title and description from the sheet: a
// 问题标题 column when there is one, else the first line (or sentence) of the
// 问题描述, which is kept whole as the description when it says more.
func splitDescription(title, desc string) (string, string) {
	if title != "" {
		return title, desc
	}
	t := desc
	if i := strings.IndexAny(t, "\r\n"); i >= 0 {
		t = t[:i]
	}
	if utf8.RuneCountInString(t) > maxTitleRunes {
		if i := strings.IndexAny(t, "。；;"); i > 0 && utf8.RuneCountInString(t[:i]) <= maxTitleRunes {
			t = t[:i]
		} else {
			t = string([]rune(t)[:maxTitleRunes-1]) + "…"
		}
	}
	t = strings.TrimSpace(t)
	if t == strings.TrimSpace(desc) {
		return t, ""
	}
	return t, desc
}

// Other words offices use for the sources and classes (matched besides the
// ledger's own labels and codes).
var (
	sourceAliases = map[string]string{
		"自查": "self_check", "自查自纠": "self_check", "督查": "inspection", "巡察": "inspection", "巡视巡察": "inspection",
		"督导检查": "inspection", "检查": "inspection", "群众举报": "citizen_report", "举报": "citizen_report",
		"信访": "citizen_report", "群众来信来访": "citizen_report", "好差评": "rating", "评价": "rating",
		"问题线索": "clue", "线索": "clue",
	}
	classAliases = map[string]string{"立即整改": ClassImmediate, "即知即改": ClassImmediate, "限时整改": ClassDeadline,
		"长期坚持": ClassLongterm, "持续整改": ClassLongterm}
)

// labelCode maps a cell to one of codes: the code itself, its label in either
// language (the catalogue's labelKey.code), or an alias.
func labelCode(v string, codes []string, labelKey string, aliases map[string]string) (string, bool) {
	n := normalizeHeader(v)
	for _, c := range codes {
		if n == c || n == normalizeHeader(i18n.T(i18n.ZH, labelKey+"."+c)) || n == normalizeHeader(i18n.T(i18n.EN, labelKey+"."+c)) {
			return c, true
		}
	}
	for a, c := range aliases {
		if n == normalizeHeader(a) {
			return c, true
		}
	}
	return "", false
}

// excelEpoch bounds the serial numbers read as dates: 1990-01-01 to 2199-12-31.
const (
	minSerial = 32874
	maxSerial = 109574
)

// SheetDate reads a date cell: a date as text in any form calendar.ParseDate
// accepts (2026-03-01, 2026年3月1日…), or a date cell's serial number. Vague
// words (下月底) are refused with the message that names the accepted forms.
func SheetDate(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if f, err := strconv.ParseFloat(v, 64); err == nil && len(v) != 8 {
		if f >= minSerial && f < maxSerial {
			t, err := excelize.ExcelDateToTime(f, false)
			if err == nil {
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
			}
		}
		return time.Time{}, apperr.Invalidf("deadline", "err.date.format", v)
	}
	// a date-time written as text: the day is what counts
	if i := strings.IndexAny(v, " T"); i >= 8 && strings.Contains(v[i:], ":") {
		v = v[:i]
	}
	t, err := calendar.ParseDate(v)
	if e := apperr.As(err); e != nil {
		e.Field = "deadline"
	}
	return t, err
}

// formulaCells finds the formula cells of the first worksheet: row → 0-based
// columns. A formula's value is whatever the writer last computed (or
// nothing), so an import refuses it instead of trusting it. The sheet XML is
// streamed under the same size limit excelize applies.
func formulaCells(data []byte) (map[int][]int, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, apperr.Invalidf("file", "err.xlsx.not_xlsx")
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
	}
	if total > maxUnzipped {
		return nil, apperr.Invalidf("file", "err.xlsx.unzip_limit", maxUnzipped>>20)
	}
	name := firstSheetPath(zr)
	if name == "" {
		return nil, nil // excelize says what is wrong with the file
	}
	// Most sheets have no formula: a byte scan for an element named "f"
	// (a tenth of the cost of the XML tokenizer, which took 8 % of an
	// import's CPU) spares the second parse. A false alarm only costs time.
	if f, err := zr.Open(name); err == nil {
		found, err := hasFElement(io.LimitReader(f, maxUnzipped))
		f.Close()
		if err == nil && !found {
			return map[int][]int{}, nil
		}
	}
	f, err := zr.Open(name)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	out := map[int][]int{}
	dec := xml.NewDecoder(io.LimitReader(f, maxUnzipped))
	row, colIdx := 0, -1
	n := 0
	for {
		tok, err := dec.RawToken()
		if err != nil {
			break // a damaged sheet is excelize's to report
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "row":
			row++
			if r := attr(se, "r"); r != "" {
				if v, err := strconv.Atoi(r); err == nil {
					row = v
				}
			}
			colIdx = -1
		case "c":
			colIdx++
			if r := attr(se, "r"); r != "" {
				if c, rr, err := excelize.CellNameToCoordinates(r); err == nil {
					colIdx, row = c-1, rr
				}
			}
		case "f":
			if n < maxRowErrors && !slices.Contains(out[row], colIdx) {
				out[row] = append(out[row], colIdx)
				n++
			}
		}
	}
	return out, nil
}

// hasFElement reports whether r's XML may hold an element whose local name
// is "f": "<f" or ":f" (a prefixed name) followed by ">", "/" or white space.
func hasFElement(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	keep := 0 // bytes carried over from the previous read: a match may straddle reads
	for {
		n, err := r.Read(buf[keep:])
		b := buf[:keep+n]
		for i := 0; i+2 < len(b); i++ {
			if (b[i] == '<' || b[i] == ':') && b[i+1] == 'f' {
				switch b[i+2] {
				case '>', '/', ' ', '\t', '\r', '\n':
					return true, nil
				}
			}
		}
		if err == io.EOF {
			return false, nil
		} else if err != nil {
			return false, err
		}
		keep = min(2, len(b))
		copy(buf, b[len(b)-keep:])
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// firstSheetPath is the part name of the workbook's first worksheet.
func firstSheetPath(zr *zip.Reader) string {
	read := func(name string) []byte {
		f, err := zr.Open(name)
		if err != nil {
			return nil
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, 4<<20))
		return b
	}
	var wb struct {
		Sheets []struct {
			ID string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if xml.Unmarshal(read("xl/workbook.xml"), &wb) != nil || len(wb.Sheets) == 0 ||
		xml.Unmarshal(read("xl/_rels/workbook.xml.rels"), &rels) != nil {
		return ""
	}
	for _, r := range rels.Rel {
		if r.ID == wb.Sheets[0].ID {
			if strings.HasPrefix(r.Target, "/") {
				return strings.TrimPrefix(r.Target, "/")
			}
			return path.Join("xl", r.Target)
		}
	}
	return ""
}
