package ledger

import (
	"context"
	"database/sql"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Filter selects items for the ledger list, the export and the dashboard.
// Its query-string form (Values/ParseFilter) is what saved filters keep.
type Filter struct {
	Unit         string // unit code: the whole subtree
	Direct       bool   // with Unit: only the unit's own items, not its children's
	Status       string // a Status, "review_due" for look-backs due, or "active" for work still owed
	Light        string
	Class        string
	Source       string
	Tag          string
	Responsible  string // username
	Supervised   bool
	DeadlineFrom string // YYYY-MM-DD
	DeadlineTo   string
	CreatedFrom  string // YYYY-MM-DD: recorded on or after this day (China time)
	CreatedTo    string // recorded on or before this day
	ClosedFrom   string // YYYY-MM-DD: closed (销号) on or after this day
	ClosedTo     string
	Q            string // number or title contains
	Mine         bool   // items the principal is responsible for
	Sort         string // deadline, -deadline, number, -created, light
	Offset       int
	Limit        int

	// ExtensionPending: items with an extension request awaiting a decision.
	ExtensionPending bool
}

// StatusActive filters the items still owing work (open, in progress,
// reopened): the ones whose clock runs and whose light means something.
const StatusActive = "active"

// activeSQL is the condition of Status.Active.
const activeSQL = "pr.status IN ('open', 'in_progress', 'reopened')"

const dayMs = 24 * 3600 * 1000

// dayStartMs is the instant a civil day ("2006-01-02", validated) begins in China.
func dayStartMs(d string) int64 {
	t, _ := calendar.ParseDay(d)
	return t.Add(-8 * time.Hour).UnixMilli()
}

// Sorts lists the accepted sort keys.
var Sorts = []string{"deadline", "-deadline", "number", "-created", "light"}

// ParseFilter reads a filter from query parameters, validating each.
func ParseFilter(v url.Values) (Filter, error) {
	f := Filter{
		Unit: strings.TrimSpace(v.Get("unit")), Status: v.Get("status"), Light: v.Get("light"), Class: v.Get("class"),
		Source: v.Get("source"), Tag: strings.TrimSpace(v.Get("tag")), Responsible: strings.TrimSpace(v.Get("responsible")),
		Supervised: v.Get("supervised") == "1" || v.Get("supervised") == "true",
		Mine:       v.Get("mine") == "1" || v.Get("mine") == "true",
		Q:          strings.TrimSpace(v.Get("q")), Sort: v.Get("sort"),
	}
	f.ExtensionPending = v.Get("extension_pending") == "1" || v.Get("extension_pending") == "true"
	f.Direct = f.Unit != "" && (v.Get("direct") == "1" || v.Get("direct") == "true")
	if f.Status != "" && f.Status != "review_due" && f.Status != StatusActive && !slices.Contains(Statuses, Status(f.Status)) {
		return f, apperr.Invalidf("status", "err.filter.status", f.Status)
	}
	if f.Light != "" && !slices.Contains(Lights, f.Light) {
		return f, apperr.Invalidf("light", "err.filter.light", f.Light)
	}
	if f.Class != "" && !slices.Contains(Classes, f.Class) {
		return f, apperr.Invalidf("class", "err.problem.class")
	}
	if f.Source != "" && !slices.Contains(Sources, f.Source) {
		return f, apperr.Invalidf("source", "err.problem.source")
	}
	if f.Sort != "" && !slices.Contains(Sorts, f.Sort) {
		return f, apperr.Invalidf("sort", "err.filter.sort")
	}
	for _, d := range []struct {
		field string
		dst   *string
	}{{"deadline_from", &f.DeadlineFrom}, {"deadline_to", &f.DeadlineTo}, {"created_from", &f.CreatedFrom},
		{"created_to", &f.CreatedTo}, {"closed_from", &f.ClosedFrom}, {"closed_to", &f.ClosedTo}} {
		s := strings.TrimSpace(v.Get(d.field))
		if s == "" {
			continue
		}
		t, err := calendar.ParseDate(s)
		if err != nil {
			return f, apperr.Invalidf(d.field, "err.filter.date", s)
		}
		*d.dst = calendar.FormatDay(t)
	}
	for _, n := range []struct {
		field string
		dst   *int
	}{{"offset", &f.Offset}, {"limit", &f.Limit}} {
		if s := v.Get(n.field); s != "" {
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 {
				return f, apperr.Invalidf(n.field, "err.page.invalid")
			}
			*n.dst = i
		}
	}
	return f, nil
}

// Values is the query-string form of the filter (without paging).
func (f Filter) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("unit", f.Unit)
	set("status", f.Status)
	set("light", f.Light)
	set("class", f.Class)
	set("source", f.Source)
	set("tag", f.Tag)
	set("responsible", f.Responsible)
	set("deadline_from", f.DeadlineFrom)
	set("deadline_to", f.DeadlineTo)
	set("created_from", f.CreatedFrom)
	set("created_to", f.CreatedTo)
	set("closed_from", f.ClosedFrom)
	set("closed_to", f.ClosedTo)
	set("q", f.Q)
	set("sort", f.Sort)
	if f.Supervised {
		v.Set("supervised", "1")
	}
	if f.Mine {
		v.Set("mine", "1")
	}
	if f.ExtensionPending {
		v.Set("extension_pending", "1")
	}
	if f.Direct && f.Unit != "" {
		v.Set("direct", "1")
	}
	return v
}

