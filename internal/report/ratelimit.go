package report

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"sync"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/store"
)

// Public requests are rate-limited without keeping who made them: the client
// address is hashed at once with a salt that is random per day and deleted
// with the day's counters (Purge), so yesterday's buckets cannot be tied to an
// address by anyone, the operator included. The address itself is never stored
// or logged.

type saltCache struct {
	mu   sync.Mutex
	day  string
	salt []byte
}

func (r *Reports) salt(ctx context.Context, q store.Queryer, day string) ([]byte, error) {
	c := r.salted
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.day == day {
		return c.salt, nil
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	// Any node may be first of the day; the row that lands wins for all.
	if _, err := q.ExecContext(ctx, `INSERT INTO public_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING`,
		day, hex.EncodeToString(fresh)); err != nil {
		return nil, err
	}
	var s string
	if err := q.QueryRowContext(ctx, `SELECT salt FROM public_salts WHERE day = $1`, day).Scan(&s); err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	c.day, c.salt = day, b
	return b, nil
}

// limit counts one public action by a client address today and refuses it
// past max. Inside tx, so a refused or failed submission counts nothing.
func (r *Reports) limit(ctx context.Context, tx *sql.Tx, action, addr string, max int) error {
	if addr == "" || max <= 0 {
		return nil
	}
	bucket, day, err := r.bucket(ctx, tx, action, addr)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `INSERT INTO public_rate (bucket, day, count) VALUES ($1, $2, 1)
		ON CONFLICT (bucket) DO UPDATE SET count = public_rate.count + 1 RETURNING count`, bucket, day).Scan(&n); err != nil {
		return err
	}
	if n > max {
		return errRateLimited()
	}
	return nil
}

func errRateLimited() error {
	return apperr.New(apperr.TooMany, "rate_limited", "", "err.report.rate_limited")
}

// bucket names today's counter of action for a client address: the address
// only as an HMAC under the day's salt.
func (r *Reports) bucket(ctx context.Context, q store.Queryer, action, addr string) (bucket, day string, err error) {
	day = calendar.FormatDay(r.today())
	salt, err := r.salt(ctx, q, day)
	if err != nil {
		return "", "", err
	}
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(addr))
	return day + "|" + action + "|" + hex.EncodeToString(m.Sum(nil)[:12]), day, nil
}

// Purge forgets every salt and counter of days before today.
func (r *Reports) Purge(ctx context.Context) error {
	day := calendar.FormatDay(r.today())
	return r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM public_rate WHERE day < $1`, day); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM public_salts WHERE day < $1`, day)
		return err
	})
}
