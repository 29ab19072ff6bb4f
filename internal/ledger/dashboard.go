package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
)

// The 晴雨表 (barometer): the state of a unit's subtree at a glance. Every
// figure is computed in SQL (GROUP BY over indexed columns, never row by row
// in Go) within the same reach as List, and carries the list filter that
// shows exactly the items it counts, so a figure always equals the length of
// the list behind its link.

// Weeks is how many ISO weeks the created-vs-closed series covers, this one included.
const Weeks = 12

// Figure is one count and the filter of the items it counts.
type Figure struct {
	Key    string `json:"key"`
	Count  int    `json:"count"`
	Filter Filter `json:"-"`
}

// Query is the figure's filter as a query string (for /problems and the API list).
func (f Figure) Query() string { return f.Filter.Values().Encode() }

// MarshalJSON writes the figure with its query string, so an API client can
// list the counted items with GET /api/v1/problems?{query}.
func (f Figure) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Key   string `json:"key"`
		Count int    `json:"count"`
		Query string `json:"query"`
	}{f.Key, f.Count, f.Query()})
}

// ChildRow is one direct child unit of the chosen unit, counted over its
// whole subtree. Own marks the row of the items recorded for the chosen
// unit itself.
type ChildRow struct {
	Code    string `json:"unit_code"`
	Name    string `json:"unit_name"`
	Own     bool   `json:"own"`
	Total   Figure `json:"total"`
	Active  Figure `json:"active"`
	Overdue Figure `json:"overdue"`
}

// Rate is the share of the active items that are overdue, in percent.
func (c ChildRow) Rate() int {
	if c.Active.Count == 0 {
		return 0
	}
	return c.Overdue.Count * 100 / c.Active.Count
}

// Week is one ISO week of the created-vs-closed series.
type Week struct {
	Label   string `json:"week"` // 2026-W45
	From    string `json:"from"` // its Monday
	To      string `json:"to"`   // its Sunday
	Created Figure `json:"created"`
	Closed  Figure `json:"closed"`
}

// Board is the dashboard of one unit's subtree.
type Board struct {
	UnitCode   string     `json:"unit_code"`
	UnitName   string     `json:"unit_name"`
	ParentCode string     `json:"parent_code,omitempty"` // when the principal may go up
	Today      string     `json:"today"`
	Total      Figure     `json:"total"`
	Active     Figure     `json:"active"`
	Overdue    Figure     `json:"overdue"`
	Supervised Figure     `json:"supervised"`
	ByStatus   []Figure   `json:"by_status"`
	ByLight    []Figure   `json:"by_light"` // over the active items
	ByClass    []Figure   `json:"by_class"`
	BySource   []Figure   `json:"by_source"`
	Children   []ChildRow `json:"children"` // most overdue first; the unit's own items last
	Weeks      []Week     `json:"weeks"`    // oldest first
}

