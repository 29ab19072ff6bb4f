package search

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// HotParams select the reports grouped into hot issues.
type HotParams struct {
	Unit     string // a unit's code: reports handled in its subtree
	From, To string // received days, inclusive ("2026-01-02"); default the last 90 days
	Min      int    // smallest issue shown (reports); default 2
}

// HotWindow bounds the reports grouped at once (the newest in the period):
// each is opened, and grouping is quadratic in the worst case.
const HotWindow = 3000

// HotReport is one report of a hot issue.
type HotReport struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
}

// HotIssue is a cluster of reports about one matter (热点问题).
type HotIssue struct {
	Title   string      `json:"title"` // the subject of the most central report
	Count   int         `json:"count"`
	Support int         `json:"support"` // reporters: the reports and those already merged into them
	First   int64       `json:"first_at"`
	Last    int64       `json:"last_at"`
	Units   []string    `json:"units"` // units reported on, by name
	Reports []HotReport `json:"reports"`
}

// HotResult is the answer with the period it covers.
type HotResult struct {
	From    string     `json:"from"`
	To      string     `json:"to"`
	Reports int        `json:"reports"` // grouped
	Capped  bool       `json:"capped"`  // more than HotWindow in the period: the newest were grouped
	Issues  []HotIssue `json:"issues"`
}

// HotIssues groups the reports p may read, received in the period, into
// same-matter clusters (text.Group: character-bigram TF-IDF cosine ≥ 0.4),
// biggest first. Merged reports are counted as support of the report they
// were merged into, not grouped again. The reports are opened to compare
// their text; the read is audited.
func (ix *Index) HotIssues(ctx context.Context, p *org.Principal, hp HotParams, now time.Time) (HotResult, error) {
	var res HotResult
	if ix.Reports == nil {
		return res, nil
	}
	today := calendar.Today(now)
	res.To, res.From = calendar.FormatDay(today), calendar.FormatDay(today.AddDate(0, 0, -89))
	for _, f := range []struct {
		v   string
		dst *string
		key string
	}{{hp.From, &res.From, "from"}, {hp.To, &res.To, "to"}} {
		if f.v == "" {
			continue
		}
		d, err := calendar.ParseDate(f.v)
		if err != nil {
			return res, apperr.Invalidf(f.key, "err.search.day")
		}
		*f.dst = calendar.FormatDay(d)
	}
	if res.From > res.To {
		return res, apperr.Invalidf("from", "err.search.period")
	}
	minCount := max(hp.Min, 2)
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	scope, ok := report.SearchScope(p, arg)
	if !ok {
		return res, nil
	}
	where := scope + ` AND r.status <> 'merged' AND r.received_on >= ` + arg(res.From) + ` AND r.received_on <= ` + arg(res.To)
	if hp.Unit != "" {
		u, err := org.GetUnit(ctx, ix.DB, p, hp.Unit)
		if apperr.As(err) != nil {
			return res, apperr.Invalidf("unit", "err.search.unit", hp.Unit)
		} else if err != nil {
			return res, err
		}
		where += ` AND ` + store.Subtree("h.path", u.Path, arg)
	}
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT r.id, r.number, r.receipt, r.wrapped_key, r.sealed, r.created_at, un.name,
		(SELECT COUNT(*) FROM reports m WHERE m.merged_into = r.id)
		FROM reports r JOIN units h ON h.id = r.handling_unit_id JOIN units un ON un.id = r.unit_id
		WHERE `+where+` ORDER BY r.created_at DESC, r.id DESC LIMIT `+strconv.Itoa(HotWindow+1), args...)
	if err != nil {
		return res, err
	}
	type row struct {
		id     int64
		number string
		unit   string
		at     int64
	}
	var items []text.Item
	var meta []row
	byNumber := map[string]int{}
	for rows.Next() {
		var rw row
		var receipt string
		var wrapped, sealed []byte
		var merged int
		if err := rows.Scan(&rw.id, &rw.number, &receipt, &wrapped, &sealed, &rw.at, &rw.unit, &merged); err != nil {
			rows.Close()
			return res, err
		}
		if len(meta) == HotWindow {
			res.Capped = true
			break
		}
		s, err := ix.Reports.OpenSealed(receipt, wrapped, sealed)
		if err != nil {
			rows.Close()
			return res, err
		}
		byNumber[rw.number] = len(meta)
		meta = append(meta, rw)
		items = append(items, text.Item{ID: rw.number, Title: s.Subject, Body: s.Content, Time: time.UnixMilli(rw.at), Votes: 1 + merged})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	res.Reports = len(items)
	for _, is := range text.Group(items, text.GroupOptions{}) {
		if is.Count < minCount {
			continue
		}
		h := HotIssue{Title: is.Title, Count: is.Count, Support: is.Votes, First: is.First.UnixMilli(), Last: is.Last.UnixMilli()}
		seen := map[string]bool{}
		for _, n := range is.IDs {
			m := meta[byNumber[n]]
			h.Reports = append(h.Reports, HotReport{ID: m.id, Number: m.number})
			if !seen[m.unit] {
				seen[m.unit] = true
				h.Units = append(h.Units, m.unit)
			}
		}
		res.Issues = append(res.Issues, h)
	}
	sortIssues(res.Issues)
	if len(items) > 0 {
		err = audit.Record(ctx, ix.DB, audit.Event{Actor: p.Actor(), Action: "report.hot_issues_read", ObjectType: "report",
			Detail: map[string]any{"unit": hp.Unit, "from": res.From, "to": res.To, "reports": len(items)}})
	}
	return res, err
}

// sortIssues orders by support, then count, then the latest report.
func sortIssues(is []HotIssue) {
	slices.SortStableFunc(is, func(a, b HotIssue) int {
		if c := cmp.Compare(b.Support, a.Support); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Last, a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Title, b.Title)
	})
}