// where builds the WHERE clause for f within p's reach. ok is false when p
// can reach nothing (the result is empty).
func (l *Ledger) where(ctx context.Context, p *org.Principal, f Filter, arg func(any) string) (string, bool, error) {
	w, ok, _, err := l.whereReach(ctx, p, f, arg)
	return w, ok, err
}

// reach is how where bounded the items to p's reach: whole when it added no
// reach condition (every item of f.Unit's subtree, or of the whole tree at
// root, is in reach), otherwise the read scopes (disjoint subtrees) and the
// items p is responsible for.
type reach struct {
	whole  bool
	root   string   // with whole and no f.Unit: the path of the only root
	unit   org.Unit // f.Unit's unit, when set
	scopes []string
}

func (l *Ledger) whereReach(ctx context.Context, p *org.Principal, f Filter, arg func(any) string) (string, bool, reach, error) {
	var where []string
	var r reach
	scopes := org.ScopePaths(p, Read)
	r.scopes = scopes
	if len(scopes) == 0 && (p == nil || p.UserID == 0) {
		return "", false, r, nil
	}
	var unit org.Unit
	if f.Unit != "" {
		// a unit outside the principal's reach answers as one that does not exist
		var err error
		unit, err = org.GetUnit(ctx, l.DB, p, f.Unit)
		if apperr.As(err) != nil {
			return "", false, r, apperr.Invalidf("unit", "err.problem.unit_code.unknown", f.Unit)
		} else if err != nil {
			return "", false, r, err
		}
	}
	// reach: the read scopes, or the items one is responsible for. A unit
	// inside a read scope needs no reach condition: all its items are in
	// reach, and without the OR the engines count from an index alone.
	// A scope over the whole tree (a province inspector's) needs no
	// condition either: without it the engines count and sort from indexes
	// of problems alone, with no join to units per item.
	whole := false
	for _, s := range scopes {
		var err error
		if whole, err = l.wholeTree(ctx, s); err != nil {
			return "", false, r, err
		} else if whole {
			r.root = s
			break
		}
	}
	if f.Unit != "" && !whole {
		whole = org.Can(p, Read, unit.Path)
	}
	r.whole, r.unit = whole, unit
	if !whole {
		// the units in reach as a list of ids: with the OR below, both
		// halves stay index lookups on problems (unit, then person); a
		// condition on the joined unit's path would scan every item
		var reach, sub []string
		for _, s := range scopes {
			sub = append(sub, store.Subtree("ru.path", s, arg))
		}
		if len(sub) > 0 {
			reach = append(reach, l.inUnits("SELECT ru.id FROM units ru WHERE "+strings.Join(sub, " OR ")))
		}
		if p != nil && p.UserID != 0 {
			reach = append(reach, "pr.responsible_id = "+arg(p.UserID))
		}
		where = append(where, "("+strings.Join(reach, " OR ")+")")
	}
	if f.Unit != "" {
		if f.Direct {
			where = append(where, "pr.unit_id = "+arg(unit.ID))
		} else if root, err := l.wholeTree(ctx, unit.Path); err != nil {
			return "", false, r, err
		} else if !root {
			// as ids, like the reach: the engines then start from the
			// subtree's units, not from a date index over every item
			where = append(where, l.inUnits("SELECT fu.id FROM units fu WHERE "+store.Subtree("fu.path", unit.Path, arg)))
		}
	}
	switch f.Status {
	case "":
	case "review_due":
		where = append(where, "pr.status = 'closed' AND pr.review_result = '' AND pr.review_due <= "+arg(calendar.FormatDay(l.today())))
	case StatusActive:
		where = append(where, activeSQL)
	default:
		where = append(where, "pr.status = "+arg(f.Status))
	}
	if f.Light != "" {
		where = append(where, "pr.light = "+arg(f.Light))
	}
	if f.Class != "" {
		where = append(where, "pr.class = "+arg(f.Class))
	}
	if f.Source != "" {
		where = append(where, "pr.source = "+arg(f.Source))
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM problem_tags t WHERE t.problem_id = pr.id AND t.tag = "+arg(f.Tag)+")")
	}
	if f.Responsible != "" {
		// as for units: a person outside the principal's reach does not exist here
		u, err := org.GetUser(ctx, l.DB, p, strings.ToLower(f.Responsible))
		if apperr.As(err) != nil {
			return "", false, r, apperr.Invalidf("responsible", "err.problem.responsible.unknown", f.Responsible)
		} else if err != nil {
			return "", false, r, err
		}
		where = append(where, "pr.responsible_id = "+arg(u.ID))
	}
	if f.Mine && p != nil {
		where = append(where, "pr.responsible_id = "+arg(p.UserID))
	}
	if f.Supervised {
		where = append(where, "pr.supervised_at IS NOT NULL")
	}
	if f.ExtensionPending {
		where = append(where, "pr.ext_deadline IS NOT NULL")
	}
	if f.DeadlineFrom != "" {
		where = append(where, "pr.deadline >= "+arg(f.DeadlineFrom))
	}
	if f.DeadlineTo != "" {
		where = append(where, "pr.deadline <= "+arg(f.DeadlineTo))
	}
	// days are China's civil days; created_at is an instant (unix ms)
	if f.CreatedFrom != "" {
		where = append(where, "pr.created_at >= "+arg(dayStartMs(f.CreatedFrom)))
	}
	if f.CreatedTo != "" {
		where = append(where, "pr.created_at < "+arg(dayStartMs(f.CreatedTo)+dayMs))
	}
	if f.ClosedFrom != "" {
		where = append(where, "pr.closed_on >= "+arg(f.ClosedFrom))
	}
	if f.ClosedTo != "" {
		where = append(where, "pr.closed_on <= "+arg(f.ClosedTo))
	}
	if f.Q != "" {
		if l.TextMatch != nil { // the index finds the candidates; the LIKE below decides
			if m, ok := l.TextMatch(ctx, f.Q, arg); ok {
				where = append(where, m)
			}
		}
		like := "%" + store.EscapeLike(f.Q) + "%"
		where = append(where, "(pr.title LIKE "+arg(like)+` ESCAPE '\' OR pr.number LIKE `+arg(like)+` ESCAPE '\')`)
	}
	if len(where) == 0 {
		return "1 = 1", true, r, nil
	}
	return strings.Join(where, " AND "), true, r, nil
}

