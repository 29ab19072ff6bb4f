package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// settingTOTPRoles names the setting listing the roles that must use a second factor.
const settingTOTPRoles = "auth.totp_required_roles"

// RequiredTOTPRoles returns the roles that must use a second factor.
func RequiredTOTPRoles(ctx context.Context, q store.Queryer) ([]string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, settingTOTPRoles).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || v == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.Split(v, ","), nil
}

// SetRequiredTOTPRoles changes which roles must use a second factor. p nil is the system.
func SetRequiredTOTPRoles(ctx context.Context, db *store.DB, p *org.Principal, roles []string) error {
	for _, r := range roles {
		if !org.ValidRole(r) {
			return apperr.Invalidf("roles", "err.role.unknown", r)
		}
	}
	if p != nil && !org.IsRootAdmin(p) {
		return apperr.ErrForbidden
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	v := strings.Join(roles, ",")
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			settingTOTPRoles, v, store.Now()); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "settings.totp_roles", ObjectType: "settings",
			ObjectID: settingTOTPRoles, Detail: map[string]any{"roles": roles}})
		return err
	})
}

// TOTPRequired reports whether one of the user's roles requires a second factor.
func TOTPRequired(ctx context.Context, q store.Queryer, userID int64) (bool, error) {
	req, err := RequiredTOTPRoles(ctx, q)
	if err != nil || len(req) == 0 {
		return false, err
	}
	rows, err := q.QueryContext(ctx, `SELECT role FROM user_roles WHERE user_id = $1`, userID)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return false, err
		}
		if slices.Contains(req, r) {
			return true, nil
		}
	}
	return false, rows.Err()
}

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// BeginTOTP creates a fresh secret for the user (not active until confirmed)
// and returns the key, whose URL a phone app scans.
func BeginTOTP(ctx context.Context, db *store.DB, userID int64, username string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "luoshi", AccountName: username})
	if err != nil {
		return nil, err
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled_at IS NULL`,
		key.Secret(), userID); err != nil {
		return nil, err
	}
	return key, nil
}

// PendingTOTPSecret returns the secret set by BeginTOTP and not yet confirmed.
func PendingTOTPSecret(ctx context.Context, db *store.DB, userID int64) (string, error) {
	var s sql.NullString
	var enabled int64
	err := db.Read.QueryRowContext(ctx, `SELECT totp_secret, COALESCE(totp_enabled_at, 0) FROM users WHERE id = $1`, userID).Scan(&s, &enabled)
	if err != nil || enabled != 0 {
		return "", err
	}
	return s.String, nil
}

// matchStep returns the time step whose code equals code (±1 step of clock
// drift), or 0.
func matchStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0
	}
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew*30) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / 30
		}
	}
	return 0
}

// useCode checks code against the user's secret and records its step so the
// same code cannot be used twice. enabledOnly selects the active secret or the pending one.
func useCode(ctx context.Context, tx *sql.Tx, userID int64, code string, enabling bool) error {
	var secret sql.NullString
	var last, enabled int64
	if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_last_step, COALESCE(totp_enabled_at, 0) FROM users WHERE id = $1`,
		userID).Scan(&secret, &last, &enabled); err != nil {
		return err
	}
	if !secret.Valid || (enabled != 0) == enabling {
		return ErrBadCode
	}
	step := matchStep(secret.String, code, time.Now())
	if step == 0 || step <= last {
		return ErrBadCode
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2`, step, userID)
	return err
}

// ConfirmTOTP activates the pending secret when code matches it. When the
// session was waiting for enrolment, it becomes a full session.
func ConfirmTOTP(ctx context.Context, db *store.DB, userID int64, sessionID, code string) error {
	defer org.PrincipalChanged() // the principal carries the second-factor flag
	return db.Tx(ctx, func(tx *sql.Tx) error {
		org.PrincipalChanged()
		if err := useCode(ctx, tx, userID, code, true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled_at = $1 WHERE id = $2`, store.Now(), userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET stage = $1 WHERE id = $2 AND user_id = $3`, StageFull, sessionID, userID); err != nil {
			return err
		}
		return appendUserEvent(ctx, tx, userID, "auth.totp_enabled")
	})
}

// VerifyTOTP completes a login waiting for its one-time code. Wrong codes count
// as failed logins (and lock the account like wrong passwords).
func VerifyTOTP(ctx context.Context, db *store.DB, pol Policy, s *Session, code string) error {
	if s.Stage != StageTOTP {
		return apperr.ErrUnauthorized
	}
	// a lock set while this session waited for its code holds here too
	var lockedUntil int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(locked_until, 0) FROM users WHERE id = $1`, s.UserID).Scan(&lockedUntil); err != nil {
		return err
	}
	if now := store.Now(); lockedUntil > now {
		return apperr.New(apperr.TooMany, "locked", "", "err.login.locked", (lockedUntil-now+59_999)/60_000)
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if err := useCode(ctx, tx, s.UserID, code, false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET stage = $1 WHERE id = $2 AND user_id = $3`, StageFull, s.ID, s.UserID); err != nil {
			return err
		}
		// the failure count ends only when both factors succeeded
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, s.UserID); err != nil {
			return err
		}
		return appendUserEvent(ctx, tx, s.UserID, "auth.login")
	})
	if !errors.Is(err, ErrBadCode) {
		return err
	}
	// count the failure; too many end the session and lock the account
	db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`,
			s.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= pol.MaxFailures {
			tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2`, store.Now()+pol.LockFor.Milliseconds(), s.UserID)
			// every session still waiting for a code ends, not only this one
			tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND stage <> $2`, s.UserID, StageFull)
		}
		return appendUserEvent(ctx, tx, s.UserID, "auth.login_failed")
	})
	return ErrBadCode
}

// DisableTOTP turns the second factor off for the user: by the user (not
// allowed when a role requires it) or by an admin resetting a lost phone.
func DisableTOTP(ctx context.Context, db *store.DB, p *org.Principal, username string) error {
	u, err := org.GetUser(ctx, db, p, username)
	if err != nil {
		return err
	}
	self := u.ID == p.UserID
	if !self {
		// an administrator resetting a lost phone must reach every grant the person holds
		if err := org.CanManage(ctx, db.Read, p, u); err != nil {
			return err
		}
	}
	if self {
		if req, err := TOTPRequired(ctx, db.Read, u.ID); err != nil {
			return err
		} else if req {
			return apperr.New(apperr.Conflict, "totp_required", "", "err.totp.required_for_role")
		}
	}
	defer org.PrincipalChanged() // the principal carries the second-factor flag
	return db.Tx(ctx, func(tx *sql.Tx) error {
		org.PrincipalChanged()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE id = $1`, u.ID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "auth.totp_disabled", ObjectType: "user",
			ObjectID: u.Username, UnitID: u.UnitID})
		return err
	})
}

func appendUserEvent(ctx context.Context, tx *sql.Tx, userID int64, action string) error {
	var name string
	var unit int64
	if err := tx.QueryRowContext(ctx, `SELECT username, unit_id FROM users WHERE id = $1`, userID).Scan(&name, &unit); err != nil {
		return err
	}
	_, err := audit.Append(ctx, tx, audit.Event{Actor: audit.Actor{ID: userID, Name: name}, Action: action,
		ObjectType: "user", ObjectID: name, UnitID: unit})
	return err
}
