package ledger

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/store"
)

// CloseCheck is asked, inside the closing transaction, whether an item linked
// to another capability's record (its origin) may be closed: a bad rating's
// item, for instance, needs the rating's 回访 first. It returns a user error
// naming what is missing, or nil.
type CloseCheck func(ctx context.Context, tx *sql.Tx, pr *Problem) error

// OnClose registers the check for items of one origin type. It is called at
// start-up, before the ledger serves requests.
func (l *Ledger) OnClose(originType string, fn CloseCheck) {
	if l.closeChecks == nil {
		l.closeChecks = map[string]CloseCheck{}
	}
	l.closeChecks[originType] = fn
}

// closeAllowed runs the check registered for the item's origin, if any.
func (l *Ledger) closeAllowed(ctx context.Context, tx *sql.Tx, pr *Problem) error {
	if fn := l.closeChecks[pr.OriginType]; fn != nil {
		return fn(ctx, tx, pr)
	}
	return nil
}

// NumbersOf returns the number (WT-…) of each item named, for capabilities
// that show which item answers their record. Items that do not exist are absent.
func NumbersOf(ctx context.Context, q store.Queryer, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	err := eachOf(ctx, q, "number", ids, func(id int64, v string) { out[id] = v })
	return out, err
}

// StatusesOf returns the status of each item named, for capabilities that
// measure how their linked items fare (a bad rating is rectified when its item
// is closed). Items that do not exist are absent from the map.
func StatusesOf(ctx context.Context, q store.Queryer, ids []int64) (map[int64]Status, error) {
	out := make(map[int64]Status, len(ids))
	err := eachOf(ctx, q, "status", ids, func(id int64, v string) { out[id] = Status(v) })
	return out, err
}

// eachOf reads one text column of the items named, in batches.
func eachOf(ctx context.Context, q store.Queryer, col string, ids []int64, fn func(int64, string)) error {
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		ph := make([]string, len(batch))
		args := make([]any, len(batch))
		for i, id := range batch {
			ph[i] = "$" + strconv.Itoa(i+1)
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, `SELECT id, `+col+` FROM problems WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				rows.Close()
				return err
			}
			fn(id, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
