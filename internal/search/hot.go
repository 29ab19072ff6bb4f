package search

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// the reports in scope, without their sealed text: permissions are
	// applied here, live, on every view
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT r.id, r.number, r.created_at, r.updated_at, un.name,
		(SELECT COUNT(*) FROM reports m WHERE m.merged_into = r.id)
		FROM reports r JOIN units h ON h.id = r.handling_unit_id JOIN units un ON un.id = r.unit_id
		WHERE `+where+` ORDER BY r.created_at DESC, r.id DESC LIMIT `+strconv.Itoa(HotWindow+1), args...)
	if err != nil {
		return res, err
	}
	var meta []hotRow
	for rows.Next() {
		var rw hotRow
		if err := rows.Scan(&rw.id, &rw.number, &rw.at, &rw.updated, &rw.unit, &rw.merged); err != nil {
			rows.Close()
			return res, err
		}
		if len(meta) == HotWindow {
			res.Capped = true
			break
		}
		meta = append(meta, rw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	res.Reports = len(meta)
	// Grouping is a function of exactly these rows (ids, versions, units,
	// merged counts) and the minimum: a reader whose scope yields the same
	// rows gets the same issues, so they are remembered under a digest of
	// the rows. Nothing is reused across a change of permission, scope or
	// report: any of them changes the rows, hence the key.
	key := hotKey(meta, minCount)
	issues, ok := ix.hot.get(key)
	if !ok {
		if issues, err = ix.groupHot(ctx, meta, minCount); err != nil {
			return res, err
		}
		ix.hot.put(key, issues)
	}
	res.Issues = slices.Clone(issues)
	if len(meta) > 0 {
		err = audit.Record(ctx, ix.DB, audit.Event{Actor: p.Actor(), Action: "report.hot_issues_read", ObjectType: "report",
			Detail: map[string]any{"unit": hp.Unit, "from": res.From, "to": res.To, "reports": len(meta)}})
	}
	return res, err
}

type hotRow struct {
	id, at, updated int64
	number, unit    string
	merged          int
}

// groupHot opens the reports of meta (in its order) and groups them.
func (ix *Index) groupHot(ctx context.Context, meta []hotRow, minCount int) ([]HotIssue, error) {
	type sealed struct {
		receipt         string
		wrapped, sealed []byte
	}
	blobs := map[int64]sealed{}
	for lo := 0; lo < len(meta); lo += 500 {
		var args []any
		var ph []string
		for _, m := range meta[lo:min(len(meta), lo+500)] {
			args = append(args, m.id)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		rows, err := ix.DB.Read.QueryContext(ctx, `SELECT id, receipt, wrapped_key, sealed FROM reports WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var b sealed
			if err := rows.Scan(&id, &b.receipt, &b.wrapped, &b.sealed); err != nil {
				rows.Close()
				return nil, err
			}
			blobs[id] = b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var items []text.Item
	byNumber := map[string]int{}
	for i, m := range meta {
		b, ok := blobs[m.id]
		if !ok {
			continue // removed between the two reads
		}
		s, err := ix.Reports.OpenSealed(b.receipt, b.wrapped, b.sealed)
		if err != nil {
			return nil, err
		}
		byNumber[m.number] = i
		items = append(items, text.Item{ID: m.number, Title: s.Subject, Body: s.Content, Time: time.UnixMilli(m.at), Votes: 1 + m.merged})
	}
	var out []HotIssue
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
		out = append(out, h)
	}
	sortIssues(out)
	return out, nil
}

// hotKey digests what grouping depends on.
func hotKey(meta []hotRow, minCount int) [32]byte {
	h := sha256.New()
	b := binary.AppendVarint(nil, int64(minCount))
	for _, m := range meta {
		b = binary.AppendVarint(b, m.id)
		b = binary.AppendVarint(b, m.at)
		b = binary.AppendVarint(b, m.updated)
		b = binary.AppendVarint(b, int64(m.merged))
		b = binary.AppendUvarint(b, uint64(len(m.number)))
		b = append(b, m.number...)
		b = binary.AppendUvarint(b, uint64(len(m.unit)))
		b = append(b, m.unit...)
		if len(b) > 4096 {
			h.Write(b)
			b = b[:0]
		}
	}
	h.Write(b)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// hotMemo remembers recent groupings by hotKey, a few per node (each
// holds titles of reports: kept in memory only, bounded, and handed only
// to a reader whose own live query produced the same rows).
type hotMemo struct {
	mu    sync.Mutex
	byKey map[[32]byte][]HotIssue
	order [][32]byte
}

const hotMemoSize = 32

func (c *hotMemo) get(k [32]byte) ([]HotIssue, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.byKey[k]
	return v, ok
}

func (c *hotMemo) put(k [32]byte, v []HotIssue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[[32]byte][]HotIssue{}
	}
	if _, ok := c.byKey[k]; ok {
		return
	}
	if len(c.order) == hotMemoSize {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
	c.byKey[k] = v
	c.order = append(c.order, k)
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
