package search

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// NarrowCap is the number of items of a kind up to which a reader's own
// items are searched first: their index rows are read through the scope
// (the source table's unit and responsible-person indexes) and the tokens
// checked in Go, instead of walking every match of the text index and
// dropping those the reader may not see. An officer, a handler or an organ
// leader sees a few hundred items of a million: a common term matched
// hundreds of thousands of documents to find them.
var narrowCap = 2000

// scoped is the scope of one kind for a reader. The walk of the text
// index checks each match on its source row (as r) and unit: table and
// unitJoin, condition cond. The reader's own items are read through ids
// (the units in reach as a list of ids, ORed with the responsible person,
// as in the ledger's lists, ledger.inUnits): both halves stay index
// lookups on the source table, where a condition on the joined unit's
// path scanned every item (on PostgreSQL an IN (subquery) cannot be ORed
// with another index either: an array can). The join form stays for the
// walk: a province's array of 20,000 ids would be searched linearly for
// every row walked on PostgreSQL.
type scoped struct {
	table, unitJoin, cond string
	ids                   string   // the reach as conditions on r alone
	idParts               []string // the ORed parts of ids
	paths                 []string
	person                string // r.responsible_id = …, or ""
	within                func(path string) string
}

// scopeOf is the reach of p over kind; ok is false when p may read none.
// byIDs asks for the ids form (ids) of the ledger's kinds, else the join
// form (cond); reports have only the join form. Only the parameters of
// the form asked are taken (PostgreSQL refuses a statement with unused ones).
func scopeOf(pg, byIDs bool, kind string, p *org.Principal, arg func(any) string) (scoped, bool) {
	inUnits := func(paths ...string) string {
		var or []string
		for _, s := range paths {
			or = append(or, store.Subtree("su.path", s, arg))
		}
		ids := "SELECT su.id FROM units su WHERE " + strings.Join(or, " OR ")
		if pg {
			return "r.unit_id = ANY(ARRAY(" + ids + "))"
		}
		return "r.unit_id IN (" + ids + ")"
	}
	if kind == "report" {
		s, ok := report.SearchScope(p, arg)
		if !ok {
			return scoped{}, false
		}
		return scoped{table: "reports r", unitJoin: "JOIN units h ON h.id = r.handling_unit_id", cond: s,
			within: func(path string) string { return store.Subtree("h.path", path, arg) }}, true
	}
	// ledger items: reach as in the ledger's lists, the read scopes or the
	// items one is responsible for; projects and ratings: the read scopes
	sc := scoped{table: kind + "s r", unitJoin: "JOIN units u ON u.id = r.unit_id", paths: org.ScopePaths(p, org.ProblemRead)}
	var or []string
	if byIDs && len(sc.paths) > 0 {
		or = append(or, inUnits(sc.paths...))
	}
	for _, s := range sc.paths {
		if !byIDs {
			or = append(or, store.Subtree("u.path", s, arg))
		}
	}
	if kind == "problem" && p != nil && p.UserID != 0 {
		sc.person = "r.responsible_id = " + arg(p.UserID)
		or = append(or, sc.person)
	}
	if len(or) == 0 {
		return scoped{}, false
	}
	if byIDs {
		sc.ids, sc.idParts = "("+strings.Join(or, " OR ")+")", or
	} else {
		sc.cond = "(" + strings.Join(or, " OR ") + ")"
	}
	sc.within = func(path string) string {
		if byIDs {
			return inUnits(path)
		}
		return store.Subtree("u.path", path, arg)
	}
	return sc, true
}

// narrowMemo remembers for a while whether a reader sees few items of a
// kind (counting them costs a read of up to narrowCap+1 rows). Either
// answer gives the same hits; a stale one only costs time.
type narrowMemo struct {
	mu sync.Mutex
	m  map[string]narrowSeen
}

type narrowSeen struct {
	n     int // items in reach, up to narrowCap+1
	small bool
	at    time.Time
}

// smallTable is the rows of a kind up to which a narrow read scans the
// kind's table (joined to the units) rather than list the units in reach:
// a province's 20,000 unit ids were listed on every search for each of its
// kinds with few items (15 ms a search at a million items, on an empty
// table too).
var smallTable = 4 * 2000

// narrowTTL is how long a count of a reader's items is trusted.
const narrowTTL = 5 * time.Minute

