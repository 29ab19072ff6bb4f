package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/store"
)

// appendChunk is how many entries one INSERT of AppendMany writes: 11
// parameters each keeps a statement far below both engines' limits.
const appendChunk = 50

// AppendMany adds evs to the trail inside tx, in order, exactly as len(evs)
// calls of Append would (the same sequence numbers, the same chained hashes),
// with one head update for the whole batch and multi-row INSERTs: a bulk
// write (a ledger import of thousands of items) keeps one entry per item
// without three statements per entry. Its statements use "$N" parameters,
// which both engines accept; AppendManyIn writes SQLite's faster "?".
func AppendMany(ctx context.Context, tx store.Queryer, evs []Event) ([]Entry, error) {
	return AppendManyIn(ctx, tx, store.Postgres, evs)
}

// AppendManyIn is AppendMany for a transaction on engine d. On SQLite the
// rows' parameters are positional "?": modernc's SQLite resolves each "$N"
// by a linear search through the statement's names, quadratic in a
// 550-parameter INSERT (most of the audit trail's share of an import).
func AppendManyIn(ctx context.Context, tx store.Queryer, d store.Dialect, evs []Event) ([]Entry, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	var last int64
	var prev string
	// the head row is locked by this UPDATE, as in Append
	if err := tx.QueryRowContext(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash`, len(evs)).
		Scan(&last, &prev); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	now := store.Now()
	out := make([]Entry, len(evs))
	for i, ev := range evs {
		e := Entry{Seq: last - int64(len(evs)) + int64(i) + 1, At: now, PrevHash: prev}
		e.ActorID, e.Actor = ev.Actor.ID, ev.Actor.Name
		e.Action, e.ObjectType, e.ObjectID, e.UnitID = ev.Action, ev.ObjectType, ev.ObjectID, ev.UnitID
		e.Detail = normalise(ev.Detail)
		e.Hash = Hash(e)
		prev = e.Hash
		out[i] = e
	}
	for lo := 0; lo < len(out); lo += appendChunk {
		hi := min(lo+appendChunk, len(out))
		var sb strings.Builder
		args := make([]any, 0, (hi-lo)*11)
		sb.WriteString(`INSERT INTO audit_log (seq, at, actor_id, actor, action, object_type, object_id, unit_id, detail, prev_hash, hash) VALUES `)
		for i, e := range out[lo:hi] {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for j, v := range []any{e.Seq, e.At, nullInt(e.ActorID), e.Actor, e.Action, e.ObjectType, e.ObjectID,
				nullInt(e.UnitID), detailJSON(e.Detail), e.PrevHash, e.Hash} {
				if j > 0 {
					sb.WriteByte(',')
				}
				args = append(args, v)
				if d == store.SQLite {
					sb.WriteByte('?')
				} else {
					sb.WriteByte('$')
					sb.WriteString(strconv.Itoa(len(args)))
				}
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return nil, fmt.Errorf("audit insert: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, prev); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	return out, nil
}
