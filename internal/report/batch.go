package report

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/store"
)

// insertBatch writes a batch of prepared submissions with a few multi-row
// statements: the rate-limit counters, the numbers, the reports, the people
// they name, their first timeline events, their files and the audit entries,
// each one statement for the whole batch (on PostgreSQL, one round trip
// each). A submission over its client's daily limit is refused alone (p.err);
// any statement that fails fails the batch, and commitBatch writes it again
// one by one.
func (r *Reports) insertBatch(ctx context.Context, tx *sql.Tx, batch []*pending) error {
	ok, err := r.limitBatch(ctx, tx, batch)
	if err != nil || len(ok) == 0 {
		return err
	}
	// Numbers: one counter per year, advanced once by the batch's count.
	years := map[int][]*pending{}
	for _, p := range ok {
		years[p.today.Year()] = append(years[p.today.Year()], p)
	}
	for year, ps := range years {
		var last int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET value = counters.value + $2 RETURNING value`,
			"report-"+strconv.Itoa(year), len(ps)).Scan(&last); err != nil {
			return err
		}
		for i, p := range ps {
			p.number = reportNumber(year, last-int64(len(ps)-1-i))
		}
	}
	now := r.now().UnixMilli()
	byReceipt := make(map[string]*pending, len(ok))
	rows := make([][]any, 0, len(ok))
	for _, p := range ok {
		byReceipt[p.receipt] = p
		channel, _ := p.channel()
		rows = append(rows, []any{p.number, p.receipt, p.keyHash, channel, p.in.Category, p.unitID, p.handling,
			string(Received), boolInt(p.in.Reporter != nil), p.wrapped, p.sealed, p.identity,
			calendar.FormatDay(p.today), p.ackDue, now, now})
	}
	if err := insertRows(ctx, tx, r.DB.Dialect, `INSERT INTO reports (number, receipt, key_hash, channel, category, unit_id, handling_unit_id,
		status, real_name, wrapped_key, sealed, identity, received_on, ack_due, created_at, updated_at)`, rows, ` RETURNING id, receipt`,
		func(rs *sql.Rows) error {
			var id int64
			var receipt string
			if err := rs.Scan(&id, &receipt); err != nil {
				return err
			}
			if p := byReceipt[receipt]; p != nil {
				p.id = id
			}
			return nil
		}); err != nil {
		return err
	}
	byID := make(map[int64]*pending, len(ok))
	rows, events := rows[:0], make([][]any, 0, len(ok))
	for _, p := range ok {
		if p.id == 0 {
			return fmt.Errorf("report: no id returned for a batch row")
		}
		byID[p.id] = p
		seen := map[int64]bool{}
		for _, nm := range p.named {
			if !seen[nm.UserID] {
				seen[nm.UserID] = true
				rows = append(rows, []any{p.id, nm.UserID, nm.UnitPath})
			}
		}
		events = append(events, []any{p.id, "submitted", "", 1, nullID(actorID(p.self)), nil, "", now})
	}
	if err := insertRows(ctx, tx, r.DB.Dialect, `INSERT INTO report_named (report_id, user_id, unit_path)`, rows, ``, nil); err != nil {
		return err
	}
	eventOf := make(map[int64]int64, len(ok))
	if err := insertRows(ctx, tx, r.DB.Dialect, `INSERT INTO report_events (report_id, kind, stage, public, actor_id, note, detail, at)`,
		events, ` RETURNING id, report_id`, func(rs *sql.Rows) error {
			var id, report int64
			if err := rs.Scan(&id, &report); err != nil {
				return err
			}
			eventOf[report] = id
			return nil
		}); err != nil {
		return err
	}
	rows = rows[:0]
	evs := make([]audit.Event, 0, len(ok))
	for _, p := range ok {
		for _, f := range p.files {
			rows = append(rows, []any{p.id, nullID(eventOf[p.id]), f.sum, f.plainSum, f.name, f.mime, f.size, now})
		}
		channel, actor := p.channel()
		evs = append(evs, p.auditEvent(actor, channel))
	}
	if err := insertRows(ctx, tx, r.DB.Dialect, `INSERT INTO report_files (report_id, event_id, sha256, plain_sha, sealed_name, mime, size, created_at)`,
		rows, ``, nil); err != nil {
		return err
	}
	_, err = audit.AppendMany(ctx, tx, evs)
	return err
}

// limitBatch counts the batch's public submissions against their clients'
// daily limits with one statement, refuses those past it (as limit does for
// one: a refused submission counts nothing) and returns the others.
func (r *Reports) limitBatch(ctx context.Context, tx *sql.Tx, batch []*pending) ([]*pending, error) {
	perDay := r.Rules.PerDay
	ok := make([]*pending, 0, len(batch))
	type counted struct {
		day string
		ps  []*pending
	}
	buckets := map[string]*counted{}
	var order []string
	for _, p := range batch {
		if p.self != nil || p.addr == "" || perDay <= 0 {
			ok = append(ok, p)
			continue
		}
		b, day, err := r.bucket(ctx, tx, "submit", p.addr)
		if err != nil {
			return nil, err
		}
		if buckets[b] == nil {
			buckets[b] = &counted{day: day}
			order = append(order, b)
		}
		buckets[b].ps = append(buckets[b].ps, p)
	}
	if len(order) == 0 {
		return ok, nil
	}
	rows := make([][]any, 0, len(order))
	for _, b := range order {
		rows = append(rows, []any{b, buckets[b].day, len(buckets[b].ps)})
	}
	counts := map[string]int{}
	if err := insertRows(ctx, tx, r.DB.Dialect, `INSERT INTO public_rate (bucket, day, count)`, rows,
		` ON CONFLICT (bucket) DO UPDATE SET count = public_rate.count + excluded.count RETURNING bucket, count`,
		func(rs *sql.Rows) error {
			var b string
			var n int
			if err := rs.Scan(&b, &n); err != nil {
				return err
			}
			counts[b] = n
			return nil
		}); err != nil {
		return nil, err
	}
	for _, b := range order {
		ps := buckets[b].ps
		before := counts[b] - len(ps)
		allowed := min(max(perDay-before, 0), len(ps))
		ok = append(ok, ps[:allowed]...)
		for _, p := range ps[allowed:] {
			p.err = errRateLimited()
		}
		if refused := len(ps) - allowed; refused > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE public_rate SET count = count - $1 WHERE bucket = $2`, refused, b); err != nil {
				return nil, err
			}
		}
	}
	return ok, nil
}

// batchRows is the most rows one multi-row statement carries (well under
// both engines' limits on bound values at 16 columns).
const batchRows = 200

// insertRows runs head VALUES (…), (…) tail for rows, in statements of at
// most batchRows rows, and hands each returned row to scan (when tail has a
// RETURNING clause). Rows come back in no particular order.
func insertRows(ctx context.Context, tx *sql.Tx, d store.Dialect, head string, rows [][]any, tail string, scan func(*sql.Rows) error) error {
	for lo := 0; lo < len(rows); lo += batchRows {
		stmt, args := store.Values(d, head+" VALUES ", rows[lo:min(lo+batchRows, len(rows))])
		stmt += tail
		if scan == nil {
			if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
				return err
			}
			continue
		}
		rs, err := tx.QueryContext(ctx, stmt, args...)
		if err != nil {
			return err
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return err
			}
		}
		if err := rs.Close(); err != nil {
			return err
		}
		if err := rs.Err(); err != nil {
			return err
		}
	}
	return nil
}
