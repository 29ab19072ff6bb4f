package search

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// Params is one search.
type Params struct {
	Q     string
	Type  string // one of Kinds, or "" for all
	Unit  string // a unit's code: only items in its subtree
	Limit int    // hits wanted; 20 when 0, at most MaxLimit
}

// MaxLimit bounds the hits of one search.
const MaxLimit = 100

// MaxQuery bounds the query text (runes).
const MaxQuery = 200

// candidateCap bounds the candidates read for one search: sealed reports
// matched by blind tokens are opened to check phrases, so this bounds the
// decryption work of one request.
const candidateCap = 500

// Hit is one result.
type Hit struct {
	Type    string   `json:"type"`
	ID      int64    `json:"id"`
	Number  string   `json:"number"`
	Title   string   `json:"title"`
	Snippet string   `json:"snippet"`
	Marks   [][2]int `json:"marks"` // highlighted [start, end) rune offsets in Snippet
	Unit    string   `json:"unit"`
	At      int64    `json:"updated_at"`
}

// Result is a page of hits.
type Result struct {
	Hits []Hit `json:"hits"`
	More bool  `json:"more"` // more hits than Limit
	// SealedSkipped: the query has only one-character terms, which cannot
	// be looked up in the blind index of report text: reports were not searched.
	SealedSkipped bool `json:"sealed_skipped,omitempty"`
}