func narrowKey(kind string, p *org.Principal) string {
	var b strings.Builder
	b.WriteString(kind + "|" + strconv.Itoa(narrowCap) + "|" + strconv.Itoa(smallTable))
	if p != nil {
		b.WriteString("|" + strconv.FormatInt(p.UserID, 10))
		for _, g := range p.Grants {
			b.WriteString("|" + string(g.Role) + "@" + g.ScopePath)
		}
	}
	return b.String()
}

// reachSize counts the items of kind p may read (the unit filter aside: the
// count is an upper bound; 0 when p may read none), narrow when at most
// narrowCap. The count stops at
// narrowCap+1: on PostgreSQL each unit in reach is probed on the source
// table's unit index in turn (LATERAL), and the person's items counted
// apart (a bitmap of a city's 60,000 items took a second); on SQLite one
// multi-index OR does.
//
// small reports whether the kind's table holds at most smallTable rows
// (counted alike, stopped at smallTable+1).
func (ix *Index) reachSize(ctx context.Context, kind string, p *org.Principal) (n int, small bool, err error) {
	key := narrowKey(kind, p)
	ix.narrowed.mu.Lock()
	seen, ok := ix.narrowed.m[key]
	ix.narrowed.mu.Unlock()
	if ok && time.Since(seen.at) < narrowTTL {
		return seen.n, seen.small, nil
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	sc, ok := scopeOf(ix.DB.Dialect == store.Postgres, true, kind, p, arg)
	if !ok {
		return 0, false, nil
	}
	var rows int
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+kind+`s LIMIT `+strconv.Itoa(smallTable+1)+`) n`).Scan(&rows); err != nil {
		return 0, false, err
	}
	small = rows <= smallTable
	capN := strconv.Itoa(narrowCap + 1)
	var q string
	switch {
	case ix.DB.Dialect != store.Postgres && sc.ids != "":
		q = `SELECT COUNT(*) FROM (SELECT 1 FROM ` + sc.table + ` WHERE ` + sc.ids + ` LIMIT ` + capN + `) n`
	case sc.ids != "":
		// the parts' own parameters: those of sc are not all used
		args = nil
		var parts []string
		if len(sc.paths) > 0 {
			var or []string
			for _, s := range sc.paths {
				or = append(or, store.Subtree("su.path", s, arg))
			}
			parts = append(parts, `SELECT COUNT(*) FROM (SELECT 1 FROM units su CROSS JOIN LATERAL (SELECT 1 FROM `+sc.table+
				` WHERE r.unit_id = su.id LIMIT `+capN+`) x WHERE `+strings.Join(or, " OR ")+` LIMIT `+capN+`) n`)
		}
		if sc.person != "" {
			parts = append(parts, `SELECT COUNT(*) FROM (SELECT 1 FROM `+sc.table+` WHERE r.responsible_id = `+arg(p.UserID)+` LIMIT `+capN+`) n`)
		}
		q = `SELECT ` + strings.Join(wrap(parts), " + ")
	default:
		q = `SELECT COUNT(*) FROM (SELECT 1 FROM ` + sc.table + ` ` + sc.unitJoin + ` WHERE ` + sc.cond + ` LIMIT ` + capN + `) n`
	}
	if err := ix.DB.Read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, false, err
	}
	ix.narrowed.mu.Lock()
	if ix.narrowed.m == nil || len(ix.narrowed.m) > 10_000 {
		ix.narrowed.m = map[string]narrowSeen{}
	}
	ix.narrowed.m[key] = narrowSeen{n, small, time.Now()}
	ix.narrowed.mu.Unlock()
	return n, small, nil
}

func wrap(qs []string) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = "(" + q + ")"
	}
	return out
}

