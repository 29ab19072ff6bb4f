package project

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// 群众点单 (the public orders, the unit takes the order, the public signs it
// off): a person proposes a need to a unit on a public page without an
// account and gets a receipt and key to follow it; others support it with a
// vote (one per signed page token, a few per address a day, no identity
// kept, as for project ratings); the unit takes it into a 实事项目 (接单)
// or declines it with a reason the public sees. The sign-off is the public
// rating of the project the need became.

// Need statuses.
const (
	NeedOpen     = "open"
	NeedTaken    = "taken"
	NeedDeclined = "declined"
)

// NeedStatuses in display order.
var NeedStatuses = []string{NeedOpen, NeedTaken, NeedDeclined}

// Limits on the public channel, per client address a day.
const (
	NeedsPerDay      = 5
	NeedVotesPerDay  = 20
	NeedLookupPerDay = 30
	voteTokenPurpose = "need"
	maxNeedBody      = 2000
	maxNeedPlace     = 200
)

// Tokens signs the single-use tokens of cookie-free public forms
// (implemented by *rating.Ratings).
type Tokens interface {
	TokenFor(ctx context.Context, purpose string, id int64) (string, error)
	CheckTokenFor(ctx context.Context, purpose string, id int64, token string) (string, error)
}

// Need is a proposal from the public.
type Need struct {
	ID           int64  `json:"id"`
	UnitID       int64  `json:"-"`
	UnitCode     string `json:"unit_code"`
	UnitName     string `json:"unit_name"`
	UnitPath     string `json:"-"`
	Area         string `json:"area"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	Place        string `json:"place,omitempty"`
	Status       string `json:"status"`
	Votes        int    `json:"votes"`
	ProjectID    int64  `json:"project_id,omitempty"`
	ProjectTitle string `json:"project_title,omitempty"`
	// ProjectPublic tells whether the project may be linked on public pages.
	ProjectPublic bool   `json:"-"`
	Answer        string `json:"answer,omitempty"`
	AnsweredAt    int64  `json:"answered_at,omitempty"`
	CreatedAt     int64  `json:"created_at"`
}

// NeedInput is what a person proposes.
type NeedInput struct {
	UnitCode string `json:"unit_code"`
	Area     string `json:"area"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Place    string `json:"place"`
}

// Validate trims and checks a proposal.
func (in *NeedInput) Validate() error {
	for _, s := range []*string{&in.UnitCode, &in.Area, &in.Title, &in.Body, &in.Place} {
		*s = strings.TrimSpace(*s)
	}
	if in.UnitCode == "" {
		return apperr.Invalidf("unit_code", "err.need.unit_required")
	}
	if !slices.Contains(Areas, in.Area) {
		return apperr.Invalidf("area", "err.project.area")
	}
	if err := checkText("title", in.Title, true, maxTitle); err != nil {
		return err
	}
	if strings.TrimSpace(in.Body) == "" {
		return apperr.Invalidf("body", "err.need.body_required")
	}
	if err := checkText("body", in.Body, true, maxNeedBody); err != nil {
		return err
	}
	return checkText("place", in.Place, false, maxNeedPlace)
}

// NeedReceipt is what the proposer keeps: shown once, the key never again.
type NeedReceipt struct {
	ID      int64  `json:"id"`
	Receipt string `json:"receipt"`
	Key     string `json:"key"`
}

// Masked returns the need as the public sees it: personal data in its text
// masked (a proposer may write a phone number into a public page).
func (n Need) Masked() Need {
	n.Title, n.Body, n.Place, n.Answer = text.Mask(n.Title), text.Mask(n.Body), text.Mask(n.Place), text.Mask(n.Answer)
	if !n.ProjectPublic {
		n.ProjectID, n.ProjectTitle = 0, ""
	}
	return n
}

