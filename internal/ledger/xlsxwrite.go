package ledger

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// sheetWriter writes a one-sheet .xlsx workbook row by row: the sheet's XML
// goes straight into the zip entry (DEFLATE at flate.BestSpeed), so memory
// stays a few buffers however many rows pass through. Strings are inline
// (t="inlineStr"), with no shared-string table to hold in memory; numbers
// are numeric cells. Row 1 can be a header in the workbook's one extra
// style (bold, filled) with the pane frozen below it. excelize's stream
// writer, which this replaces for the export, spent more CPU building its
// cells than the rest of a million-row export together and kept its own
// temporary file of the sheet.
type sheetWriter struct {
	zw   *zip.Writer
	bw   *bufio.Writer
	buf  []byte
	rows int
	cols int
	err  error
}

// maxCellChars is Excel's limit on a cell's text (in UTF-16 units; counted
// here in runes, which is never more).
const maxCellChars = 32767

// maxSheetRows is Excel's limit on a sheet's rows (the header included).
const maxSheetRows = 1048576

const (
	nsMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel  = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsPkg  = "http://schemas.openxmlformats.org/package/2006/relationships"
)

// newSheetWriter starts a workbook on w whose one sheet is named sheet, its
// columns widths wide (in characters; also the number of columns) and its
// first row header (styled and frozen; none when nil).
func newSheetWriter(w io.Writer, sheet string, widths []float64, header []string) (*sheetWriter, error) {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	s := &sheetWriter{zw: zw, cols: len(widths)}
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="` + nsPkg + `"><Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" Type="` + nsRel + `/extended-properties" Target="docProps/app.xml"/></Relationships>`},
		{"docProps/app.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>luoshi</Application></Properties>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="` + nsPkg + `"><Relationship Id="rId1" Type="` + nsRel + `/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="` + nsRel + `/styles" Target="styles.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><bookViews><workbookView activeTab="0"/></bookViews><sheets><sheet name="` +
			string(appendEscaped(nil, sheet)) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		// style 0 the default, 1 the header: bold on a light blue fill
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="` + nsMain + `"><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`},
	}
	now := time.Now()
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(fw, f.body); err != nil {
			return nil, err
		}
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, Modified: now})
	if err != nil {
		return nil, err
	}
	s.bw = bufio.NewWriterSize(fw, 256<<10)
	b := append(s.buf[:0], `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRel+`">`...)
	if header != nil {
		b = append(b, `<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>`...)
	} else {
		b = append(b, `<sheetViews><sheetView workbookViewId="0"/></sheetViews>`...)
	}
	b = append(b, `<sheetFormatPr defaultRowHeight="15"/>`...)
	if len(widths) > 0 {
		b = append(b, `<cols>`...)
		for i, wd := range widths {
			n := strconv.Itoa(i + 1)
			b = append(b, `<col min="`+n+`" max="`+n+`" width="`...)
			b = strconv.AppendFloat(b, wd, 'f', -1, 64)
			b = append(b, `" customWidth="1"/>`...)
		}
		b = append(b, `</cols>`...)
	}
	b = append(b, `<sheetData>`...)
	s.buf = b
	if header != nil {
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = h
		}
		if err := s.row(cells, 1); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Row appends a row. A cell is a string, an int, an int64, a float64, or
// nil (left empty); strings lose the characters XML cannot carry and are
// cut at Excel's 32,767.
func (s *sheetWriter) Row(cells []any) error { return s.row(cells, 0) }

func (s *sheetWriter) row(cells []any, style int) error {
	if s.err != nil {
		return s.err
	}
	if s.rows >= maxSheetRows {
		s.err = errors.New("xlsx: more rows than a sheet holds")
		return s.err
	}
	s.rows++
	b := append(s.buf, `<row r="`...)
	b = strconv.AppendInt(b, int64(s.rows), 10)
	b = append(b, `">`...)
	for i, v := range cells {
		if v == nil {
			continue
		}
		b = append(b, `<c r="`...)
		b = appendColumn(b, i)
		b = strconv.AppendInt(b, int64(s.rows), 10)
		b = append(b, '"')
		if style != 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(style), 10)
			b = append(b, '"')
		}
		switch x := v.(type) {
		case string:
			if x == "" {
				b = append(b, `/>`...)
				continue
			}
			b = append(b, ` t="inlineStr"><is><t xml:space="preserve">`...)
			b = appendEscaped(b, x)
			b = append(b, `</t></is></c>`...)
		case int:
			b = append(b, `><v>`...)
			b = strconv.AppendInt(b, int64(x), 10)
			b = append(b, `</v></c>`...)
		case int64:
			b = append(b, `><v>`...)
			b = strconv.AppendInt(b, x, 10)
			b = append(b, `</v></c>`...)
		case float64:
			b = append(b, `><v>`...)
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
			b = append(b, `</v></c>`...)
		default:
			s.err = fmt.Errorf("xlsx: cell of type %T", v)
			return s.err
		}
	}
	b = append(b, `</row>`...)
	if len(b) >= 64<<10 {
		if _, err := s.bw.Write(b); err != nil {
			s.err = err
			return err
		}
		b = b[:0]
	}
	s.buf = b
	return nil
}

// Rows is how many rows were written (the header included).
func (s *sheetWriter) Rows() int { return s.rows }

// Close ends the sheet and the zip file (not w).
func (s *sheetWriter) Close() error {
	if s.err != nil {
		return s.err
	}
	b := append(s.buf, `</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`...)
	if _, err := s.bw.Write(b); err != nil {
		return err
	}
	s.buf = nil
	if err := s.bw.Flush(); err != nil {
		return err
	}
	s.err = errors.New("xlsx: writer closed")
	return s.zw.Close()
}

// appendColumn appends the letters of the 0-based column i (A, …, Z, AA, …).
func appendColumn(b []byte, i int) []byte {
	if i >= 26 {
		b = appendColumn(b, i/26-1)
	}
	return append(b, byte('A'+i%26))
}

// appendEscaped appends s as XML character data: the five special
// characters escaped, the characters XML 1.0 cannot hold (most controls,
// U+FFFE/U+FFFF, invalid UTF-8) dropped, at most maxCellChars characters.
func appendEscaped(b []byte, s string) []byte {
	n := 0
	start := 0
	flush := func(i int) { b = append(b, s[start:i]...) }
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '"':
				esc = "&quot;"
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				esc = ""
			default:
				i++
				n++
				if n > maxCellChars {
					flush(i - 1)
					return b
				}
				continue
			}
			flush(i)
			if esc != "" {
				if n++; n > maxCellChars {
					return b
				}
				b = append(b, esc...)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			flush(i)
			i += size
			start = i
			continue
		}
		n++
		if n > maxCellChars {
			flush(i)
			return b
		}
		i += size
	}
	flush(len(s))
	return b
}