// narrow returns the newest matches of kind among the items p may read,
// at most need of them, newest first, when p may read at most narrowCap
// of them (ok false otherwise: the text index is walked instead). The keys
// of those items are read first (index lookups, no text), then their
// tokens in growing chunks from the newest, checked in Go (matchTokens:
// the engines' own rules, so the hits are those of the text index), until
// need matches are found: a common term reads a chunk or two, where reading
// every item's tokens cost 25–35 ms for an organ leader's 1,100 items on
// PostgreSQL (each a TOASTed value) at a million documents. A rare term
// is looked up in the text index after a probe (SQLite: indexed). On
// PostgreSQL a reach with scope lexemes is asked of GIN instead (reachGIN),
// unless the query is in so many documents that its tokens are found
// sooner (keyHistogram.dense).
func (ix *Index) narrow(ctx context.Context, kind string, p *org.Principal, q text.Query, unitPath string, need int) ([]cand, bool, error) {
	if narrowCap <= 0 {
		return nil, false, nil
	}
	n, small, err := ix.reachSize(ctx, kind, p)
	if err != nil || n > narrowCap {
		return nil, false, err
	}
	if ix.DB.Dialect == store.Postgres && n > reachMin && scopeQuery(kind, p, unitPath) != "" {
		h, err := ix.histogram(ctx)
		if err != nil {
			return nil, false, err
		}
		if !h.dense(ginLoose(q)) {
			return ix.reachGIN(ctx, kind, p, q, unitPath, need)
		}
	}
	keys, ok, err := ix.scopeKeys(ctx, kind, p, unitPath, small)
	if err != nil || !ok {
		return nil, err == nil, err
	}
	var out []cand
	needles := tokenNeedles(q)
	for i, size := 0, narrowChunk; i < len(keys) && len(out) < need; i, size = i+size, min(size*2, narrowChunkMax) {
		if i >= narrowProbe && len(out)*narrowRare < i && ix.DB.Dialect != store.Postgres {
			// a rare term: the rest from the text index
			rest, err := ix.indexed(ctx, q, keys[i:], need-len(out))
			if err != nil {
				return nil, false, err
			}
			return append(out, rest...), true, nil
		}
		chunk := keys[i:min(i+size, len(keys))]
		toks, err := ix.tokensOf(ctx, chunk)
		if err != nil {
			return nil, false, err
		}
		for _, c := range chunk {
			if t, ok := toks[c.key]; ok && matchTokens(t, needles) {
				out = append(out, c)
				if len(out) == need {
					break
				}
			}
		}
	}
	return out, true, nil
}

// reachMin is the items in reach above which a narrow read on PostgreSQL
// asks GIN (reachGIN): an officer's 17 items are read in a chunk in about
// a millisecond, where planning and running the GIN read took 2–3 ms.
var reachMin = 256

// The first chunk of a narrow read, and the largest (they double). On
// SQLite, after narrowProbe items, a term found in fewer than one in
// narrowRare of them is rare, in the reader's items and (they are a sample
// of all) in the index: the rest are found through FTS5 (indexed), where
// its list of matches is short, instead of reading every item's tokens.
var (
	narrowChunk    = 64
	narrowChunkMax = 512
	narrowProbe    = 192
	narrowRare     = 32
)

