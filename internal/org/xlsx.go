package org

import (
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/apperr"
)

// UnitSheetHeader is the header row of a unit import sheet, in Chinese (an org
// chart is usually kept in a spreadsheet by a clerk); English headers are accepted too.
var UnitSheetHeader = []string{"单位编码", "单位名称", "上级单位编码", "单位类型"}

var headerAliases = map[string]int{
	"单位编码": 0, "code": 0, "单位名称": 1, "name": 1, "上级单位编码": 2, "parent_code": 2, "单位类型": 3, "kind": 3,
}

// maxImportRows bounds an import so a hostile file cannot exhaust memory.
const maxImportRows = 50000

// ParseUnitSheet reads the first sheet of an .xlsx file into unit rows. It
// returns the rows and, for each, its row number in the sheet (blank rows are
// skipped, so messages still name the row a clerk sees).
func ParseUnitSheet(r io.Reader) ([]UnitInput, []int, error) {
	f, err := excelize.OpenReader(io.LimitReader(r, 20<<20), excelize.Options{UnzipSizeLimit: 100 << 20, UnzipXMLSizeLimit: 50 << 20})
	if err != nil {
		return nil, nil, apperr.Invalidf("file", "err.import.file")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, apperr.Invalidf("file", "err.import.empty")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, nil, apperr.Invalidf("file", "err.import.file")
	}
	defer rows.Close()
	col := [4]int{-1, -1, -1, -1}
	var out []UnitInput
	var lines []int
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns()
		if err != nil {
			return nil, nil, apperr.Invalidf("file", "err.import.file")
		}
		if col[0] < 0 { // the header row
			if strings.TrimSpace(strings.Join(cells, "")) == "" {
				continue // blank lines above the header
			}
			for i, c := range cells {
				if k, ok := headerAliases[strings.ToLower(strings.TrimSpace(c))]; ok && col[k] < 0 {
					col[k] = i
				}
			}
			if col[0] < 0 || col[1] < 0 || col[2] < 0 {
				return nil, nil, apperr.Invalidf("file", "err.import.header")
			}
			continue
		}
		get := func(k int) string {
			if col[k] < 0 || col[k] >= len(cells) {
				return ""
			}
			return strings.TrimSpace(cells[col[k]])
		}
		in := UnitInput{Code: get(0), Name: get(1), ParentCode: get(2), Kind: get(3)}
		if in == (UnitInput{}) {
			continue // blank line
		}
		out = append(out, in)
		lines = append(lines, n)
		if len(out) > maxImportRows {
			return nil, nil, apperr.Invalidf("file", "err.import.too_many", maxImportRows)
		}
	}
	if col[0] < 0 {
		return nil, nil, apperr.Invalidf("file", "err.import.header")
	}
	if len(out) == 0 {
		return nil, nil, apperr.Invalidf("file", "err.import.empty")
	}
	return out, lines, nil
}
