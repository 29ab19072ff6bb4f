package auth

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// TokenPrefix starts every API token, so a leaked one is recognisable (secret scanners).
const TokenPrefix = "lst_"

var tokenRE = regexp.MustCompile(`^lst_[A-Za-z0-9_-]{43}$`)

// Token is an API token as listed (never with its secret).
type Token struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Prefix     string `json:"prefix"`
	CreatedAt  int64  `json:"created_at"`
	LastUsedAt int64  `json:"last_used_at,omitempty"`
	RevokedAt  int64  `json:"revoked_at,omitempty"`
}

// CreateToken issues a token for the user; the secret is returned once. p is
// who asks (nil for the command line, which acts as the system).
func CreateToken(ctx context.Context, db *store.DB, p *org.Principal, username, name string) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "api"
	}
	if utf8.RuneCountInString(name) > 60 {
		return "", Token{}, apperr.Invalidf("name", "err.token.name_too_long", 60)
	}
	username = strings.ToLower(strings.TrimSpace(username))
	if p != nil && username != p.Username {
		// tokens are personal: nobody mints one for another person (checked before
		// the lookup, so the answer does not reveal whether the name exists)
		return "", Token{}, apperr.ErrForbidden
	}
	u, err := org.UserByUsername(ctx, db.Read, username)
	if err != nil {
		return "", Token{}, apperr.Invalidf("user", "err.user.not_found", username)
	}
	if p != nil && p.UserID != u.ID {
		return "", Token{}, apperr.ErrForbidden
	}
	if u.Disabled {
		return "", Token{}, apperr.Invalidf("user", "err.user.disabled", username)
	}
	secret := TokenPrefix + randomToken(32)
	t := Token{Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: store.Now()}
	actor := audit.Actor{Name: "cli"}
	if p != nil {
		actor = p.Actor()
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, u.ID, t.Name, t.Prefix, HashSecret(secret), t.CreatedAt).Scan(&t.ID); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "token.create", ObjectType: "token",
			ObjectID: strconv.FormatInt(t.ID, 10), UnitID: u.UnitID, Detail: map[string]any{"user": u.Username, "name": t.Name}})
		return err
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// ListTokens lists the principal's own tokens.
func ListTokens(ctx context.Context, db *store.DB, p *org.Principal) ([]Token, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, name, prefix, created_at, COALESCE(last_used_at, 0), COALESCE(revoked_at, 0)
		FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, p.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends one of the principal's tokens.
func RevokeToken(ctx context.Context, db *store.DB, p *org.Principal, id int64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL`,
			store.Now(), id, p.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.ErrNotFound
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "token.revoke", ObjectType: "token",
			ObjectID: strconv.FormatInt(id, 10), UnitID: p.UnitID})
		return err
	})
}

// AuthenticateToken resolves a Bearer token to its user and token id.
func AuthenticateToken(ctx context.Context, db *store.DB, secret string) (userID, tokenID int64, err error) {
	if !tokenRE.MatchString(secret) {
		return 0, 0, apperr.New(apperr.Unauthorized, "malformed_token", "", "err.token.malformed")
	}
	var revoked, lastUsed int64
	var disabled int64
	err = db.Read.QueryRowContext(ctx, `SELECT t.id, t.user_id, COALESCE(t.revoked_at, 0), COALESCE(t.last_used_at, 0),
		COALESCE(u.disabled_at, 0) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
		HashSecret(secret)).Scan(&tokenID, &userID, &revoked, &lastUsed, &disabled)
	// a disabled person's tokens stop at once, even one that escaped revocation
	if errors.Is(err, sql.ErrNoRows) || revoked != 0 || disabled != 0 {
		return 0, 0, ErrBadToken
	}
	if err != nil {
		return 0, 0, err
	}
	if now := store.Now(); now-lastUsed >= touchEvery.Milliseconds() {
		db.Write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, tokenID)
	}
	return userID, tokenID, nil
}
