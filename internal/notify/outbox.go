package notify

import (
	"context"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// DefaultMaxAttempts is how often a message is tried before it is given up.
const DefaultMaxAttempts = 8

// Problem is an outbox message that has not gone out and has an error: one
// waiting for its next try, or one given up (or skipped).
type Problem struct {
	ID            int64
	Channel       string
	Target        string // an email address, or the robot's id
	Subject       string
	Attempts      int
	LastError     string
	CreatedAt     int64
	NextAttemptAt int64
	GaveUp        bool
	Skipped       bool
}

// Failed lists the messages that have not gone out and carry an error, newest
// first. It spans the whole deployment, so only a root admin may read it.
func Failed(ctx context.Context, db *store.DB, p *org.Principal, offset, limit int) ([]Problem, error) {
	if !org.IsRootAdmin(p) {
		return nil, apperr.ErrForbidden
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT id, channel, target, subject, attempts, last_error, created_at, next_attempt_at
		FROM outbox WHERE sent_at IS NULL AND last_error <> '' ORDER BY id DESC LIMIT $1 OFFSET $2`, limit, max(offset, 0))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Problem
	for rows.Next() {
		var m Problem
		if err := rows.Scan(&m.ID, &m.Channel, &m.Target, &m.Subject, &m.Attempts, &m.LastError, &m.CreatedAt, &m.NextAttemptAt); err != nil {
			return nil, err
		}
		m.Skipped = strings.HasPrefix(m.LastError, SkippedPrefix)
		m.GaveUp = m.Attempts >= DefaultMaxAttempts || m.Skipped
		out = append(out, m)
	}
	return out, rows.Err()
}
