package search

import (
	"context"
	"slices"
	"strconv"
	"strings"

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

// scoped is the scope of one kind for a reader: the source table as r
// (table), the join to its unit (unitJoin), the condition on them (cond)
// and the unit path column a unit filter applies to.
type scoped struct {
	table, unitJoin, cond, unitCol string
}

// scopeOf is the reach of p over kind; ok is false when p may read none.
func scopeOf(kind string, p *org.Principal, arg func(any) string) (scoped, bool) {
	switch kind {
	case "report":
		s, ok := report.SearchScope(p, arg)
		if !ok {
			return scoped{}, false
		}
		return scoped{"reports r", "JOIN units h ON h.id = r.handling_unit_id", s, "h.path"}, true
	case "problem":
		// reach as in the ledger's lists: the read scopes, or the items one is responsible for
		var or []string
		for _, s := range org.ScopePaths(p, org.ProblemRead) {
			or = append(or, store.Subtree("u.path", s, arg))
		}
		if p != nil && p.UserID != 0 {
			or = append(or, "r.responsible_id = "+arg(p.UserID))
		}
		if len(or) == 0 {
			return scoped{}, false
		}
		return scoped{"problems r", "JOIN units u ON u.id = r.unit_id", "(" + strings.Join(or, " OR ") + ")", "u.path"}, true
	default: // projects and ratings: the ledger's read scopes
		var or []string
		for _, s := range org.ScopePaths(p, org.ProblemRead) {
			or = append(or, store.Subtree("u.path", s, arg))
		}
		if len(or) == 0 {
			return scoped{}, false
		}
		return scoped{kind + "s r", "JOIN units u ON u.id = r.unit_id", "(" + strings.Join(or, " OR ") + ")", "u.path"}, true
	}
}

// narrow returns the matches of kind among the items p may read, newest
// first, when p may read at most narrowCap of them (ok false otherwise:
// the text index is walked instead). Two reads bounded by the cap: a count
// through the scope, stopped at the cap, then the index rows of those
// items with their tokens, checked in Go (matchTokens: the engines' own
// rules, so the hits are those of the text index).
func (ix *Index) narrow(ctx context.Context, kind string, p *org.Principal, q text.Query, unitPath string) ([]cand, bool, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	s, ok := scopeOf(kind, p, arg)
	if !ok {
		return nil, true, nil
	}
	where := s.cond
	if unitPath != "" {
		where += ` AND ` + store.Subtree(s.unitCol, unitPath, arg)
	}
	var n int
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+s.table+` `+s.unitJoin+` WHERE `+where+
		` LIMIT `+strconv.Itoa(narrowCap+1)+`) n`, args...).Scan(&n); err != nil {
		return nil, false, err
	}
	if n > narrowCap {
		return nil, false, nil
	}
	k := arg(kind)
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT sd.id, sd.ref_id, sd.tokens FROM `+s.table+` `+s.unitJoin+
		` JOIN search_docs sd ON sd.kind = `+k+` AND sd.ref_id = r.id WHERE `+where, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []cand
	for rows.Next() {
		var c cand
		var toks string
		if err := rows.Scan(&c.key, &c.id, &toks); err != nil {
			return nil, false, err
		}
		if matchTokens(toks, q) {
			c.kind = kind
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	slices.SortFunc(out, func(a, b cand) int { return cmpKey(b.key, a.key) })
	return out, true, nil
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

// matchTokens reports whether an index column (tokens separated by single
// spaces, in document order) matches q as FTS5 and to_tsquery do: each
// term's tokens adjacent and in order, the last one a prefix when the term
// says so. For the blind column of a report q is the blind query (single
// hashed tokens, present anywhere).
func matchTokens(col string, q text.Query) bool {
	padded := " " + col + " "
	for _, t := range q.Terms {
		s := " " + strings.Join(t.Tokens, " ")
		if !t.Prefix {
			s += " "
		}
		if !strings.Contains(padded, s) {
			return false
		}
	}
	return true
}
