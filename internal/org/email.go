package org

import (
	"context"
	"database/sql"
	"net/mail"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
)

// ValidEmail checks an address entered for a person: a bare address (no
// display name), at most 254 characters, with a dotted domain.
func ValidEmail(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") &&
		!strings.Contains(domain, "..")
}

// UserEmail returns a person's email address, "" when none is set.
func UserEmail(ctx context.Context, q store.Queryer, userID int64) (string, error) {
	var e sql.NullString
	err := q.QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1`, userID).Scan(&e)
	if err == sql.ErrNoRows {
		return "", apperr.ErrNotFound
	}
	return e.String, err
}

// SetEmail sets a person's email address for reminders; "" removes it. A
// person changes their own; otherwise it takes what changing the person
// takes (user.write over them and over every grant they hold).
func SetEmail(ctx context.Context, db *store.DB, p *Principal, username, email string) error {
	email = strings.TrimSpace(email)
	if email != "" && !ValidEmail(email) {
		return apperr.Invalidf("email", "err.notify.email")
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var u User
		var err error
		if p != nil && p.Username == username {
			u, err = UserByUsername(ctx, tx, username)
		} else {
			u, err = writableUser(ctx, tx, p, username)
		}
		if err != nil {
			return err
		}
		old, err := UserEmail(ctx, tx, u.ID)
		if err != nil || old == email {
			return err
		}
		var v any
		if email != "" {
			v = email
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, updated_at = $2 WHERE id = $3`, v, store.Now(), u.ID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "user.email", ObjectType: "user",
			ObjectID: u.Username, UnitID: u.UnitID, Detail: map[string]any{"email": []string{old, email}}})
		return err
	})
}
