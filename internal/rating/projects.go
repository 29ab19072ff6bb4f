package rating

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/store"
)

// Ratings of a 实事项目 come from people without an account, on a public page
// that sets no cookie. One rating per person is approximated by two things:
//
//   - the page hands out a token in a hidden form field: a random nonce with an
//     HMAC under a server secret, bound to the project. A token rates once
//     (the nonce is the rating's unique key) and cannot be forged or moved to
//     another project;
//   - each client address may rate each project a few times a day, counted in
//     the reporting channel's salted, daily-forgotten buckets (no address is
//     stored).
//
// The trade-off: someone who reloads the page gets a fresh token, so the
// address limit is what bounds repeated ratings, and people behind one
// address (a household, an office NAT) share its allowance. A cookie would
// tell returning browsers apart better, but the public pages of this product
// set none, so that nothing on a citizen's device shows they were there.

// TargetProject rates a project.
const TargetProject = "project"

// ProjectPerDay is how many ratings one client address may give one project a day.
const ProjectPerDay = 3

// ProjectRef is what a project rating needs of the project.
type ProjectRef struct {
	ID     int64
	Number string
	UnitID int64
	Open   bool // public and adopted: open to ratings
}

// Limiter counts a public action of an address inside tx and refuses it past
// max (internal/report's salted daily buckets).
type Limiter func(ctx context.Context, tx *sql.Tx, action, addr string, max int) error

const settingSecret = "rating.token_secret"

// secret returns the server's token key, made on first use (any node may be
// first; the row that lands wins).
func (r *Ratings) secret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := r.DB.Write.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, settingSecret, hex.EncodeToString(fresh), r.now().UnixMilli()); err != nil {
		return nil, err
	}
	var v string
	if err := r.DB.Write.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, settingSecret).Scan(&v); err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

func mac(secret []byte, purpose string, id int64, nonce string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose + ":" + strconv.FormatInt(id, 10) + ":" + nonce))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Token hands out a fresh rating token for a project's public page.
func (r *Ratings) Token(ctx context.Context, projectID int64) (string, error) {
	return r.TokenFor(ctx, TargetProject, projectID)
}

// TokenFor hands out a fresh single-use token for a public action (purpose)
// on one object: other capabilities' cookie-free public forms (群众点单
// votes) use the same scheme.
func (r *Ratings) TokenFor(ctx context.Context, purpose string, id int64) (string, error) {
	secret, err := r.secret(ctx)
	if err != nil {
		return "", err
	}
	b := make([]byte, 16)
	rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	return nonce + "." + mac(secret, purpose, id, nonce), nil
}

// checkToken returns the token's nonce when it is genuine for the project.
func (r *Ratings) checkToken(ctx context.Context, projectID int64, token string) (string, error) {
	return r.CheckTokenFor(ctx, TargetProject, projectID, token)
}

// CheckTokenFor returns the nonce of a token made by TokenFor for the same
// purpose and object; the caller makes the nonce single-use.
func (r *Ratings) CheckTokenFor(ctx context.Context, purpose string, id int64, token string) (string, error) {
	nonce, sum, ok := strings.Cut(strings.TrimSpace(token), ".")
	if !ok || len(nonce) != 22 {
		return "", apperr.Invalidf("token", "err.rating.token")
	}
	secret, err := r.secret(ctx)
	if err != nil {
		return "", err
	}
	if !hmac.Equal([]byte(sum), []byte(mac(secret, purpose, id, nonce))) {
		return "", apperr.Invalidf("token", "err.rating.token")
	}
	return nonce, nil
}

// RateProject records a person's rating of an open project, once per token
// and within the address's daily allowance. A 差评 opens a ledger item like
// any other.
func (r *Ratings) RateProject(ctx context.Context, ref ProjectRef, token, addr string, in Input) (Rating, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Rating{}, err
	}
	if !ref.Open {
		return Rating{}, apperr.ErrNotFound
	}
	nonce, err := r.checkToken(ctx, ref.ID, token)
	if err != nil {
		return Rating{}, err
	}
	once := TargetProject + ":" + strconv.FormatInt(ref.ID, 10) + ":" + nonce
	now := r.now()
	var id int64
	err = r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if r.Limit != nil {
			if err := r.Limit(ctx, tx, "rate-"+strconv.FormatInt(ref.ID, 10), addr, ProjectPerDay); err != nil {
				return err
			}
		}
		number, err := nextNumber(ctx, tx, calendar.Today(now).Year())
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO ratings (number, target_type, target_id, target_ref, once_key, unit_id,
			channel, level, dim_efficiency, dim_attitude, dim_result, comment, real_name, first_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13, $13)
			ON CONFLICT (once_key) DO NOTHING RETURNING id`,
			number, TargetProject, ref.ID, ref.Number, once, ref.UnitID, Online, in.Level, in.Dimensions.Efficiency,
			in.Dimensions.Attitude, in.Dimensions.Result, in.Comment, now.UnixMilli()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.Conflict, "rated", "", "err.rating.token_used")
		}
		if err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: Actor, Action: "rating.create", ObjectType: "rating",
			ObjectID: number, UnitID: ref.UnitID, Detail: map[string]any{"level": in.Level, "channel": Online,
				"project": ref.Number}}); err != nil {
			return err
		}
		if Bad(in.Level) {
			return r.openProblem(ctx, tx, public, id, number, ref.UnitID, in)
		}
		return nil
	})
	if err != nil {
		return Rating{}, err
	}
	return load(ctx, r.DB.Write, "g.id = $1", id)
}

// CountForProject counts a project's ratings that count (not set aside by an
// upheld appeal), inside the caller's transaction.
func CountForProject(ctx context.Context, q store.Queryer, projectID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings WHERE target_type = $1 AND target_id = $2 AND excluded = 0`,
		TargetProject, projectID).Scan(&n)
	return n, err
}

// ProjectFigures are a project's public rating figures.
type ProjectFigures struct {
	Count   int     `json:"count"`
	Average float64 `json:"average"`
	Share   Share   `json:"satisfaction"`
}

// ForProject returns a project's rating figures (upheld appeals excluded).
func (r *Ratings) ForProject(ctx context.Context, projectID int64) (ProjectFigures, error) {
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT level FROM ratings WHERE target_type = $1 AND target_id = $2 AND excluded = 0`,
		TargetProject, projectID)
	if err != nil {
		return ProjectFigures{}, err
	}
	defer rows.Close()
	var list []Row
	for rows.Next() {
		var row Row
		if err := rows.Scan(&row.Level); err != nil {
			return ProjectFigures{}, err
		}
		list = append(list, row)
	}
	m := Compute(list, nil)
	return ProjectFigures{Count: m.Counted, Average: m.Average, Share: m.Satisfaction}, rows.Err()
}
