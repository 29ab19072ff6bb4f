// Package auth signs people in and keeps them signed in: passwords (argon2id),
// lockout after repeated failures, database-held sessions with idle and
// absolute timeouts, TOTP second factor, and API tokens. Only hashes of
// session ids and tokens are stored.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
)

// Policy holds the session and lockout settings.
type Policy struct {
	IdleTimeout     time.Duration // a session unused this long ends
	AbsoluteTimeout time.Duration // a session ends this long after login, used or not
	MaxFailures     int           // failed logins in a row before the account locks
	LockFor         time.Duration
}

// DefaultPolicy is what a deployment gets unless configured otherwise.
var DefaultPolicy = Policy{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour, MaxFailures: 5, LockFor: 15 * time.Minute}

// Stage of a session.
const (
	StageFull       = 0 // signed in
	StageTOTP       = 1 // password accepted, one-time code pending
	StageTOTPEnrol  = 2 // password accepted, must set up a second factor (required for a role)
	touchEvery      = time.Minute
	maxUsernameLogs = 64
)

// Session is a signed-in browser.
type Session struct {
	ID           string // the stored hash
	UserID       int64
	Stage        int
	CreatedAt    int64
	LastSeenAt   int64
	ExpiresAt    int64
	MustChangePW bool
}

// Errors a clerk sees at the login form.
var (
	ErrBadCredentials = apperr.New(apperr.Unauthorized, "bad_credentials", "", "err.login.bad_credentials")
	ErrBadCode        = apperr.New(apperr.Unauthorized, "bad_code", "code", "err.login.bad_code")
	ErrBadToken       = apperr.New(apperr.Unauthorized, "bad_token", "", "err.token.invalid")
)

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how session ids and API tokens are stored: both are 256-bit
// random values, so a fast hash suffices (no guessing to slow down).
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// LoginResult is a successful password check.
type LoginResult struct {
	Token string // the cookie value; shown once, never stored
	Stage int
}