// Search finds the items p may read that match the query, most recently
// changed first (the same order on both engines). Recent changes are
// indexed first (a bounded amount; the job does the bulk).
// Reports found are opened (their text is sealed) to check phrases and make
// snippets; that read is audited.
func (ix *Index) Search(ctx context.Context, p *org.Principal, sp Params) (Result, error) {
	var res Result
	sp.Q = strings.TrimSpace(sp.Q)
	if len([]rune(sp.Q)) > MaxQuery {
		return res, apperr.Invalidf("q", "err.search.too_long", MaxQuery)
	}
	if sp.Type != "" && !slices.Contains(Kinds, sp.Type) {
		return res, apperr.Invalidf("type", "err.search.type")
	}
	limit := sp.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, MaxLimit)
	q := text.ParseQuery(sp.Q)
	if q.Empty() {
		return res, nil
	}
	var unitPath string
	if sp.Unit != "" {
		u, err := org.GetUnit(ctx, ix.DB, p, sp.Unit)
		if apperr.As(err) != nil {
			return res, apperr.Invalidf("unit", "err.search.unit", sp.Unit)
		} else if err != nil {
			return res, err
		}
		unitPath = u.Path
	}
	if _, err := ix.sync(ctx, 2, SearchMargin); err != nil && ctx.Err() != nil {
		return res, err
	}
	// any other failure leaves the index as the last sync made it: the
	// search answers from it, and the indexer job reports the error
	// (it runs the same sync every minute and logs what fails)

	plain := q.FTS5()
	if ix.DB.Dialect == store.Postgres {
		plain = q.TSQuery()
	}
	// on PostgreSQL the GIN index is asked the tokens without their order
	// (answered from the index alone), the phrase is checked on the rows
	// of the window only: see branch
	loose := ginLoose(q)
	exprs := map[string]string{}
	checks := map[string]text.Query{} // what each kind's index column is checked against
	for _, k := range ix.enabled() {
		if sp.Type != "" && sp.Type != k {
			continue
		}
		exprs[k], checks[k] = plain, q
		if k == "report" {
			bq, ok := ix.blindQuery(q)
			if !ok {
				res.SealedSkipped = true
				delete(exprs, k)
				continue
			}
			exprs[k], checks[k] = bq.FTS5(), bq
			if ix.DB.Dialect == store.Postgres {
				exprs[k] = bq.TSQuery()
			}
		}
	}
	// A reader who may see few items of a kind has them searched first,
	// through the scope (narrow): all their matches, newest first. The
	// other kinds walk the text index.
	var mine []cand
	broad := map[string]bool{}
	// the first window's start (windowStart), read once: a walk reads
	// that window, and the windows start with it
	var startRead, startOK bool
	var startT int64
	firstStart := func() (int64, bool, error) {
		if !startRead && len(searchWindows) > 0 {
			var err error
			if startT, startOK, err = ix.windowStart(ctx, searchWindows[0]); err != nil {
				return 0, false, err
			}
		}
		startRead = true
		return startT, startOK, nil
	}
	for _, k := range ix.enabled() {
		if _, ok := exprs[k]; !ok {
			continue
		}
		// as many as the walk's branch would take: every plain candidate
		// is a hit; a report's phrase is checked after opening it
		need := limit + 1
		if k == "report" {
			need = candidateCap
		}
		cs, ok, err := ix.narrow(ctx, k, p, checks[k], unitPath, need)
		if err != nil {
			return res, err
		}
		if !ok && ix.DB.Dialect == store.Postgres && k != "report" && scopeQuery(k, p, unitPath) == "" {
			// a whole tree and a common term: walked newest first (walk)
			h, err := ix.histogram(ctx)
			if err != nil {
				return res, err
			}
			if h.walkable(loose) {
				// within the first window: after an import of items
				// without the term, a walk read all of them (100,000
				// rows, 100 ms), where the windows' GIN reads skip them
				t, found, err := firstStart()
				if err != nil {
					return res, err
				}
				walkFrom := int64(0)
				if found {
					walkFrom = keyAt(t)
				}
				ws, walked, err := ix.walk(ctx, k, p, loose, unitPath, walkFrom, need)
				if err != nil {
					return res, err
				}
				cs, ok = ws, walked
			}
		}
		if !ok {
			broad[k] = true
		}
		mine = append(mine, cs...)
	}
	slices.SortFunc(mine, func(a, b cand) int { return cmpKey(b.key, a.key) })
	// The newest matches first. On SQLite each kind's branch walks FTS5's
	// matches from the newest rowid (keys sort by time, docKey) and stops
	// at its LIMIT: the join and the permission check run on the rows
	// walked, not on every match. GIN cannot walk in order, so on
	// PostgreSQL the candidates are those among the documents of a window
	// (those changed at or after a time), widened only when the window
	// holds too few. The window is a key range the GIN query applies
	// inside the fence. Any document outside a window is older than every
	// one inside, so the first candidates of a window are the first
	// candidates of the whole index: the hits are the same as with no
	// window at all.
	windows := searchWindows
	if ix.DB.Dialect != store.Postgres || len(broad) == 0 {
		windows = nil
	} else if h, err := ix.histogram(ctx); err != nil {
		return res, err
	} else if h.rare(loose) {
		// few matches in the whole index: one read of them all costs
		// less than windows that widen four times or five to find them
		windows = nil
	}
	loaded := map[ref]doc{}
	var opened []string     // report numbers opened, for the audit trail
	var first, newest int64 // the first window's start and its newest time
	var lastF, got int64    // the last window's size (in first windows) and its candidates
	lastF = 1
	for w := 0; ; w++ {
		var from int64 // smallest key of the window; 0: the whole index
		switch {
		case w >= len(windows):
		case w == 0:
			t, ok, err := firstStart() // windows is searchWindows here
			if err != nil {
				return res, err
			}
			if ok {
				from, first = keyAt(t), t
				// the newest time in the index, the top of every window's
				// blocks (timeCover); a document indexed after this read
				// is newer than the search, as between any two windows
				var top int64
				if err := ix.DB.Read.QueryRowContext(ctx, `SELECT MAX(id) FROM search_docs`).Scan(&top); err != nil {
					return res, err
				}
				newest = top >> keyShift
			}
		case first > 0:
			// wider windows, in multiples of the first (counting tens of
			// thousands of entries costs more than the window saves:
			// PostgreSQL checks each one's visibility): as many as the
			// candidates found so far say are needed for the page, half
			// as many again, at least twice the last, at most the size of
			// this window in searchWindows
			f := int64(max(windows[w]/windows[0], 2))
			if got > 0 {
				need := int64(limit + 1)
				f = min(f, max(2*lastF, (lastF*3*need+2*got-1)/(2*got)))
			}
			if f > lastF {
				// the key of about the f·windows[0]-th newest document by
				// PostgreSQL's histogram of keys; where it cannot tell (no
				// ANALYZE yet, or the window lies among rows changed since),
				// the time f spans of the first window back
				hist, err := ix.histogram(ctx)
				if err != nil {
					return res, err
				}
				if k, ok := hist.start(f * int64(windows[0])); ok {
					from = k
				} else if t := newest - max(newest-first, 1)*f; t > 0 {
					from = keyAt(t)
				}
				lastF = f
			}
		}
		var args []any
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		var branches []string
		for _, k := range ix.enabled() {
			if expr, ok := exprs[k]; ok && broad[k] {
				lq := loose
				top := limit + 1 // every plain candidate is a hit
				if k == "report" {
					lq = ginQuery{tsq: expr} // blind: tokens only, no phrase
					top = candidateCap       // a phrase is checked on the opened text
				}
				if b, ok := ix.branch(k, p, expr, lq, unitPath, from, newest, top, arg); ok {
					branches = append(branches, b)
				}
			}
		}
		var cands []cand
		if len(branches) > 0 {
			var err error
			union := strings.Join(branches, "\nUNION ALL\n")
			if ix.DB.Dialect == store.Postgres {
				union = "SELECT * FROM (" + union + ") c" // each branch has its own ORDER BY
			}
			cands, err = ix.candidates(ctx, union+"\nORDER BY key DESC LIMIT "+strconv.Itoa(candidateCap), args)
			if err != nil {
				return res, err
			}
		}
		full := len(cands) == candidateCap
		for _, c := range mine {
			if c.key < from {
				break
			}
			cands = append(cands, c)
		}
		slices.SortFunc(cands, func(a, b cand) int { return cmpKey(b.key, a.key) })
		cands = cands[:min(len(cands), candidateCap)]
		got = int64(len(cands))
		// the items a page can show, read in one query per kind (reports
		// one by one below: each is opened only when it is reached)
		if err := ix.preload(ctx, cands[:min(len(cands), limit+1)], loaded); err != nil {
			return res, err
		}
		res.Hits, res.More = res.Hits[:0], false
		opened = opened[:0]
		done := from == 0 || full || len(cands) == candidateCap
		for _, c := range cands {
			if len(res.Hits) == limit {
				res.More = true
				done = true
				break
			}
			d, ok := loaded[ref{c.kind, c.id}]
			if !ok {
				var err error
				if d, err = ix.load(ctx, c.kind, c.id); err != nil {
					return res, err
				}
				loaded[ref{c.kind, c.id}] = d
			}
			if d.Sealed {
				opened = append(opened, d.Number)
				// the blind index matched every bigram, in any order: check
				// phrases and one-character prefixes on the opened text
				if !Matches(d.Text(), q) {
					continue
				}
			}
			snip, marks := Snippet(d.Text(), sp.Q, 120)
			res.Hits = append(res.Hits, Hit{Type: d.Kind, ID: d.ID, Number: d.Number, Title: d.Title,
				Snippet: snip, Marks: marks, Unit: d.Unit, At: d.Updated})
		}
		if done {
			break
		}
	}
	if len(opened) > 0 {
		if err := audit.Record(ctx, ix.DB, audit.Event{Actor: p.Actor(), Action: "search.reports_read", ObjectType: "report",
			Detail: map[string]any{"q": sp.Q, "reports": opened}}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ginQuery is what the GIN index is asked on PostgreSQL: every token of
// the query in any order (tsq, for to_tsquery), and for each trailing
// one-character prefix its head lexeme (heads, a tsquery literal: '_区'
// stands for '区':*, see heads in index.go, and is one posting list where
// '区':* merged the lists of every lexeme starting with 区). phrase: some
// term has tokens in an order the index cannot check; the rows found are
// then checked against the whole query.
type ginQuery struct {
	tsq, heads string
	phrase     bool
	// lexemes: every lexeme a match must hold (nil when some token is a
	// longer prefix: those have no one lexeme), for keyHistogram.share
	// and rare
	lexemes []string
}

// ginLoose is q for the GIN index (ginQuery).
func ginLoose(q text.Query) ginQuery {
	var g ginQuery
	var plain text.Query
	var heads, lexemes []string
	unknown := false
	for _, t := range q.Terms {
		g.phrase = g.phrase || len(t.Tokens) > 1
		for i, tok := range t.Tokens {
			if !t.Fixed(i) {
				continue // a join: either of two tokens, checked with the phrase
			}
			prefix := t.Prefix && i == len(t.Tokens)-1
			if _, n := utf8.DecodeRuneInString(tok); prefix && n == len(tok) {
				// one character (a Han one from ParseQuery): its head
				heads = append(heads, "'"+headMark+tok+"'")
				lexemes = append(lexemes, headMark+tok)
				continue
			}
			if prefix {
				unknown = true
			} else {
				lexemes = append(lexemes, tok)
			}
			// a longer prefix (a word, from ParseContains) has few lexemes
			plain.Terms = append(plain.Terms, text.Term{Tokens: []string{tok}, Prefix: prefix})
		}
	}
	g.tsq, g.heads = plain.TSQuery(), strings.Join(heads, " & ")
	if !unknown {
		g.lexemes = lexemes
	}
	return g
}

// cond is the condition on tsv; scope, when not empty, is a tsquery of
// scope lexemes (scopeQuery) the document must match too.
func (g ginQuery) cond(arg func(any) string, scope string) string {
	var parts []string
	if g.tsq != "" {
		parts = append(parts, "to_tsquery('simple', "+arg(g.tsq)+")")
	}
	if g.heads != "" {
		parts = append(parts, arg(g.heads)+"::tsquery")
	}
	if scope != "" {
		parts = append(parts, arg(scope)+"::tsquery")
	}
	return "tsv @@ (" + strings.Join(parts, " && ") + ")"
}

// pathUnit is the id of the unit a materialized path ("/1/7/") ends in.
func pathUnit(path string) string {
	path = strings.Trim(path, "/")
	return path[strings.LastIndexByte(path, '/')+1:]
}

// scopeQuery is the tsquery of the scope lexemes (scopeLexemes) of p's
// reach over a ledger kind, ANDed with unitPath's unit when set; "" when
// there is nothing to narrow: reports (their reach has its own rules), or
// a reach that holds a whole tree (every document has its root's lexeme,
// and its posting list is the whole index).
func scopeQuery(kind string, p *org.Principal, unitPath string) string {
	if kind == "report" {
		return ""
	}
	last := func(path string) string { return "'" + headMark + "u" + pathUnit(path) + "'" }
	var or []string
	whole := false
	for _, path := range org.ScopePaths(p, org.ProblemRead) {
		if strings.Count(path, "/") <= 2 {
			whole = true
		}
		or = append(or, last(path))
	}
	if kind == "problem" && p != nil && p.UserID != 0 {
		or = append(or, "'"+headMark+"p"+strconv.FormatInt(p.UserID, 10)+"'")
	}
	var and []string
	if !whole && len(or) > 0 {
		and = append(and, "("+strings.Join(or, " | ")+")")
	}
	if unitPath != "" && strings.Count(unitPath, "/") > 2 {
		and = append(and, last(unitPath))
	}
	return strings.Join(and, " & ")
}

// searchWindows are the sizes, in documents, of the windows a search tries
// before the whole index: most queries fill a page from the newest
// documents; a rare term costs a few small reads more. The first is
// counted on the src_updated index; the wider ones are estimated from its
// time span and are at most these sizes: the candidates a window found
// size the next (any start is exact, only the cost depends on it). Used on
// PostgreSQL only: SQLite walks FTS5 in key order and stops. Each is four
// times the one before: GIN reads only a window's entries (timeCover), so
// a window that finds nothing costs little, while one too wide fetches
// every match in it (after an import of 100,000 items without the term,
// the next window of 400,000 held 300,000 older documents: 170,000 rows
// of 区 fetched from the table, 100–170 ms).
var searchWindows = []int{2000, 8000, 32000, 128000, 512000}

// windowStart is the time of the n-th most recently changed document (ok
// false when the index holds fewer: the window is the whole index), read
// from the narrow index on src_updated.
func (ix *Index) windowStart(ctx context.Context, n int) (int64, bool, error) {
	var t int64
	err := ix.DB.Read.QueryRowContext(ctx, `SELECT src_updated FROM search_docs ORDER BY src_updated DESC LIMIT 1 OFFSET $1`, n-1).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return t, err == nil, err
}

// keyHistogram is PostgreSQL's picture of the index's keys from its last
// ANALYZE: bounds splitting a sample of search_docs.id into buckets of
// equal counts (pg_stats), the rows then (reltuples) and the rows changed
// since (n_mod_since_analyze). The wider windows are sized by it: keys
// are times, and after an import of 100,000 items in a minute a multiple
// of the first window's time span still held only imported items (a
// common term absent from them then fell through to the whole index:
// seconds). A window's start is any key (the hits do not depend on it):
// a stale picture costs time, never a hit.
type keyHistogram struct {
	bounds []int64 // ascending
	rows   float64
	since  int64
	// the share of documents holding each of the most common lexemes
	// (pg_stats' most_common_elems of tsv: about the 1,000 commonest,
	// each in some 5% or more), for share and rare; least is the smallest
	// of them, the most any other lexeme can be in
	common map[string]float64
	least  float64
}

// histTTL is how long a process uses the histogram it read (1–2 ms a read
// of the catalogue; it changes with an ANALYZE, and a stale one costs a
// widening at most).
const histTTL = 10 * time.Second

// histogram is keyHistogram, read at most once per histTTL.
func (ix *Index) histogram(ctx context.Context) (keyHistogram, error) {
	ix.hist.Lock()
	defer ix.hist.Unlock()
	if ix.hist.at.IsZero() || time.Since(ix.hist.at) > histTTL {
		h, err := ix.keyHistogram(ctx)
		if err != nil {
			return h, err
		}
		ix.hist.h, ix.hist.at = h, time.Now()
	}
	return ix.hist.h, nil
}

// keyHistogram reads the histogram; empty where there is none (no ANALYZE
// yet, or SQLite).
func (ix *Index) keyHistogram(ctx context.Context) (keyHistogram, error) {
	var h keyHistogram
	if ix.DB.Dialect != store.Postgres {
		return h, nil
	}
	var bounds sql.NullString
	err := ix.DB.Read.QueryRowContext(ctx, `SELECT s.histogram_bounds::text, c.reltuples, pg_stat_get_mod_since_analyze(c.oid)
		FROM pg_class c
		JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'search_docs' AND s.attname = 'id'
		WHERE c.oid = 'search_docs'::regclass`).Scan(&bounds, &h.rows, &h.since)
	if errors.Is(err, sql.ErrNoRows) {
		return keyHistogram{}, nil
	}
	if err != nil || !bounds.Valid {
		return keyHistogram{}, err
	}
	for _, f := range strings.Split(strings.Trim(bounds.String, "{}"), ",") {
		k, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return keyHistogram{}, nil // not keys: size by time
		}
		h.bounds = append(h.bounds, k)
	}
	// the frequencies array ends with three summary numbers (no lexeme)
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT u.e, u.f FROM pg_stats s,
		unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(e, f)
		WHERE s.schemaname = current_schema() AND s.tablename = 'search_docs' AND s.attname = 'tsv' AND u.e IS NOT NULL`)
	if err != nil {
		return keyHistogram{}, err
	}
	defer rows.Close()
	h.common, h.least = map[string]float64{}, 1
	for rows.Next() {
		var e string
		var f float64
		if err := rows.Scan(&e, &f); err != nil {
			return keyHistogram{}, err
		}
		h.common[e], h.least = f, min(h.least, f)
	}
	return h, rows.Err()
}

// walkFreq is the share of documents a query must be expected to match
// (its lexemes' shares multiplied) to be walked: a walk then reads about
// top/walkFreq index rows (420 for a page of 20) where GIN reads the
// whole posting lists and joins every match in the window.
var walkFreq = 0.05

// walkable reports whether the index holds g commonly enough to walk it
// (walk).
func (h keyHistogram) walkable(g ginQuery) bool { return h.share(g) >= walkFreq }

// share is the share of documents g is expected to match: its lexemes'
// shares multiplied, 0 for a phrase (whose adjacency the shares do not
// tell: "小区 停车位" holds common bigrams, never adjacent) or a lexeme
// outside the most common.
func (h keyHistogram) share(g ginQuery) float64 {
	if g.phrase || len(g.lexemes) == 0 {
		return 0
	}
	share := 1.0
	for _, l := range g.lexemes {
		share *= h.common[l]
	}
	return share
}

// rareMatches is the most documents a query may be expected to match
// (keyHistogram.rare) to be looked up in the whole index at once: about
// twice the first window. A number or a phrase of rare bigrams went
// through six windows (2,000 to 512,000 documents, then the whole index),
// 3–4 ms each, to find its one or two matches.
const rareMatches = 4000

// rare reports whether g is expected to match at most rareMatches
// documents: the rows times its lexemes' shares, a lexeme outside the
// most common taken as common as the least of them (an upper bound).
// False without statistics, or for a longer prefix.
func (h keyHistogram) rare(g ginQuery) bool {
	if len(h.common) == 0 || len(g.lexemes) == 0 || h.rows < 1 {
		return false
	}
	n := h.rows + float64(h.since)
	for _, l := range g.lexemes {
		if f, ok := h.common[l]; ok {
			n *= f
		} else {
			n *= h.least
		}
	}
	return n <= rareMatches
}

// denseShare is the share of documents (keyHistogram.share) from which a
// narrow read reads the reader's tokens rather than ask GIN (reachGIN):
// GIN skips through a posting tree a page at a time, and the entries of a
// reach lie all over the index, so for a term in a third of the documents
// nearly every page of its tree is read and decoded (问题, in 40% of a
// million: 15 ms for an officer's 17 items, 25 ms for an organ leader),
// where reading tokens from the newest finds a page of such matches in a
// chunk or two (3 and 14 ms). Below it GIN is cheaper: a term rare in the
// reach is found without reading the reach's tokens (小区 in 28%: 7 ms,
// tokens 10 ms; a phrase with no hit: 7 ms, tokens 34 ms).
const denseShare = 0.35

// dense reports whether g is common enough to read a narrow reader's
// tokens for it (denseShare).
func (h keyHistogram) dense(g ginQuery) bool { return h.share(g) >= denseShare }

// start is the smallest key of a window of about the n newest documents (0:
// the whole index). ok is false where the histogram cannot tell: none, or
// n within the rows changed since it was taken (they are newer than its
// bounds, keys being times, but where among them is unknown).
func (h keyHistogram) start(n int64) (int64, bool) {
	buckets := len(h.bounds) - 1
	if buckets < 1 || h.rows < 1 || n <= h.since {
		return 0, false
	}
	// buckets from the top holding the rest of the window
	k := math.Ceil(float64(n-h.since) * float64(buckets) / h.rows)
	if k >= float64(buckets) {
		return 0, true
	}
	return h.bounds[buckets-int(k)], true
}

// walk reads the newest top matches of g among kind's items in p's reach
// (a whole tree) by walking the index newest first on its key, each row's
// tsvector tested and joined, stopping at top: what a branch of the
// windows finds, without fetching every match of the window. For a common
// term (walkable) a page is some 40 rows walked.
//
// A walk reads only keys from fromKey (the first window's start) and
// gives up (ok false: the kind goes through the windows) when they hold
// fewer than top matches, or after walkTimeout: a term common in the
// index but absent from a long run of the newest documents (an import)
// was walked through all of it, 100,000 rows in 100 ms, some 100 µs a row
// read from disk (700,000 rows: 74 s), where the windows' GIN reads skip
// them (timeCover).
func (ix *Index) walk(ctx context.Context, kind string, p *org.Principal, g ginQuery, unitPath string, fromKey int64, top int) ([]cand, bool, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	sc, ok := scopeOf(true, false, kind, p, arg)
	if !ok {
		return nil, true, nil
	}
	where := sc.cond
	if unitPath != "" {
		where += ` AND ` + sc.within(unitPath)
	}
	q := `SELECT sd.id, sd.kind, sd.ref_id FROM search_docs sd JOIN ` + sc.table + ` ON r.id = sd.ref_id ` + sc.unitJoin +
		` WHERE sd.` + g.cond(arg, "") + ` AND sd.kind = ` + arg(kind) + ` AND sd.id >= ` + arg(fromKey) + ` AND ` + where +
		` ORDER BY sd.id DESC LIMIT ` + strconv.Itoa(top)
	cs, err := ix.query(ctx, q, args, true)
	if err != nil && ctx.Err() == nil && store.IsCanceled(err) {
		return nil, false, nil
	}
	if err != nil || (len(cs) < top && fromKey > 0) {
		// fewer than the page within the window: the older documents
		// are searched through the windows (from the first again)
		return nil, false, err
	}
	return cs, true, nil
}

// walkTimeout is how long a walk may take before the windows are used
// instead (walks measured: 2–150 ms).
var walkTimeout = 250 * time.Millisecond

// ref is an item: its kind and id.
type ref struct {
	kind string
	id   int64
}

// cand is a candidate: its index key (result order: newest first) and source.
type cand struct {
	key  int64
	kind string
	id   int64
}

// candidates runs the candidate query. On PostgreSQL it runs in a read-only
// transaction with sequential scans off: the planner prices a scan of
// search_docs without the cost of reading each row's TOASTed tsvector, so
// for a common term it prefers a full scan (or a walk of the time index)
// to the GIN index — a second instead of milliseconds on 20,000 items.
func (ix *Index) candidates(ctx context.Context, q string, args []any) ([]cand, error) {
	return ix.query(ctx, q, args, false)
}

// query runs a candidate query; walk (PostgreSQL) turns bitmap scans off
// too, so the index is walked on its key (see walk).
func (ix *Index) query(ctx context.Context, q string, args []any, walk bool) ([]cand, error) {
	var out []cand
	scan := func(qr interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}) error {
		rows, err := qr.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c cand
			if err := rows.Scan(&c.key, &c.kind, &c.id); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	}
	if ix.DB.Dialect != store.Postgres {
		return out, scan(ix.DB.Read)
	}
	tx, err := ix.DB.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// work_mem: GIN's matches of a common term in a wide window (40,000)
	// overflowed the default 4 MB bitmap, which then keeps pages, not rows,
	// and every row of those pages had its tsvector read to recheck the
	// query: 9 s for A3区 where the exact bitmap needs a few MB more.
	// No JIT and no parallel workers: a common term's estimated cost
	// passes jit_above_cost, and compiling took 20–80 ms of a search that
	// reads a few dozen rows; starting a worker took 20 ms
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL work_mem = '32MB';
		SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
		return nil, err
	}
	if walk {
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_bitmapscan = off`); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = `+strconv.FormatInt(max(walkTimeout.Milliseconds(), 1), 10)); err != nil {
			return nil, err
		}
	}
	if err := scan(tx); err != nil {
		return nil, err
	}
	return out, tx.Commit()
}

// blindQuery maps a query onto the blind index: every token hashed, phrases
// loosened to "all these tokens" (the blind column has no positions),
// one-character prefix tokens dropped (a prefix cannot be hashed) and
// joins too (either of two tokens). ok is
// false when nothing is left to look up.
func (ix *Index) blindQuery(q text.Query) (text.Query, bool) {
	var out text.Query
	for _, t := range q.Terms {
		var toks []string
		for i, tok := range t.Tokens {
			// a prefix cannot be hashed; a join is either of two tokens
			if t.Fixed(i) && !(t.Prefix && i == len(t.Tokens)-1) {
				toks = append(toks, tok)
			}
		}
		for _, h := range ix.blind(toks) {
			out.Terms = append(out.Terms, text.Term{Tokens: []string{h}})
		}
	}
	return out, !out.Empty()
}

// branch is the candidate query of one kind: matches of expr that p may
// read, as (kind, ref_id, at). ok is false when p may read none of the kind.
//
// On PostgreSQL, loose is expr without phrases (every token, in any order,
// a trailing one-character prefix as its head lexeme): a GIN search for it
// needs no recheck of the stored tsvector, so the window's key range and
// the matches combine cheaply whatever plan is chosen; the phrase (which
// GIN can only answer by reading each row's TOASTed tsvector) is then
// checked on the rows of the window alone.
func (ix *Index) branch(kind string, p *org.Principal, expr string, loose ginQuery, unitPath string, fromKey, newest int64, top int, arg func(any) string) (string, bool) {
	sc, ok := scopeOf(ix.DB.Dialect == store.Postgres, false, kind, p, arg)
	if !ok {
		return "", false
	}
	// (every argument taken above belongs to a branch that is used)
	where := sc.cond
	if unitPath != "" {
		where += ` AND ` + sc.within(unitPath)
	}
	if ix.DB.Dialect == store.Postgres {
		// the matches first, fenced (OFFSET 0) so the planner cannot walk
		// another index and test each row's tsvector instead
		lexemes := scopeQuery(kind, p, unitPath)
		if fromKey > 0 {
			// the window's blocks of time (timeCover), so that GIN reads
			// the window's entries and skips the rest of the term's
			lexemes = strings.TrimPrefix(lexemes+" & "+timeQuery(fromKey>>keyShift, newest), " & ")
		}
		from := `(SELECT id, kind, ref_id, tsv FROM search_docs WHERE ` + loose.cond(arg, lexemes)
		if fromKey > 0 {
			// checked on the rows GIN found (id + 0: not through the key
			// index): the planner, taking a rare term for 5,000 matches,
			// read the keys of the whole window into a second bitmap to
			// AND with GIN's (400,000 keys: 50–100 ms, for one match)
			from += ` AND id + 0 >= ` + arg(fromKey)
		}
		// sorted newest first inside the fence (the rows GIN found carry
		// their tsvector unread), so that the phrase, the join and the
		// reach are checked in key order and stop at top: before, every
		// match in the window was joined to its item and unit, and for a
		// phrase every one's tsvector read (A3区 after an import: 40,000)
		from += ` AND kind = ` + arg(kind) + ` ORDER BY id DESC OFFSET 0) sd`
		match := "TRUE"
		if loose.phrase {
			match = `sd.tsv @@ to_tsquery('simple', ` + arg(expr) + `)`
		}
		return `(SELECT sd.id AS key, sd.kind AS kind, sd.ref_id AS ref_id FROM ` + from + ` JOIN ` + sc.table + ` ON r.id = sd.ref_id ` +
			sc.unitJoin + ` WHERE ` + match + ` AND ` + where + ` ORDER BY sd.id DESC LIMIT ` + strconv.Itoa(top) + `)`, true
	}
	// SQLite: FTS5 is the outer loop (CROSS JOIN fixes the order), walked
	// from the newest rowid; each row is joined to its source and unit and
	// checked, and the walk stops at top rows in scope
	match := `search_fts MATCH ` + arg(expr)
	if fromKey > 0 {
		// on the FTS5 rowid: FTS5 seeks its doclists to the window
		match += ` AND search_fts.rowid >= ` + arg(fromKey)
	}
	return `SELECT * FROM (SELECT sd.id AS key, sd.kind AS kind, sd.ref_id AS ref_id FROM search_fts
		CROSS JOIN search_docs sd ON sd.id = search_fts.rowid CROSS JOIN ` + sc.table + ` ON r.id = sd.ref_id ` + crossJoin(sc.unitJoin) + `
		WHERE ` + match + ` AND sd.kind = ` + arg(kind) + ` AND ` + where + `
		ORDER BY search_fts.rowid DESC LIMIT ` + strconv.Itoa(top) + `)`, true
}

// crossJoin is a join that SQLite must not reorder.
func crossJoin(j string) string {
	if j == "" {
		return ""
	}
	return "CROSS " + j
}

// preload reads the plain (unsealed) items of cands not yet in loaded.
func (ix *Index) preload(ctx context.Context, cands []cand, loaded map[ref]doc) error {
	ids := map[string][]any{}
	for _, c := range cands {
		if _, ok := loaded[ref{c.kind, c.id}]; !ok && c.kind != "report" {
			ids[c.kind] = append(ids[c.kind], c.id)
		}
	}
	for kind, args := range ids {
		src := sources[kind]
		ph := make([]string, len(args))
		for i := range ph {
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		rows, err := ix.DB.Read.QueryContext(ctx, `SELECT `+src.cols+` FROM `+src.from+` WHERE x.id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := src.scan(ix, rows)
			if err != nil {
				rows.Close()
				return err
			}
			loaded[ref{kind, d.ID}] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// load reads one item for the result page.
func (ix *Index) load(ctx context.Context, kind string, id int64) (doc, error) {
	src := sources[kind]
	return src.scan(ix, ix.DB.Read.QueryRowContext(ctx, `SELECT `+src.cols+` FROM `+src.from+` WHERE x.id = $1`, id))
}