// wholeTree reports whether the subtree at path is every unit: path is the
// only root.
func (l *Ledger) wholeTree(ctx context.Context, path string) (bool, error) {
	if strings.Count(path, "/") != 2 { // not a root's path ("/1/")
		return false, nil
	}
	var others int
	err := l.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE parent_id IS NULL AND path <> $1`, path).Scan(&others)
	return others == 0, err
}

func orderBy(sort string) string {
	switch sort {
	case "-deadline":
		return "pr.deadline DESC, pr.id DESC"
	case "number":
		return "pr.number"
	case "-created":
		return "pr.id DESC"
	case "light":
		return "CASE pr.light WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, pr.deadline, pr.id"
	default:
		// work still owed first, by deadline; closed items after
		return "CASE WHEN pr.status = 'closed' THEN 1 ELSE 0 END, CASE WHEN pr.deadline IS NULL THEN 1 ELSE 0 END, pr.deadline, pr.id"
	}
}

// unindexed is an ORDER BY list whose terms sort alike but match no index's
// expressions: a unary + on numbers, the empty string appended to text
// (PostgreSQL has no unary + for text).
func unindexed(order string) string {
	terms := strings.Split(order, ", ")
	for i, t := range terms {
		if strings.HasPrefix(t, "pr.deadline") || strings.HasPrefix(t, "pr.number") {
			col, rest, _ := strings.Cut(t, " ")
			terms[i] = strings.TrimSpace("(" + col + " || '') " + rest)
		} else {
			terms[i] = "+" + t
		}
	}
	return strings.Join(terms, ", ")
}

// MaxPage is the largest page a list returns.
const MaxPage = 200

// inUnits is "the item's unit is one of these ids". PostgreSQL cannot OR
// an IN (subquery) with another index condition (the responsible person)
// and scanned the whole ledger (1 s at a million items); over an array it
// ORs two bitmap index scans.
func (l *Ledger) inUnits(ids string) string {
	if l.DB.Dialect == store.Postgres {
		return "pr.unit_id = ANY(ARRAY(" + ids + "))"
	}
	return "pr.unit_id IN (" + ids + ")"
}

// inIDs is "col is one of ids" with the ids as one parameter (its $1): the
// statement's text is the same for every page, so it is prepared once, and
// SQLite does not resolve hundreds of "$N" names (a linear search each,
// 12 % of an export's CPU).
func (l *Ledger) inIDs(col string, ids []int64) (string, any) {
	b := make([]byte, 0, 8*len(ids)+2)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	if l.DB.Dialect == store.Postgres {
		return col + " = ANY(CAST($1 AS BIGINT[]))", "{" + string(b) + "}"
	}
	return col + " IN (SELECT value FROM json_each($1))", "[" + string(b) + "]"
}

// List returns a page of the items p may see that match f, and the total count.
func (l *Ledger) List(ctx context.Context, p *org.Principal, f Filter) ([]Problem, int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	w, ok, r, err := l.whereReach(ctx, p, f, arg)
	if err != nil || !ok {
		return nil, 0, err
	}
	// the join to units only when a condition needs the unit's path
	from := ` FROM problems pr`
	if strings.Contains(w, "(u.path") { // not "(ru.path" or "(fu.path": those are subqueries
		from += ` JOIN units u ON u.id = pr.unit_id`
	}
	// The total: from the maintained counts where they hold the filter
	// (exact, a few hundred rows read however many items match), else
	// counted (the other filters narrow by an index: dates, person, tag).
	var total int
	counted := false
	if !liveCounts {
		if total, counted, err = l.tallyCount(ctx, p, f, r); err != nil {
			return nil, 0, err
		}
	}
	if !counted {
		if err := l.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*)`+from+` WHERE `+w, args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	limit, offset := f.Limit, f.Offset
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxPage)
	// First the page's ids in order, then their rows: sorting only ids and
	// sort keys keeps the sort of a large match small (the engines sort
	// whole result rows, forty columns and three joins each).
	order := orderBy(f.Sort)
	narrowed := strings.Contains(w, "u.path") || strings.Contains(w, "pr.unit_id") || strings.Contains(w, "pr.responsible_id") || strings.Contains(w, "pr.id IN (")
	if narrowed {
		// A unit subtree, a person or text matches select few items of many: find them
		// by their own indexes and sort them. A unary + makes the sort
		// keys differ from the sort indexes' expressions (migration 00012),
		// which otherwise lure the planners into walking the whole ledger
		// in order and filtering (seconds instead of milliseconds).
		order = unindexed(order)
	}
	if ids, ok, err := l.walkPage(ctx, f, r, w, args, total, limit, offset); err != nil {
		return nil, 0, err
	} else if ok {
		return l.pageRows(ctx, ids, total)
	}
	var q string
	if f.Sort != "" || narrowed || (f.DeadlineFrom == "" && f.DeadlineTo == "") {
		q = `SELECT pr.id` + from + ` WHERE ` + w + ` ORDER BY ` + order + ` LIMIT ` + store.Limit(limit, arg) + ` OFFSET ` + arg(offset)
	} else {
		// A deadline range in the default order (work owed first, by
		// deadline): PostgreSQL walked the sort index from its start and
		// filtered (0.2–0.6 s at a million items). The order's leading term
		// (closed or not) takes two values and the second is fixed by the
		// range (a deadline); one branch per value of the first gives each
		// an index range with the deadline condition in it (3 ms). A status
		// filter leaves one branch. SQLite's skip-scan found the ranges by
		// itself, but with a status filter (active) it preferred the status
		// index and sorted the whole match (p95 137 ms at 32,000 items);
		// in branches it reads one range of the sort index (0.1 ms). Each
		// branch is a subquery in FROM: SQLite takes no ORDER BY or LIMIT
		// in a member of a UNION.
		n := arg(limit + offset)
		var branches []string
		for _, k := range []string{"0", "1"} {
			closed := f.Status == string(Closed) || f.Status == "review_due"
			if f.Status != "" && (k == "1") != closed {
				continue // the status filter leaves this branch empty
			}
			branches = append(branches, `SELECT * FROM (SELECT pr.id, `+k+` AS k, pr.deadline AS dl`+from+` WHERE `+w+
				` AND CASE WHEN pr.status = 'closed' THEN 1 ELSE 0 END = `+k+
				` AND CASE WHEN pr.deadline IS NULL THEN 1 ELSE 0 END = 0 ORDER BY pr.deadline, pr.id LIMIT `+n+`) b`+k)
		}
		q = `SELECT id FROM (` + strings.Join(branches, " UNION ALL ") + `) x ORDER BY k, dl, id LIMIT ` +
			store.Limit(limit, arg) + ` OFFSET ` + arg(offset)
	}
	idRows, err := l.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	for idRows.Next() {
		var id int64
		if err := idRows.Scan(&id); err != nil {
			idRows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	idRows.Close()
	if err := idRows.Err(); err != nil {
		return nil, 0, err
	}
	return l.pageRows(ctx, ids, total)
}

// walkMin is the fewest matches for which walkPage tries the status's
// order index: below it, reading the subtree's matches and sorting them
// costs less than a millisecond. A variable for the tests.
var walkMin = 1000

// walkPage finds the page of a unit subtree's items with one status in the
// default order by walking the status's order index (migration 00038) and
// keeping the subtree's entries, when the subtree holds many of the
// status's items: a city's items in progress are 13,000 of 200,000, the
// page of 50 is found within the first ~800 entries (0.3 ms of CPU on
// SQLite) where reading the city's 13,000 entries by unit and sorting them
// took 4 ms. The walk reads at most as many entries as the subtree has
// matches (what the plan by unit reads anyway), so a subtree whose items
// lie late in the order costs at most twice; ok is false when the walk
// did not fill the page (few matches, a late page, items without a
// deadline), and the caller reads by unit.
func (l *Ledger) walkPage(ctx context.Context, f Filter, r reach, w string, args []any, total, limit, offset int) ([]int64, bool, error) {
	only := Filter{Unit: f.Unit, Status: f.Status, Offset: f.Offset, Limit: f.Limit}
	n := limit + offset
	if f != only || !r.whole || !slices.Contains(Statuses, Status(f.Status)) || total < walkMin || n > total/4 ||
		!strings.Contains(w, "fu.path") { // the subtree is the whole tree: the status index alone
		return nil, false, nil
	}
	walk := 1024 // a literal LIMIT (see store.Limit), of few values
	for walk < total {
		walk *= 2
	}
	// the default order with one status: deadline first, items without one
	// last (not walked here); w's conditions apply to the walked entries
	// (the status, one of Statuses, as a literal: a parameter named before
	// w's would take the first number on SQLite)
	// SQLite emits the walked entries in the subquery's order; an ORDER BY
	// here would read all of them into a sort before the LIMIT (2.5 ms
	// instead of 0.3). PostgreSQL keeps the order without a sort.
	order := ` ORDER BY pr.deadline, pr.id`
	if l.DB.Dialect == store.SQLite {
		order = ""
	}
	q := `SELECT pr.id FROM (SELECT id, status, unit_id, deadline FROM problems WHERE status = '` + f.Status + `'` +
		` AND deadline IS NOT NULL ORDER BY deadline, id LIMIT ` + strconv.Itoa(walk) + `) pr WHERE ` + w +
		order + ` LIMIT ` + strconv.Itoa(n)
	rows, err := l.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) < n {
		return nil, false, err
	}
	return ids[offset:], true, nil
}

