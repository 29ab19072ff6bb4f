package search

import (
	"context"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// ProblemMatch narrows the ledger list's text filter ("number or title
// contains q", a LIKE that scanned every item: seconds at a million) to
// the items the index can hold it for, as a condition on pr.id for
// ledger.Ledger.TextMatch. The ledger keeps its LIKE, so the result is
// exactly the LIKE's: the index only has to find a superset, which
// text.ParseContains gives (a word cut at either edge of q is loosened).
// Items changed since the index's mark (less SearchMargin), which it may
// not hold yet, are always candidates; a bounded sync runs first, as
// before a search, so just-written items are found either way. Scope stays
// the ledger's own condition. ok is false when the index cannot narrow
// (q is one word fragment, the index has never been built, or it failed):
// the ledger then scans.
func (ix *Index) ProblemMatch(ctx context.Context, q string, arg func(any) string) (string, bool) {
	cq := text.ParseContains(q)
	if cq.Empty() || weak(cq) {
		return "", false
	}
	if _, err := ix.sync(ctx, 2, SearchMargin); err != nil && ctx.Err() != nil {
		return "", false
	}
	var mark int64
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT mark FROM search_marks WHERE kind = 'problem'`).Scan(&mark); err != nil {
		return "", false
	}
	var idx string
	if ix.DB.Dialect == store.Postgres {
		// the loose form (tokens in any order): answered from the GIN
		// index alone, the LIKE checks the rest
		idx = `SELECT ref_id FROM search_docs WHERE ` + ginLoose(cq).cond(arg, "") + ` AND kind = 'problem'`
	} else {
		idx = `SELECT sd.ref_id FROM search_fts JOIN search_docs sd ON sd.id = search_fts.rowid
			WHERE search_fts MATCH ` + arg(cq.FTS5()) + ` AND sd.kind = 'problem'`
	}
	return "pr.id IN (" + idx + " UNION ALL SELECT id FROM problems WHERE updated_at >= " + arg(mark-SearchMargin.Milliseconds()) + ")", true
}

// weak reports whether q holds only one-character prefixes (区*, all that
// is left of "A3区"): they match most items, and a set of most ids costs
// more than the scan it would save (measured: 4.7 s against 2.7 s for
// 11,747 of 20,000 items under load).
func weak(q text.Query) bool {
	for _, t := range q.Terms {
		if len(t.Tokens) > 1 || !t.Prefix || utf8.RuneCountInString(t.Tokens[0]) > 1 {
			return false
		}
	}
	return true
}