// indexed returns, newest first, at most need of the items keyed by cs
// (newest first) that match q, looked up in SQLite's FTS5 index: its
// matches walked from the newest of cs down, kept when among cs, stopping
// at need. (PostgreSQL asks GIN with the reach's scope lexemes instead,
// reachGIN, and reads the tokens where the reach has none: without them a
// term rare among a reader's items but common in the index, 油烟, had its
// 20,000 matches each fetched from the table, 200–900 ms.)
func (ix *Index) indexed(ctx context.Context, q text.Query, cs []cand, need int) ([]cand, error) {
	if len(cs) == 0 || need <= 0 {
		return nil, nil
	}
	mine := make(map[int64]cand, len(cs))
	for _, c := range cs {
		mine[c.key] = c
	}
	var out []cand
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT rowid FROM search_fts WHERE search_fts MATCH $1 AND rowid <= $2 AND rowid >= $3
		ORDER BY rowid DESC`, q.FTS5(), cs[0].key, cs[len(cs)-1].key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() && len(out) < need {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if c, ok := mine[k]; ok {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// reachGIN is a narrow read on PostgreSQL where the reach has scope
// lexemes (scopeQuery): the kind's branch over the whole index, GIN asked
// the query and the lexemes of the reach, so that its fast scan walks the
// reach's entries (an organ's 1,100) and skips through the term's; the
// rows found are sorted by key and checked (phrase, item, reach) in that
// order up to need. Reading the keys of the reach and then the tokens
// cost an organ leader 20–30 ms a search (the keys alone 16 ms), a term
// his items do not hold the most. (Before the scope lexemes, GIN read
// every match in the index: 油烟, 20,000 rows fetched, 200–900 ms.)
func (ix *Index) reachGIN(ctx context.Context, kind string, p *org.Principal, q text.Query, unitPath string, need int) ([]cand, bool, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	b, ok := ix.branch(kind, p, q.TSQuery(), ginLoose(q), unitPath, 0, 0, need, arg)
	if !ok {
		return nil, true, nil
	}
	cs, err := ix.candidates(ctx, b, args)
	return cs, err == nil, err
}

// scopeKeys are the index keys of the items of kind that p may read (in
// unitPath's subtree when set), newest first, with the items' ids; ok is
// false when p may read none. small: the kind's table is small, and is
// scanned and joined to the units (the join form of the scope) instead of
// being reached through the list of units in reach.
func (ix *Index) scopeKeys(ctx context.Context, kind string, p *org.Principal, unitPath string, small bool) ([]cand, bool, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	s, ok := scopeOf(ix.DB.Dialect == store.Postgres, !small, kind, p, arg)
	if !ok {
		return nil, false, nil
	}
	// the source rows first: SQLite otherwise chose to read every index
	// row of the kind and look each source row up, or each unit's items
	// (CROSS JOIN keeps the order; PostgreSQL plans it so by itself)
	join, unitJoin := "JOIN", s.unitJoin
	if ix.DB.Dialect != store.Postgres {
		join, unitJoin = "CROSS JOIN", crossJoin(unitJoin)
	}
	var from, where string
	if s.ids != "" {
		// each part of the reach on its own (a union of index reads): ORed,
		// SQLite read each item's row (a page each, 10 ms for 1,100 items)
		w := ""
		if unitPath != "" {
			w = ` AND ` + s.within(unitPath)
		}
		var parts []string
		for _, c := range s.idParts {
			parts = append(parts, `SELECT r.id FROM `+s.table+` WHERE `+c+w)
		}
		from, where = `(`+strings.Join(parts, ` UNION `)+`) r`, `1 = 1`
	} else {
		from, where = s.table+` `+unitJoin, s.cond
		if unitPath != "" {
			where += ` AND ` + s.within(unitPath)
		}
	}
	k := arg(kind)
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT sd.id, sd.ref_id FROM `+from+
		` `+join+` search_docs sd ON sd.kind = `+k+` AND sd.ref_id = r.id WHERE `+where, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []cand
	for rows.Next() {
		c := cand{kind: kind}
		if err := rows.Scan(&c.key, &c.id); err != nil {
			return nil, false, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	slices.SortFunc(out, func(a, b cand) int { return cmpKey(b.key, a.key) })
	return out, true, nil
}

// tokensOf reads the index columns of the rows keyed by cs. On SQLite the
// list is padded to a chunk size (repeating its last key), so a handful of
// statements serve every read.
func (ix *Index) tokensOf(ctx context.Context, cs []cand) (map[int64]string, error) {
	var rows *sql.Rows
	var err error
	if ix.DB.Dialect == store.Postgres {
		keys := make([]int64, len(cs))
		for i, c := range cs {
			keys[i] = c.key
		}
		rows, err = ix.DB.Read.QueryContext(ctx, `SELECT id, tokens FROM search_docs WHERE id = ANY($1)`, keys)
	} else {
		n := narrowChunk
		for n < len(cs) {
			n *= 2
		}
		args := make([]any, n)
		for i := range args {
			args[i] = cs[min(i, len(cs)-1)].key
		}
		rows, err = ix.DB.Read.QueryContext(ctx, `SELECT id, tokens FROM search_docs WHERE id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]string, len(cs))
	for rows.Next() {
		var k int64
		var t string
		if err := rows.Scan(&k, &t); err != nil {
			return nil, err
		}
		out[k] = t
	}
	return out, rows.Err()
}

func cmpKey(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// tokenNeedles renders q for matchTokens: for each term, the strings of
// which an index column must contain one (a variant's tokens, spaced, and
// a space after unless its last token is a prefix).
func tokenNeedles(q text.Query) [][]string {
	out := make([][]string, len(q.Terms))
	for i, t := range q.Terms {
		for _, v := range t.Variants() {
			s := " " + strings.Join(v, " ")
			if !t.Prefix {
				s += " "
			}
			out[i] = append(out[i], s)
		}
	}
	return out
}

// matchTokens reports whether an index column (tokens separated by single
// spaces, in document order) matches the query of needles (tokenNeedles)
// as FTS5 and to_tsquery do: each term's tokens adjacent and in order, the
// last one a prefix when the term says so, either token at a join. For the
// blind column of a report the query is the blind query (single hashed
// tokens, present anywhere).
func matchTokens(col string, needles [][]string) bool {
	padded := " " + col + " "
	for _, alts := range needles {
		if !slices.ContainsFunc(alts, func(s string) bool { return strings.Contains(padded, s) }) {
			return false
		}
	}
	return true
}