const selectNeed = `SELECT n.id, n.unit_id, un.code, un.name, un.path, n.area, n.title, n.body, n.place, n.status, n.votes,
	COALESCE(n.project_id, 0), COALESCE(p.title, ''), COALESCE(p.public, 0), COALESCE(p.status, ''), n.answer,
	COALESCE(n.answered_at, 0), n.created_at
	FROM needs n JOIN units un ON un.id = n.unit_id LEFT JOIN projects p ON p.id = n.project_id`

func scanNeed(s interface{ Scan(...any) error }) (Need, error) {
	var n Need
	var public int
	var pstatus string
	err := s.Scan(&n.ID, &n.UnitID, &n.UnitCode, &n.UnitName, &n.UnitPath, &n.Area, &n.Title, &n.Body, &n.Place, &n.Status,
		&n.Votes, &n.ProjectID, &n.ProjectTitle, &public, &pstatus, &n.Answer, &n.AnsweredAt, &n.CreatedAt)
	n.ProjectPublic = public == 1 && pstatus != string(Proposed) && pstatus != ""
	return n, err
}

func loadNeed(ctx context.Context, q store.Queryer, id int64) (Need, error) {
	n, err := scanNeed(q.QueryRowContext(ctx, selectNeed+` WHERE n.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, apperr.ErrNotFound
	}
	return n, err
}

func (s *Projects) limit(ctx context.Context, tx *sql.Tx, action, addr string, max int) error {
	if s.Limit == nil {
		return nil
	}
	return s.Limit(ctx, tx, action, addr, max)
}

// ProposeNeed records a need from the public and returns its receipt and key.
func (s *Projects) ProposeNeed(ctx context.Context, in NeedInput, addr string) (NeedReceipt, error) {
	if err := in.Validate(); err != nil {
		return NeedReceipt{}, err
	}
	key := report.NewKey()
	hash := report.HashKey(key) // outside the transaction: it is the slow part
	var out NeedReceipt
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.limit(ctx, tx, "need", addr, NeedsPerDay); err != nil {
			return err
		}
		unit, err := org.UnitByCode(ctx, tx, in.UnitCode)
		if err != nil || unit.Closed {
			return apperr.Invalidf("unit_code", "err.need.unit_unknown", in.UnitCode)
		}
		now := s.now().UnixMilli()
		// a receipt is 12 random digits: a collision is retried, not reported
		for range 5 {
			out.Receipt = report.NewReceipt()
			err = tx.QueryRowContext(ctx, `INSERT INTO needs (receipt, key_hash, unit_id, area, title, body, place, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (receipt) DO NOTHING RETURNING id`,
				out.Receipt, hash, unit.ID, in.Area, in.Title, in.Body, in.Place, NeedOpen, now).Scan(&out.ID)
			if !errors.Is(err, sql.ErrNoRows) {
				break
			}
		}
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: rating.Actor, Action: "need.create", ObjectType: "need",
			ObjectID: strconv.FormatInt(out.ID, 10), UnitID: unit.ID, Detail: map[string]any{"area": in.Area}})
		return err
	})
	if err != nil {
		return NeedReceipt{}, err
	}
	out.Key = key
	return out, nil
}

// NeedFilter selects needs.
type NeedFilter struct {
	Unit    string
	Status  string
	Page    int
	PerPage int
}

// needWhere adds the filter's status to a query's conditions.
func needWhere(where []string, f NeedFilter, arg func(any) string) ([]string, error) {
	if f.Status == "" {
		return where, nil
	}
	if !slices.Contains(NeedStatuses, f.Status) {
		return nil, apperr.Invalidf("status", "err.need.status")
	}
	return append(where, "n.status = "+arg(f.Status)), nil
}

func (s *Projects) needs(ctx context.Context, where []string, args []any, f NeedFilter) ([]Need, int, error) {
	w := strings.Join(where, " AND ")
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM needs n JOIN units un ON un.id = n.unit_id WHERE `+w,
		args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := store.Page(f.Page, f.PerPage)
	rows, err := s.DB.Read.QueryContext(ctx, selectNeed+` WHERE `+w+` ORDER BY n.votes DESC, n.created_at DESC, n.id DESC LIMIT `+
		strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Need
	for rows.Next() {
		n, err := scanNeed(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	return out, total, rows.Err()
}

// PublicNeeds lists the needs proposed to a unit's subtree (all when code
// is empty), most supported first, masked for the public.
func (s *Projects) PublicNeeds(ctx context.Context, code string, f NeedFilter) ([]Need, int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"true"}
	if code = strings.TrimSpace(code); code != "" {
		unit, err := org.UnitByCode(ctx, s.DB.Read, code)
		if err != nil {
			return nil, 0, apperr.Invalidf("unit", "err.project.unit_code.unknown", code)
		}
		where = append(where, store.Subtree("un.path", unit.Path, arg))
	}
	where, err := needWhere(where, f, arg)
	if err != nil {
		return nil, 0, err
	}
	out, total, err := s.needs(ctx, where, args, f)
	for i := range out {
		out[i] = out[i].Masked()
	}
	return out, total, err
}

// PublicNeed loads one need as the public sees it.
func (s *Projects) PublicNeed(ctx context.Context, id int64) (Need, error) {
	n, err := loadNeed(ctx, s.DB.Read, id)
	return n.Masked(), err
}

// VoteToken hands out a single-use token for the vote form of a need.
func (s *Projects) VoteToken(ctx context.Context, id int64) (string, error) {
	if s.Tokens == nil {
		return "", errors.New("project: no token signer")
	}
	return s.Tokens.TokenFor(ctx, voteTokenPurpose, id)
}

// VoteNeed adds one supporting vote to an open need, once per token and
// within the address's daily allowance.
func (s *Projects) VoteNeed(ctx context.Context, id int64, token, addr string) (Need, error) {
	if s.Tokens == nil {
		return Need{}, errors.New("project: no token signer")
	}
	nonce, err := s.Tokens.CheckTokenFor(ctx, voteTokenPurpose, id, token)
	if err != nil {
		return Need{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := loadNeed(ctx, tx, id)
		if err != nil {
			return err
		}
		if n.Status != NeedOpen {
			return apperr.New(apperr.Conflict, "need_closed", "", "err.need.not_open")
		}
		if err := s.limit(ctx, tx, "need-vote", addr, NeedVotesPerDay); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO need_votes (need_id, nonce, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (need_id, nonce) DO NOTHING`, id, nonce, s.now().UnixMilli())
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return apperr.New(apperr.Conflict, "voted", "", "err.need.voted")
		}
		_, err = tx.ExecContext(ctx, `UPDATE needs SET votes = votes + 1, updated_at = $1 WHERE id = $2`, s.now().UnixMilli(), id)
		return err
	})
	if err != nil {
		return Need{}, err
	}
	return s.PublicNeed(ctx, id)
}

// FollowNeed is the proposer's view of a need, by its receipt and key.
// Any failure is the same answer, so a guess learns nothing.
func (s *Projects) FollowNeed(ctx context.Context, receipt, key, addr string) (Need, error) {
	receipt, key = report.NormalizeReceipt(receipt), report.NormalizeKey(key)
	var id int64
	var hash string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.limit(ctx, tx, "need-follow", addr, NeedLookupPerDay); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT id, key_hash FROM needs WHERE receipt = $1`, receipt).Scan(&id, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return Need{}, err
	}
	if receipt == "" || key == "" || !report.CheckKey(key, hash) {
		return Need{}, apperr.Invalidf("key", "err.need.follow")
	}
	n, err := loadNeed(ctx, s.DB.Read, id)
	return n.Masked(), err
}

// Needs lists the needs addressed to units p may read, most supported first.
func (s *Projects) Needs(ctx context.Context, p *org.Principal, f NeedFilter) ([]Need, int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	scope, ok := org.ScopeSQL(p, Read, "un.path", arg)
	if !ok {
		return nil, 0, nil
	}
	where := []string{scope}
	if f.Unit != "" {
		unit, err := org.GetUnit(ctx, s.DB, p, f.Unit)
		if apperr.As(err) != nil {
			return nil, 0, apperr.Invalidf("unit", "err.project.unit_code.unknown", f.Unit)
		} else if err != nil {
			return nil, 0, err
		}
		where = append(where, store.Subtree("un.path", unit.Path, arg))
	}
	where, err := needWhere(where, f, arg)
	if err != nil {
		return nil, 0, err
	}
	return s.needs(ctx, where, args, f)
}

// Need loads a need p may read; others are not found.
func (s *Projects) Need(ctx context.Context, p *org.Principal, id int64) (Need, error) {
	n, err := loadNeed(ctx, s.DB.Read, id)
	if err != nil {
		return Need{}, err
	}
	if !org.Can(p, Read, n.UnitPath) {
		return Need{}, apperr.ErrNotFound
	}
	return n, nil
}

// openNeed loads an open need inside tx for a unit's answer.
func openNeed(ctx context.Context, tx *sql.Tx, p *org.Principal, id int64) (Need, error) {
	n, err := loadNeed(ctx, tx, id)
	if err != nil {
		return n, err
	}
	if !org.Can(p, Read, n.UnitPath) {
		return Need{}, apperr.ErrNotFound
	}
	if !org.Can(p, Write, n.UnitPath) {
		return Need{}, apperr.ErrForbidden
	}
	if n.Status != NeedOpen {
		return Need{}, apperr.New(apperr.Conflict, "need_answered", "", "err.need.not_open")
	}
	return n, nil
}

// takeNeed marks a need taken into project projectID (接单), inside the
// transaction that creates the project.
func takeNeed(ctx context.Context, tx *sql.Tx, p *org.Principal, id, projectID int64, projectNumber string, now int64) error {
	n, err := openNeed(ctx, tx, p, id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE needs SET status = $1, project_id = $2, answered_by = $3, answered_at = $4, updated_at = $4
		WHERE id = $5`, NeedTaken, projectID, p.UserID, now, id); err != nil {
		return err
	}
	_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "need.take", ObjectType: "need",
		ObjectID: strconv.FormatInt(id, 10), UnitID: n.UnitID, Detail: map[string]any{"project": projectNumber}})
	return err
}

// DeclineNeed answers an open need with the reason it is not taken; the
// reason is public.
func (s *Projects) DeclineNeed(ctx context.Context, p *org.Principal, id int64, reason string) (Need, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Need{}, apperr.Invalidf("answer", "err.need.reason_required")
	}
	if err := checkText("answer", reason, true, maxWhat); err != nil {
		return Need{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		n, err := openNeed(ctx, tx, p, id)
		if err != nil {
			return err
		}
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE needs SET status = $1, answer = $2, answered_by = $3, answered_at = $4, updated_at = $4
			WHERE id = $5`, NeedDeclined, reason, p.UserID, now, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "need.decline", ObjectType: "need",
			ObjectID: strconv.FormatInt(id, 10), UnitID: n.UnitID, Detail: map[string]any{"reason": reason}})
		return err
	})
	if err != nil {
		return Need{}, err
	}
	return s.Need(ctx, p, id)
}

// UnitChoice is a unit the public may address a need to.
type UnitChoice struct {
	Code, Name string
	Depth      int
}

// PublicUnits lists the open units down to the organs (departments are the
// organs' business), in tree order, for the public proposal form.
func (s *Projects) PublicUnits(ctx context.Context) ([]UnitChoice, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT code, name, depth FROM units
		WHERE closed_at IS NULL AND kind <> 'department' ORDER BY path LIMIT 5000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UnitChoice
	for rows.Next() {
		var u UnitChoice
		if err := rows.Scan(&u.Code, &u.Name, &u.Depth); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