// Login checks a username and password and opens a session. Failures answer
// the same way whether or not the username exists, and take the same time.
func Login(ctx context.Context, db *store.DB, pol Policy, username, pw string) (LoginResult, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	logged := username
	if utf8.RuneCountInString(logged) > maxUsernameLogs {
		logged = string([]rune(logged)[:maxUsernameLogs])
	}
	var (
		id                      int64
		hash                    string
		failures                int
		lockedUntil, disabledAt int64
		totpEnabled, unitID     int64
	)
	err := db.Read.QueryRowContext(ctx, `SELECT id, password_hash, failed_logins, COALESCE(locked_until, 0),
		COALESCE(disabled_at, 0), COALESCE(totp_enabled_at, 0), unit_id FROM users WHERE username = $1`, username).
		Scan(&id, &hash, &failures, &lockedUntil, &disabledAt, &totpEnabled, &unitID)
	if errors.Is(err, sql.ErrNoRows) {
		password.Check(pw, password.Dummy)
		audit.Record(ctx, db, audit.Event{Actor: audit.Actor{Name: logged}, Action: "auth.login_failed",
			ObjectType: "user", ObjectID: logged, Detail: map[string]any{"reason": "unknown_user"}})
		return LoginResult{}, ErrBadCredentials
	}
	if err != nil {
		return LoginResult{}, err
	}
	now := store.Now()
	actor := audit.Actor{ID: id, Name: username}
	if lockedUntil > now {
		password.Check(pw, password.Dummy)
		audit.Record(ctx, db, audit.Event{Actor: actor, Action: "auth.login_failed", ObjectType: "user",
			ObjectID: username, UnitID: unitID, Detail: map[string]any{"reason": "locked"}})
		mins := (lockedUntil - now + 59_999) / 60_000
		return LoginResult{}, apperr.New(apperr.TooMany, "locked", "", "err.login.locked", mins)
	}
	ok, _ := password.Check(pw, hash)
	if !ok || disabledAt != 0 {
		reason := "bad_password"
		if disabledAt != 0 {
			reason = "disabled"
		}
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			if ok { // a disabled account does not count failures
				_, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "auth.login_failed", ObjectType: "user",
					ObjectID: username, UnitID: unitID, Detail: map[string]any{"reason": reason}})
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1
				RETURNING failed_logins`, id).Scan(&n); err != nil {
				return err
			}
			detail := map[string]any{"reason": reason, "failures": n}
			if n >= pol.MaxFailures {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2`,
					now+pol.LockFor.Milliseconds(), id); err != nil {
					return err
				}
				detail["locked_minutes"] = int(pol.LockFor.Minutes())
			}
			_, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "auth.login_failed", ObjectType: "user",
				ObjectID: username, UnitID: unitID, Detail: detail})
			return err
		})
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, ErrBadCredentials
	}
	stage := StageFull
	if totpEnabled != 0 {
		stage = StageTOTP
	} else {
		req, err := TOTPRequired(ctx, db.Read, id)
		if err != nil {
			return LoginResult{}, err
		}
		if req {
			stage = StageTOTPEnrol
		}
	}
	tok := randomToken(32)
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		// with a second factor pending the failure count stays: otherwise signing in
		// again with the password would reset it and allow unlimited code guesses
		if stage != StageTOTP {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, stage, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $4, $5)`, HashSecret(tok), id, stage, now, now+pol.AbsoluteTimeout.Milliseconds()); err != nil {
			return err
		}
		action := "auth.login"
		if stage != StageFull {
			action = "auth.password_ok"
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: action, ObjectType: "user",
			ObjectID: username, UnitID: unitID, Detail: map[string]any{"second_factor": stage != StageFull}})
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: tok, Stage: stage}, nil
}

// Authenticate returns the live session for a cookie value. Expired and idle
// sessions are ended. The last-seen time is written at most once a minute, so
// reading pages does not queue behind writes.
func Authenticate(ctx context.Context, db *store.DB, pol Policy, token string) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, apperr.ErrUnauthorized
	}
	s := &Session{ID: HashSecret(token)}
	var mustChange int
	var disabled int64
	err := db.Read.QueryRowContext(ctx, `SELECT s.user_id, s.stage, s.created_at, s.last_seen_at, s.expires_at, u.must_change_pw,
		COALESCE(u.disabled_at, 0) FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, s.ID).
		Scan(&s.UserID, &s.Stage, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &mustChange, &disabled)
	// a disabled person's sessions stop at once, on every node (the principal
	// itself may come from a cache a few seconds old)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && disabled != 0) {
		return nil, apperr.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	s.MustChangePW = mustChange != 0
	now := store.Now()
	if now >= s.ExpiresAt || now-s.LastSeenAt >= pol.IdleTimeout.Milliseconds() {
		db.Write.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, s.ID)
		return nil, apperr.New(apperr.Unauthorized, "session_expired", "", "err.session.expired")
	}
	if now-s.LastSeenAt >= touchEvery.Milliseconds() {
		if _, err := db.Write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, now, s.ID); err != nil {
			return nil, err
		}
		s.LastSeenAt = now
	}
	return s, nil
}

// Logout ends a session.
func Logout(ctx context.Context, db *store.DB, p *org.Principal, sessionID string) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, sessionID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "auth.logout", ObjectType: "user",
			ObjectID: p.Username, UnitID: p.UnitID})
		return err
	})
}

// ChangePassword replaces the signed-in user's password after checking the old
// one, and ends their other sessions.
func ChangePassword(ctx context.Context, db *store.DB, p *org.Principal, keepSession, oldPW, newPW string) error {
	var hash string
	if err := db.Read.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, p.UserID).Scan(&hash); err != nil {
		return err
	}
	if ok, _ := password.Check(oldPW, hash); !ok {
		return apperr.Invalidf("old_password", "err.password.old_wrong")
	}
	if err := org.ValidatePassword(newPW, p.Username); err != nil {
		return err
	}
	if oldPW == newPW {
		return apperr.Invalidf("new_password", "err.password.same")
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_pw = 0, password_changed_at = $2,
			updated_at = $2 WHERE id = $3`, password.HashWith(newPW, org.HashCost), now, p.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, p.UserID, keepSession); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "user.password_change", ObjectType: "user",
			ObjectID: p.Username, UnitID: p.UnitID})
		return err
	})
}

// CleanupSessions deletes ended sessions (a scheduled job).
func CleanupSessions(ctx context.Context, db *store.DB, pol Policy) (int64, error) {
	now := store.Now()
	res, err := db.Write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`,
		now, now-pol.IdleTimeout.Milliseconds())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
