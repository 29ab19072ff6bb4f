package project

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// 承诺践诺: a unit pledges something to the public by a day (承诺) and later
// records, with evidence, how it kept the pledge (践诺). A pledge is kept only
// with its evidence file, like a project's milestone.

// Pledge is one pledge.
type Pledge struct {
	ID         int64  `json:"id"`
	UnitCode   string `json:"unit_code"`
	UnitName   string `json:"unit_name"`
	UnitPath   string `json:"-"`
	UnitID     int64  `json:"-"`
	Content    string `json:"content"`
	Due        string `json:"due"`
	Public     bool   `json:"public"`
	KeptAt     int64  `json:"kept_at,omitempty"`
	KeptBy     string `json:"kept_by,omitempty"`
	KeptNote   string `json:"kept_note,omitempty"`
	EvidenceID int64  `json:"evidence_id,omitempty"`
	Late       bool   `json:"late"` // past its day and not kept
	CreatedAt  int64  `json:"created_at"`
}

// PledgeInput makes a pledge.
type PledgeInput struct {
	UnitCode string `json:"unit_code"`
	Content  string `json:"content"`
	Due      string `json:"due"`
	Public   bool   `json:"public"`
}

// Validate checks a pledge and returns its day.
func (in *PledgeInput) Validate() (string, error) {
	in.UnitCode, in.Content, in.Due = strings.TrimSpace(in.UnitCode), strings.TrimSpace(in.Content), strings.TrimSpace(in.Due)
	if in.UnitCode == "" {
		return "", apperr.Invalidf("unit_code", "err.project.unit_code.required")
	}
	if err := checkText("content", in.Content, true, maxWhat); err != nil {
		return "", err
	}
	d, err := calendar.ParseDate(in.Due)
	if err != nil {
		return "", apperr.Invalidf("due", "err.project.date")
	}
	return calendar.FormatDay(d), nil
}

const selectPledge = `SELECT g.id, un.code, un.name, un.path, g.unit_id, g.content, g.due_on, g.public, COALESCE(g.kept_at, 0),
	COALESCE(ku.name, ''), g.kept_note, COALESCE(g.evidence_id, 0), g.created_at
	FROM pledges g JOIN units un ON un.id = g.unit_id LEFT JOIN users ku ON ku.id = g.kept_by`

func (s *Projects) scanPledges(ctx context.Context, q store.Queryer, where string, args ...any) ([]Pledge, error) {
	rows, err := q.QueryContext(ctx, selectPledge+` WHERE `+where+` ORDER BY g.due_on, g.id LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	today := calendar.FormatDay(calendar.Today(s.now()))
	var out []Pledge
	for rows.Next() {
		var g Pledge
		var pub int
		if err := rows.Scan(&g.ID, &g.UnitCode, &g.UnitName, &g.UnitPath, &g.UnitID, &g.Content, &g.Due, &pub, &g.KeptAt,
			&g.KeptBy, &g.KeptNote, &g.EvidenceID, &g.CreatedAt); err != nil {
			return nil, err
		}
		g.Public, g.Late = pub == 1, g.KeptAt == 0 && g.Due < today
		out = append(out, g)
	}
	return out, rows.Err()
}

// Pledge records a pledge of a unit where p may write.
func (s *Projects) Pledge(ctx context.Context, p *org.Principal, in PledgeInput) (Pledge, error) {
	due, err := in.Validate()
	if err != nil {
		return Pledge{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		unit, err := org.UnitByCode(ctx, tx, in.UnitCode)
		if err != nil || !org.Can(p, Write, unit.Path) {
			return apperr.Invalidf("unit_code", "err.project.unit_code.unknown", in.UnitCode)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO pledges (unit_id, content, due_on, public, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, unit.ID, in.Content, due, boolInt(in.Public), p.UserID,
			s.now().UnixMilli()).Scan(&id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "pledge.create", ObjectType: "pledge",
			ObjectID: strconv.FormatInt(id, 10), UnitID: unit.ID, Detail: map[string]any{"content": in.Content, "due": due}})
		return err
	})
	if err != nil {
		return Pledge{}, err
	}
	list, err := s.scanPledges(ctx, s.DB.Write, "g.id = $1", id)
	if err != nil || len(list) == 0 {
		return Pledge{}, errors.Join(err, apperr.ErrNotFound)
	}
	return list[0], nil
}

// KeepPledge records how a pledge was kept; the evidence file is required.
func (s *Projects) KeepPledge(ctx context.Context, p *org.Principal, id int64, note string, file *Upload) (Pledge, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, false, maxWhat); err != nil {
		return Pledge{}, err
	}
	if file == nil {
		return Pledge{}, apperr.Invalidf("evidence", "err.project.evidence.required")
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		list, err := s.scanPledges(ctx, tx, "g.id = $1", id)
		if err != nil {
			return err
		}
		if len(list) == 0 || !org.Can(p, Read, list[0].UnitPath) {
			return apperr.ErrNotFound
		}
		g := list[0]
		if !org.Can(p, Write, g.UnitPath) {
			return apperr.ErrForbidden
		}
		if g.KeptAt != 0 {
			return apperr.New(apperr.Conflict, "kept", "", "err.project.pledge_kept")
		}
		a, err := s.Files.Put(ctx, tx, p.UserID, file.Name, file.R)
		if err != nil {
			if e := apperr.As(err); e != nil && e.Kind == apperr.Invalid {
				c := *e
				c.Field = "evidence"
				return &c
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pledges SET kept_at = $1, kept_by = $2, kept_note = $3, evidence_id = $4 WHERE id = $5`,
			s.now().UnixMilli(), p.UserID, note, a.ID, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "pledge.keep", ObjectType: "pledge",
			ObjectID: strconv.FormatInt(id, 10), UnitID: g.UnitID, Detail: map[string]any{"note": note, "evidence": a.Name}})
		return err
	})
	if err != nil {
		return Pledge{}, err
	}
	list, err := s.scanPledges(ctx, s.DB.Write, "g.id = $1", id)
	if err != nil || len(list) == 0 {
		return Pledge{}, errors.Join(err, apperr.ErrNotFound)
	}
	return list[0], nil
}

// Pledges lists the pledges p may read (at most 500, by day).
func (s *Projects) Pledges(ctx context.Context, p *org.Principal) ([]Pledge, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	scope, ok := org.ScopeSQL(p, Read, "un.path", arg)
	if !ok {
		return nil, nil
	}
	return s.scanPledges(ctx, s.DB.Read, scope, args...)
}

// PublicPledges lists the public pledges of a unit's subtree (all when code
// is empty), personal data masked.
func (s *Projects) PublicPledges(ctx context.Context, code string) ([]Pledge, error) {
	out, err := s.publicPledges(ctx, code)
	for i := range out {
		out[i].Content, out[i].KeptNote = text.Mask(out[i].Content), text.Mask(out[i].KeptNote)
	}
	return out, err
}

func (s *Projects) publicPledges(ctx context.Context, code string) ([]Pledge, error) {
	if code == "" {
		return s.scanPledges(ctx, s.DB.Read, "g.public = 1")
	}
	unit, err := org.UnitByCode(ctx, s.DB.Read, code)
	if err != nil {
		return nil, apperr.Invalidf("unit", "err.project.unit_code.unknown", code)
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	return s.scanPledges(ctx, s.DB.Read, "g.public = 1 AND "+store.Subtree("un.path", unit.Path, arg), args...)
}