// pageRows reads the items of a page's ids, in their order.
func (l *Ledger) pageRows(ctx context.Context, ids []int64, total int) ([]Problem, int, error) {
	if len(ids) == 0 {
		return nil, total, nil
	}
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	idCond, idArg := l.inIDs("pr.id", ids)
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT `+problemCols+problemFrom+` WHERE `+idCond, idArg)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]Problem, len(ids))
	for rows.Next() {
		pr, err := scanProblem(rows)
		if err != nil {
			return nil, 0, err
		}
		out[at[pr.ID]] = pr
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	// an item gone between the two reads leaves no hole
	out = slices.DeleteFunc(out, func(pr Problem) bool { return pr.ID == 0 })
	return out, total, l.fillTags(ctx, out)
}

// fillTags loads the tags of a page of items in one query.
func (l *Ledger) fillTags(ctx context.Context, items []Problem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	idx := map[int64]int{}
	for i := range items {
		items[i].Tags = []string{}
		ids[i] = items[i].ID
		idx[items[i].ID] = i
	}
	cond, arg := l.inIDs("problem_id", ids)
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT problem_id, tag FROM problem_tags WHERE `+cond+` ORDER BY tag`, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return err
		}
		items[idx[id]].Tags = append(items[idx[id]].Tags, t)
	}
	return rows.Err()
}

// SavedFilter is a named filter a user keeps.
type SavedFilter struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Query string `json:"query"`
}

// SaveFilter keeps f under name for p (replacing one of the same name).
func (l *Ledger) SaveFilter(ctx context.Context, p *org.Principal, name string, f Filter) error {
	name = strings.TrimSpace(name)
	if err := checkText("filter_name", name, true, 50); err != nil {
		return err
	}
	q := f.Values().Encode()
	return l.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO saved_filters (user_id, name, query, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query`, p.UserID, name, q, store.Now())
		return err
	})
}

// SavedFilters lists p's saved filters.
func (l *Ledger) SavedFilters(ctx context.Context, p *org.Principal) ([]SavedFilter, error) {
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT id, name, query FROM saved_filters WHERE user_id = $1 ORDER BY name`, p.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SavedFilter
	for rows.Next() {
		var s SavedFilter
		if err := rows.Scan(&s.ID, &s.Name, &s.Query); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteFilter removes one of p's saved filters.
func (l *Ledger) DeleteFilter(ctx context.Context, p *org.Principal, id int64) error {
	return l.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM saved_filters WHERE id = $1 AND user_id = $2`, id, p.UserID)
		return err
	})
}