// DashboardUnit is the unit a dashboard opens on when none is named: the top
// of the principal's ledger read scopes (the widest, then the first by
// path), else their own unit.
func (l *Ledger) DashboardUnit(ctx context.Context, p *org.Principal) (string, error) {
	if p == nil {
		return "", apperr.ErrNotFound
	}
	scopes := org.ScopePaths(p, Read)
	if len(scopes) == 0 {
		return p.UnitCode, nil
	}
	top := slices.MinFunc(scopes, func(a, b string) int {
		if c := strings.Count(a, "/") - strings.Count(b, "/"); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := strings.Split(strings.Trim(top, "/"), "/")
	id, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	if err != nil {
		return "", err
	}
	u, err := org.UnitByID(ctx, l.DB.Read, id)
	return u.Code, err
}

// Dashboard returns the figures of unitCode's subtree ("" = DashboardUnit)
// as p may see them: the same reach as List, so the items p is responsible
// for count too. A unit p may not read is not found.
func (l *Ledger) Dashboard(ctx context.Context, p *org.Principal, unitCode string) (Board, error) {
	var b Board
	if p == nil {
		return b, apperr.ErrNotFound
	}
	code := strings.TrimSpace(unitCode)
	if code == "" {
		var err error
		if code, err = l.DashboardUnit(ctx, p); err != nil {
			return b, err
		}
	}
	unit, err := org.GetUnit(ctx, l.DB, p, code)
	if err != nil {
		return b, err
	}
	b.UnitCode, b.UnitName = unit.Code, unit.Name
	if unit.ParentCode != "" {
		if parent, err := org.GetUnit(ctx, l.DB, p, unit.ParentCode); err == nil {
			b.ParentCode = parent.Code
		}
	}
	today := l.today()
	b.Today = calendar.FormatDay(today)
	base := Filter{Unit: unit.Code}
	with := func(mod func(f *Filter)) Filter { f := base; mod(&f); return f }
	// Whoever may read the whole subtree sees exactly its maintained counts
	// (tally.go); anyone else (reach by responsibility only) is counted live.
	var t *tallyScope
	if !liveCounts && org.Can(p, Read, unit.Path) {
		whole, err := l.wholeTree(ctx, unit.Path)
		if err != nil {
			return b, err
		}
		t = &tallyScope{id: unit.ID, path: unit.Path, whole: whole}
	}

	// The parts read different rows and fill different fields: they run side
	// by side on the read pool, so a big subtree costs its slowest query
	// rather than the sum of them.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Go(func() { errs[0] = l.countDimensions(ctx, p, t, &b, base, with) })
	wg.Go(func() { errs[1] = l.countChildren(ctx, p, t, &b, unit, base) })
	wg.Go(func() { errs[2] = l.countWeeks(ctx, p, t, &b, base, today) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Board{}, err
		}
	}
	return b, nil
}

// countDimensions fills the totals and the counts by status, light, class
// and source from one GROUP BY (at most a few hundred groups).
func (l *Ledger) countDimensions(ctx context.Context, p *org.Principal, t *tallyScope, b *Board, base Filter, with func(func(*Filter)) Filter) error {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	ok := true
	var w string
	if t == nil {
		var err error
		if w, ok, err = l.where(ctx, p, base, arg); err != nil {
			return err
		}
	}
	status, light, class, source := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	if ok {
		var rows *sql.Rows
		var err error
		if t != nil {
			rows, err = l.tallyDimensions(ctx, t.id, t.path, t.whole)
		} else {
			rows, err = l.DB.Read.QueryContext(ctx, `SELECT pr.status, pr.light, pr.class, pr.source,
			CASE WHEN pr.supervised_at IS NULL THEN 0 ELSE 1 END, COUNT(*)
			FROM problems pr JOIN units u ON u.id = pr.unit_id WHERE `+w+` GROUP BY 1, 2, 3, 4, 5`, args...)
		}
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st, li, cl, so string
			var sup, n int
			if err := rows.Scan(&st, &li, &cl, &so, &sup, &n); err != nil {
				return err
			}
			b.Total.Count += n
			status[st] += n
			class[cl] += n
			source[so] += n
			if Status(st).Active() {
				b.Active.Count += n
				light[li] += n
			}
			if sup == 1 {
				b.Supervised.Count += n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	b.Total.Key, b.Total.Filter = "total", base
	b.Active.Key, b.Active.Filter = StatusActive, with(func(f *Filter) { f.Status = StatusActive })
	b.Overdue = Figure{Key: "overdue", Count: light[Red], Filter: with(func(f *Filter) { f.Status, f.Light = StatusActive, Red })}
	b.Supervised.Key, b.Supervised.Filter = "supervised", with(func(f *Filter) { f.Supervised = true })
	for _, s := range Statuses {
		b.ByStatus = append(b.ByStatus, Figure{Key: string(s), Count: status[string(s)], Filter: with(func(f *Filter) { f.Status = string(s) })})
	}
	for _, li := range Lights {
		b.ByLight = append(b.ByLight, Figure{Key: li, Count: light[li], Filter: with(func(f *Filter) { f.Status, f.Light = StatusActive, li })})
	}
	for _, c := range Classes {
		b.ByClass = append(b.ByClass, Figure{Key: c, Count: class[c], Filter: with(func(f *Filter) { f.Class = c })})
	}
	for _, s := range Sources {
		b.BySource = append(b.BySource, Figure{Key: s, Count: source[s], Filter: with(func(f *Filter) { f.Source = s })})
	}
	return nil
}

// acc is a ranking row being counted; shown once it holds items (or is open).
type acc struct {
	row   ChildRow
	shown bool
}

// liveCounts makes every dashboard count live (tests compare both ways).
var liveCounts bool

// tallyScope names a subtree counted from the maintained counts.
type tallyScope struct {
	id    int64
	path  string
	whole bool // the unit is the only root: every pending change is in it
}

// countChildren fills the overdue ranking of the unit's direct children:
// the counts are grouped by unit in SQL (one row per unit holding items) and
// folded into the child whose subtree holds the unit.
func (l *Ledger) countChildren(ctx context.Context, p *org.Principal, t *tallyScope, b *Board, unit org.Unit, base Filter) error {
	// the children: all direct ones, closed units only while they hold items
	b.Children = []ChildRow{}
	kids := map[string]*acc{} // path segment (the child's id) → row
	var order []string
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT id, code, name, CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END FROM units WHERE parent_id = $1 ORDER BY sort, code`, unit.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var code, name string
		var closed int
		if err := rows.Scan(&id, &code, &name, &closed); err != nil {
			rows.Close()
			return err
		}
		seg := strconv.FormatInt(id, 10)
		kids[seg] = &acc{row: ChildRow{Code: code, Name: name}, shown: closed == 0}
		order = append(order, seg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	own := &acc{row: ChildRow{Code: unit.Code, Name: unit.Name, Own: true}}

	put := func(a *acc, c unitCount) {
		a.row.Total.Count += c.N
		a.row.Active.Count += c.Active
		a.row.Overdue.Count += c.Red
		a.shown = a.shown || c.N != 0
	}
	if t != nil {
		ownC, kidC, err := l.tallyUnits(ctx, t.id, t.path, t.whole)
		if err != nil {
			return err
		}
		put(own, ownC)
		for seg, c := range kidC {
			if a := kids[seg]; a != nil {
				put(a, c)
			}
		}
		return l.finishChildren(b, own, kids, order)
	}

	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	w, ok, err := l.where(ctx, p, base, arg)
	if err != nil {
		return err
	}
	if ok {
		rows, err := l.DB.Read.QueryContext(ctx, `SELECT u.path, COUNT(*),
			SUM(CASE WHEN `+activeSQL+` THEN 1 ELSE 0 END),
			SUM(CASE WHEN `+activeSQL+` AND pr.light = 'red' THEN 1 ELSE 0 END)
			FROM problems pr JOIN units u ON u.id = pr.unit_id WHERE `+w+` GROUP BY u.path`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var path string
			var n, active, red int
			if err := rows.Scan(&path, &n, &active, &red); err != nil {
				return err
			}
			seg, _, _ := strings.Cut(strings.TrimPrefix(path, unit.Path), "/")
			a := own
			if seg != "" {
				if a = kids[seg]; a == nil {
					continue // cannot happen: the path lies in the unit's subtree
				}
			}
			put(a, unitCount{N: n, Active: active, Red: red})
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return l.finishChildren(b, own, kids, order)
}

// finishChildren links each shown row to its list and orders the ranking.
func (l *Ledger) finishChildren(b *Board, own *acc, kids map[string]*acc, order []string) error {
	fill := func(r *ChildRow) {
		f := Filter{Unit: r.Code, Direct: r.Own}
		r.Total.Key, r.Total.Filter = "total", f
		f.Status = StatusActive
		r.Active.Key, r.Active.Filter = StatusActive, f
		f.Light = Red
		r.Overdue.Key, r.Overdue.Filter = "overdue", f
	}
	for _, seg := range order {
		if a := kids[seg]; a.shown {
			fill(&a.row)
			b.Children = append(b.Children, a.row)
		}
	}
	// most overdue first, then the higher overdue share, then the tree's order
	slices.SortStableFunc(b.Children, func(x, y ChildRow) int {
		if x.Overdue.Count != y.Overdue.Count {
			return y.Overdue.Count - x.Overdue.Count
		}
		return y.Rate() - x.Rate()
	})
	if own.shown {
		fill(&own.row) // the unit's own items, without its children's
		b.Children = append(b.Children, own.row)
	}
	return nil
}

// weekStart is the Monday of the ISO week holding day d.
func weekStart(d time.Time) time.Time {
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// countWeeks fills the created-vs-closed series of the last Weeks ISO weeks
// (China time): recorded by created_at, closed by the day of 销号 of the
// items closed now (a reopened item no longer counts as closed).
func (l *Ledger) countWeeks(ctx context.Context, p *org.Principal, t *tallyScope, b *Board, base Filter, today time.Time) error {
	first := weekStart(today).AddDate(0, 0, -7*(Weeks-1))
	last := first.AddDate(0, 0, 7*Weeks-1)
	for i := range Weeks {
		mon := first.AddDate(0, 0, 7*i)
		sun := mon.AddDate(0, 0, 6)
		y, wk := mon.ISOWeek()
		from, to := calendar.FormatDay(mon), calendar.FormatDay(sun)
		created, closed := base, base
		created.CreatedFrom, created.CreatedTo = from, to
		closed.ClosedFrom, closed.ClosedTo = from, to
		b.Weeks = append(b.Weeks, Week{Label: strconv.Itoa(y) + "-W" + twoDigits(wk), From: from, To: to,
			Created: Figure{Key: "created", Filter: created}, Closed: Figure{Key: "closed", Filter: closed}})
	}
	if t != nil {
		days, err := l.tallyDays(ctx, t.id, t.path, t.whole, calendar.FormatDay(first), calendar.FormatDay(last))
		if err != nil {
			return err
		}
		for kind, byDay := range days {
			for d, n := range byDay {
				day, err := calendar.ParseDay(d)
				if err != nil {
					continue // a damaged day matches no week
				}
				i := int(day.Sub(first).Hours()) / (24 * 7)
				if i < 0 || i >= Weeks {
					continue
				}
				if kind == "created" {
					b.Weeks[i].Created.Count += n
				} else {
					b.Weeks[i].Closed.Count += n
				}
			}
		}
		return nil
	}
	span := base
	span.CreatedFrom, span.CreatedTo = calendar.FormatDay(first), calendar.FormatDay(last)
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	w, ok, err := l.where(ctx, p, span, arg)
	if err != nil || !ok {
		return err
	}
	// week number from the first Monday, by integer division on both engines
	start := arg(dayStartMs(span.CreatedFrom))
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT (pr.created_at - `+start+`) / `+strconv.Itoa(7*dayMs)+`, COUNT(*)
		FROM problems pr JOIN units u ON u.id = pr.unit_id WHERE `+w+` GROUP BY 1`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var i int64
		var n int
		if err := rows.Scan(&i, &n); err != nil {
			rows.Close()
			return err
		}
		if i >= 0 && i < Weeks {
			b.Weeks[i].Created.Count += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	span = base
	span.ClosedFrom, span.ClosedTo = calendar.FormatDay(first), calendar.FormatDay(last)
	args = nil
	if w, _, err = l.where(ctx, p, span, arg); err != nil {
		return err
	}
	rows, err = l.DB.Read.QueryContext(ctx, `SELECT pr.closed_on, COUNT(*)
		FROM problems pr JOIN units u ON u.id = pr.unit_id WHERE `+w+` GROUP BY pr.closed_on`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return err
		}
		t, err := calendar.ParseDay(d)
		if err != nil {
			continue // a damaged day matches no week
		}
		if i := int(t.Sub(first).Hours()) / (24 * 7); i >= 0 && i < Weeks {
			b.Weeks[i].Closed.Count += n
		}
	}
	return rows.Err()
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
