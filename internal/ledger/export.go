package ledger

import (
	"context"
	"database/sql"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
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
	return l.eachPage(ctx, p, f, false, func(items []Problem) error {
		for _, pr := range items {
			if err := fn(pr); err != nil {
				return err
			}
		}
		return nil
	})
}

// eachPage is Each a page of at most exportPage items at a time. The next
// page is read while fn works on this one. With sheet, the items hold only
// what SheetValues reads (exportPageSheet).
func (l *Ledger) eachPage(ctx context.Context, p *org.Principal, f Filter, sheet bool, fn func([]Problem) error) error {
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
	order := orderBy(f.Sort)
	if l.DB.Dialect == store.Postgres {
		// PostgreSQL reads an expression index (the sort orders' indexes)
		// only with a visit to the table per entry: 12–16 s in the order of
		// the index for a million items, 6 s as a scan and a sort of the
		// ids and keys. On SQLite the index covers the order and wins.
		order = unindexed(order)
	}
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT pr.id`+from+` WHERE `+w+` ORDER BY `+order, args...)
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
	// a reader goroutine one page ahead: on SQLite (in process) reading a
	// page costs as much CPU as writing it to the sheet
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		items []Problem
		err   error
	}
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		names := exportNames{units: map[int64]string{}, people: map[int64]string{}}
		for lo := 0; lo < len(ids); lo += exportPage {
			var items []Problem
			var err error
			if sheet {
				items, err = l.exportPageSheet(ctx, ids[lo:min(lo+exportPage, len(ids))], &names)
			} else {
				items, err = l.exportPage(ctx, ids[lo:min(lo+exportPage, len(ids))])
			}
			select {
			case pages <- page{items, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for pg := range pages {
		if pg.err != nil {
			return pg.err
		}
		if err := fn(pg.items); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// exportPage reads the items of ids, in the order of ids (an item gone
// since the ids were read is left out).
func (l *Ledger) exportPage(ctx context.Context, ids []int64) ([]Problem, error) {
	cond, arg := l.inIDs("pr.id", ids)
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT `+problemCols+problemFrom+` WHERE `+cond, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]Problem, len(ids))
	for rows.Next() {
		pr, err := scanProblem(rows)
		if err != nil {
			return nil, err
		}
		byID[pr.ID] = pr
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Problem, 0, len(ids))
	for _, id := range ids {
		if pr, ok := byID[id]; ok {
			out = append(out, pr)
		}
	}
	return out, nil
}

// exportSheetCols are the columns of an item SheetValues reads: a third of
// problemCols, and no joins (the unit's and the person's names come from
// exportNames). At a million items the wide read with three joins per item
// was most of the export's CPU.
const exportSheetCols = `pr.id, pr.number, pr.title, pr.description, pr.source, pr.class, pr.unit_id,
	COALESCE(pr.responsible_id, 0), pr.measures, COALESCE(pr.deadline, ''), pr.status, pr.percent, pr.light,
	COALESCE(pr.closed_on, ''), pr.review_result`

// exportNames are the names of the units and people an export has met so far.
type exportNames struct {
	units, people map[int64]string
}

// exportPageSheet is exportPage with only the columns SheetValues reads.
func (l *Ledger) exportPageSheet(ctx context.Context, ids []int64, names *exportNames) ([]Problem, error) {
	cond, arg := l.inIDs("pr.id", ids)
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT `+exportSheetCols+` FROM problems pr WHERE `+cond, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[int64]Problem, len(ids))
	var units, people []int64
	for rows.Next() {
		var pr Problem
		if err := rows.Scan(&pr.ID, &pr.Number, &pr.Title, &pr.Description, &pr.Source, &pr.Class, &pr.UnitID,
			&pr.ResponsibleID, &pr.Measures, &pr.Deadline, &pr.Status, &pr.Percent, &pr.Light, &pr.ClosedOn, &pr.ReviewResult); err != nil {
			return nil, err
		}
		if _, ok := names.units[pr.UnitID]; !ok {
			names.units[pr.UnitID] = ""
			units = append(units, pr.UnitID)
		}
		if _, ok := names.people[pr.ResponsibleID]; !ok && pr.ResponsibleID != 0 {
			names.people[pr.ResponsibleID] = ""
			people = append(people, pr.ResponsibleID)
		}
		byID[pr.ID] = pr
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for _, q := range []struct {
		table string
		ids   []int64
		into  map[int64]string
	}{{"units", units, names.units}, {"users", people, names.people}} {
		if len(q.ids) == 0 {
			continue
		}
		cond, arg := l.inIDs("id", q.ids)
		rs, err := l.DB.Read.QueryContext(ctx, `SELECT id, name FROM `+q.table+` WHERE `+cond, arg)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id int64
			var name string
			if err := rs.Scan(&id, &name); err != nil {
				rs.Close()
				return nil, err
			}
			q.into[id] = name
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]Problem, 0, len(ids))
	for _, id := range ids {
		if pr, ok := byID[id]; ok {
			pr.UnitName, pr.ResponsibleName = names.units[pr.UnitID], names.people[pr.ResponsibleID]
			out = append(out, pr)
		}
	}
	return out, nil
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

// exportWidths are the export's column widths, in characters.
var exportWidths = []float64{6, 16, 48, 10, 10, 40, 20, 10, 12, 9, 10, 8, 12, 14}

// Export writes the items p may list that match f as an .xlsx ledger to w and
// returns how many it wrote. Rows stream through sheetWriter (inline
// strings, DEFLATE at its fastest) into a temporary file as the items are
// read a page at a time, so a million rows need no more memory than a
// thousand. The export is a sensitive read: it leaves an audit entry naming
// the filter and the count before the first byte reaches w, and nothing
// reaches w when it fails.
func (l *Ledger) Export(ctx context.Context, p *org.Principal, f Filter, w io.Writer) (int, error) {
	tmp, err := os.CreateTemp("", "luoshi-export-*.xlsx")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	header := make([]string, len(SheetColumns))
	for i, c := range SheetColumns {
		header[i] = c.Header(i18n.ZH)
	}
	sw, err := newSheetWriter(tmp, i18n.T(i18n.ZH, "ui.xlsx.sheet"), exportWidths, header)
	if err != nil {
		return 0, err
	}
	// three stages on their own goroutines, pages handed on through
	// channels of one: reading the items (eachPage), making their cells
	// (SheetValues: masking, labels) and writing the sheet.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cells := make(chan [][]any, 1)
	var readErr error
	go func() {
		defer close(cells)
		seq := 0
		readErr = l.eachPage(ctx, p, f, true, func(items []Problem) error {
			if seq+len(items) >= maxSheetRows { // the header takes a row of the sheet's 1,048,576
				return apperr.Invalidf("", "err.xlsx.export_too_many", maxSheetRows-1)
			}
			page := make([][]any, len(items))
			for i, pr := range items {
				seq++
				page[i] = SheetValues(seq, pr)
			}
			select {
			case cells <- page:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	n := 0
	for page := range cells {
		if err != nil {
			continue // drain: the reader stops at the cancel
		}
		for _, row := range page {
			if err = sw.Row(row); err != nil {
				cancel()
				break
			}
			n++
		}
	}
	if err == nil {
		err = readErr // set before cells was closed
	}
	if err != nil {
		return 0, err
	}
	if err := sw.Close(); err != nil {
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
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, tmp); err != nil {
		return n, err
	}
	return n, nil
}

// statusKey is the catalogue key of a status's label.
func statusKey(s Status) string { return "ui.problem.status" + "." + string(s) }
