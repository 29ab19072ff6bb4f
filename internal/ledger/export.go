package ledger

import (
	"context"
	"database/sql"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/text"
)

// exportPage is how many items one read of an export fetches by id: memory
// stays flat however many items the filter selects.
const exportPage = 1000

// Each calls fn for every item p may list that matches f, in f's order
// (f.Offset and f.Limit are ignored). Tags are not loaded. It reads the
// matching ids in order first (8 bytes an item: 8 MB for a million), then
// the items by id, exportPage at a time, so memory stays flat and no read
// holds the database for the whole export. Keyset pages over the sort
// expressions re-sorted the whole match for every page: quadratic at a
// million items.
func (l *Ledger) Each(ctx context.Context, p *org.Principal, f Filter, fn func(Problem) error) error {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	w, ok, err := l.where(ctx, p, f, arg)
	if err != nil || !ok {
		return err
	}
	from := ` FROM problems pr`
	if strings.Contains(w, "(u.path") { // not the subqueries "(ru.path", "(fu.path"
		from += ` JOIN units u ON u.id = pr.unit_id`
	}
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT pr.id`+from+` WHERE `+w+` ORDER BY `+orderBy(f.Sort), args...)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for lo := 0; lo < len(ids); lo += exportPage {
		page := ids[lo:min(lo+exportPage, len(ids))]
		ph := make([]string, len(page))
		pargs := make([]any, len(page))
		for i, id := range page {
			ph[i], pargs[i] = "$"+strconv.Itoa(i+1), id
		}
		items, err := l.exportPage(ctx, `SELECT `+problemCols+problemFrom+` WHERE pr.id IN (`+strings.Join(ph, ",")+`)`, pargs)
		if err != nil {
			return err
		}
		byID := make(map[int64]Problem, len(items))
		for _, pr := range items {
			byID[pr.ID] = pr
		}
		for _, id := range page {
			pr, ok := byID[id]
			if !ok {
				continue // gone since the ids were read
			}
			if err := fn(pr); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Ledger) exportPage(ctx context.Context, q string, args []any) ([]Problem, error) {
	rows, err := l.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Problem, 0, exportPage)
	for rows.Next() {
		pr, err := scanProblem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

// SheetValues is an item as one row of the ledger sheet (SheetColumns), in
// Chinese, the office's language: seq is its 序号. The free text is masked
// (text.Mask: phone, ID and card numbers, e-mail addresses): the file
// leaves the system, while the item's page shows it whole to those who may read it.
func SheetValues(seq int, pr Problem) []any {
	zh := func(key string) string {
		if key == "" {
			return ""
		}
		return i18n.T(i18n.ZH, key)
	}
	desc := pr.Title
	if pr.Description != "" && pr.Description != pr.Title {
		desc += "\n" + pr.Description
	}
	review := ""
	switch pr.ReviewResult {
	case "passed":
		review = zh("ui.problem.review_passed")
	case "recurred":
		review = zh("ui.problem.review_recurred")
	}
	light := ""
	if pr.Status != Draft && pr.Status != Closed {
		light = zh("ui.problem.light" + "." + pr.Light)
	}
	return []any{seq, pr.Number, text.Mask(desc), zh("ui.problem.source" + "." + pr.Source), zh("ui.problem.class" + "." + pr.Class),
		text.Mask(pr.Measures), pr.UnitName, pr.ResponsibleName, pr.Deadline, strconv.Itoa(pr.Percent) + "%",
		zh(statusKey(pr.Status)), light, pr.ClosedOn, review}
}

// Export writes the items p may list that match f as an .xlsx ledger to w and
// returns how many it wrote. Rows stream to excelize's StreamWriter (which
// spills to a temporary file), and the items are read in keyset pages, so a
// million rows need no more memory than a thousand. The export is a
// sensitive read: it leaves an audit entry naming the filter and the count.
func (l *Ledger) Export(ctx context.Context, p *org.Principal, f Filter, w io.Writer) (int, error) {
	x := excelize.NewFile()
	defer x.Close()
	sheet := i18n.T(i18n.ZH, "ui.xlsx.sheet")
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return 0, err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return 0, err
	}
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return 0, err
	}
	for i, width := range []float64{6, 16, 48, 10, 10, 40, 20, 10, 12, 9, 10, 8, 12, 14} {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return 0, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, err
	}
	header := make([]any, len(SheetColumns))
	for i, c := range SheetColumns {
		header[i] = excelize.Cell{StyleID: head, Value: c.Header(i18n.ZH)}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return 0, err
	}
	n := 0
	err = l.Each(ctx, p, f, func(pr Problem) error {
		if n+1 >= excelize.TotalRows { // the header takes a row of the sheet's 1,048,576
			return apperr.Invalidf("", "err.xlsx.export_too_many", excelize.TotalRows-1)
		}
		n++
		cell, _ := excelize.CoordinatesToCellName(1, n+1)
		return sw.SetRow(cell, SheetValues(n, pr))
	})
	if err != nil {
		return 0, err
	}
	if err := sw.Flush(); err != nil {
		return 0, err
	}
	q := f.Values().Encode()
	if err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "problem.export", ObjectType: "problem",
			UnitID: p.UnitID, Detail: map[string]any{"filter": q, "rows": n}})
		return err
	}); err != nil {
		return 0, err
	}
	if _, err := x.WriteTo(w); err != nil {
		return n, err
	}
	return n, nil
}

// statusKey is the catalogue key of a status's label.
func statusKey(s Status) string { return "ui.problem.status" + "." + string(s) }
