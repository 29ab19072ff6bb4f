package project

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/store"
)

// Projects is 我为群众办实事 over one database and attachments store.
type Projects struct {
	DB    *store.DB
	Files *attach.Store
	Clock func() time.Time
	// Tokens signs the 群众点单 vote forms; Limit counts public actions per
	// address (the reporting channel's buckets). Both set by the server.
	Tokens Tokens
	Limit  rating.Limiter
}

// New returns the projects.
func New(db *store.DB, files *attach.Store) *Projects {
	return &Projects{DB: db, Files: files, Clock: time.Now}
}

func (s *Projects) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// Upload is an evidence file as it arrives.
type Upload struct {
	Name string
	R    io.Reader
}

const selectProject = `SELECT p.id, p.number, p.title, p.area, p.unit_id, un.code, un.name, un.path,
	lu.username, lu.name, hu.username, hu.name, p.beneficiaries, p.plan, p.measures, p.start_on, p.end_on, p.public,
	p.status, p.evaluation, COALESCE(eu.name, ''), COALESCE(p.evaluated_at, 0), p.created_at, p.updated_at
	FROM projects p JOIN units un ON un.id = p.unit_id JOIN users lu ON lu.id = p.leader_id
	JOIN users hu ON hu.id = p.handler_id LEFT JOIN users eu ON eu.id = p.evaluated_by`

func scan(s interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var pub int
	var eval string
	err := s.Scan(&p.ID, &p.Number, &p.Title, &p.Area, &p.UnitID, &p.UnitCode, &p.UnitName, &p.UnitPath,
		&p.Leader, &p.LeaderName, &p.Handler, &p.HandlerName, &p.Beneficiaries, &p.Plan, &p.Measures, &p.Start, &p.End,
		&pub, &p.Status, &eval, &p.EvaluatedBy, &p.EvaluatedAt, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	p.Public = pub == 1
	if eval != "" {
		if err := json.Unmarshal([]byte(eval), &p.Evaluation); err != nil {
			return p, err
		}
	}
	return p, nil
}

func load(ctx context.Context, q store.Queryer, id int64) (Project, error) {
	p, err := scan(q.QueryRowContext(ctx, selectProject+` WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.Milestones, err = milestones(ctx, q, id)
	p.Progress = Progress(p.Milestones)
	return p, err
}

func milestones(ctx context.Context, q store.Queryer, id int64) ([]Milestone, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.due_on, m.what, m.weight, COALESCE(m.done_at, 0), COALESCE(u.name, ''),
		COALESCE(m.evidence_id, 0), COALESCE(a.name, ''), m.note FROM project_milestones m
		LEFT JOIN users u ON u.id = m.done_by LEFT JOIN attachments a ON a.id = m.evidence_id
		WHERE m.project_id = $1 ORDER BY m.due_on, m.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Milestone
	for rows.Next() {
		var m Milestone
		if err := rows.Scan(&m.ID, &m.Due, &m.What, &m.Weight, &m.DoneAt, &m.DoneBy, &m.EvidenceID, &m.Evidence, &m.Note); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// person finds an active user of the unit's subtree by username.
func person(ctx context.Context, q store.Queryer, field, username string, unit org.Unit) (int64, error) {
	u, err := org.UserByUsername(ctx, q, username)
	if err != nil || u.Disabled || !strings.HasPrefix(u.UnitPath, unit.Path) {
		return 0, apperr.Invalidf(field, "err.project.person", username, unit.Name)
	}
	return u.ID, nil
}

// Create records a proposed project in a unit where p may write.
func (s *Projects) Create(ctx context.Context, p *org.Principal, in Input) (Project, error) {
	in.Normalize()
	start, end, err := in.Validate()
	if err != nil {
		return Project{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		unit, err := org.UnitByCode(ctx, tx, in.UnitCode)
		if err != nil || !org.Can(p, Write, unit.Path) {
			return apperr.Invalidf("unit_code", "err.project.unit_code.unknown", in.UnitCode)
		}
		if unit.Closed {
			return apperr.Invalidf("unit_code", "err.unit.parent_closed", unit.Name)
		}
		leader, err := person(ctx, tx, "leader", in.Leader, unit)
		if err != nil {
			return err
		}
		handler, err := person(ctx, tx, "handler", in.Handler, unit)
		if err != nil {
			return err
		}
		year := calendar.Today(s.now()).Year()
		n, err := store.Next(ctx, tx, "project-"+strconv.Itoa(year))
		if err != nil {
			return err
		}
		number := fmt.Sprintf("SS-%d-%06d", year, n)
		now := s.now().UnixMilli()
		if err := tx.QueryRowContext(ctx, `INSERT INTO projects (number, title, area, unit_id, leader_id, handler_id, beneficiaries,
			plan, measures, start_on, end_on, public, status, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
			number, in.Title, in.Area, unit.ID, leader, handler, in.Beneficiaries, in.Plan, in.Measures, start, end,
			boolInt(in.Public), string(Proposed), p.UserID, now).Scan(&id); err != nil {
			return err
		}
		if _, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "project.create", ObjectType: "project",
			ObjectID: number, UnitID: unit.ID, Detail: map[string]any{"title": in.Title, "area": in.Area, "public": in.Public}}); err != nil {
			return err
		}
		if in.NeedID != 0 {
			return takeNeed(ctx, tx, p, in.NeedID, id, number, now)
		}
		return nil
	})
	if err != nil {
		return Project{}, err
	}
	return load(ctx, s.DB.Write, id)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Get loads a project p may read; others are not found.
func (s *Projects) Get(ctx context.Context, p *org.Principal, id int64) (Project, error) {
	pr, err := load(ctx, s.DB.Read, id)
	if err != nil {
		return pr, err
	}
	if !org.Can(p, Read, pr.UnitPath) {
		return Project{}, apperr.ErrNotFound
	}
	return pr, nil
}

// Filter narrows a list.
type Filter struct {
	Unit    string
	Status  string
	Page    int
	PerPage int
}

// List returns the projects p may read, newest first.
func (s *Projects) List(ctx context.Context, p *org.Principal, f Filter) ([]Project, int, error) {
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
	if f.Status != "" {
		where = append(where, "p.status = "+arg(f.Status))
	}
	return s.list(ctx, strings.Join(where, " AND "), args, f)
}

func (s *Projects) list(ctx context.Context, where string, args []any, f Filter) ([]Project, int, error) {
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM projects p JOIN units un ON un.id = p.unit_id WHERE `+where,
		args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := store.Page(f.Page, f.PerPage)
	rows, err := s.DB.Read.QueryContext(ctx, selectProject+` WHERE `+where+` ORDER BY p.created_at DESC, p.id DESC LIMIT `+
		strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return nil, 0, err
	}
	var out []Project
	for rows.Next() {
		pr, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, pr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		if out[i].Milestones, err = milestones(ctx, s.DB.Read, out[i].ID); err != nil {
			return nil, 0, err
		}
		out[i].Progress = Progress(out[i].Milestones)
	}
	return out, total, nil
}

// PublicList lists the public projects of a unit's subtree (all units when
// code is empty), once adopted.
func (s *Projects) PublicList(ctx context.Context, code string, f Filter) ([]Project, int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"p.public = 1", "p.status <> " + arg(string(Proposed))}
	if code != "" {
		unit, err := org.UnitByCode(ctx, s.DB.Read, code)
		if err != nil {
			return nil, 0, apperr.Invalidf("unit", "err.project.unit_code.unknown", code)
		}
		where = append(where, store.Subtree("un.path", unit.Path, arg))
	}
	out, total, err := s.list(ctx, strings.Join(where, " AND "), args, f)
	for i := range out {
		maskPublic(&out[i])
	}
	return out, total, err
}

// PublicGet loads a public, adopted project; any other is not found.
func (s *Projects) PublicGet(ctx context.Context, id int64) (Project, error) {
	pr, err := load(ctx, s.DB.Read, id)
	if err != nil {
		return pr, err
	}
	if !pr.Public || pr.Status == Proposed {
		return Project{}, apperr.ErrNotFound
	}
	maskPublic(&pr)
	return pr, nil
}

// RatingRef is what a rating of the project needs.
func (pr Project) RatingRef() rating.ProjectRef {
	return rating.ProjectRef{ID: pr.ID, Number: pr.Number, UnitID: pr.UnitID, Open: pr.Public && pr.Status != Proposed}
}

// change loads a project inside tx for a change that needs action a.
func change(ctx context.Context, tx *sql.Tx, p *org.Principal, id int64, a org.Action) (Project, error) {
	pr, err := load(ctx, tx, id)
	if err != nil {
		return pr, err
	}
	if !org.Can(p, Read, pr.UnitPath) {
		return Project{}, apperr.ErrNotFound
	}
	if !org.Can(p, a, pr.UnitPath) {
		return Project{}, apperr.ErrForbidden
	}
	return pr, nil
}

func (s *Projects) touch(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE projects SET updated_at = $1 WHERE id = $2`, s.now().UnixMilli(), id)
	return err
}

// AddMilestone adds a milestone to a project not yet done.
func (s *Projects) AddMilestone(ctx context.Context, p *org.Principal, id int64, in MilestoneInput) (Project, error) {
	due, err := in.Validate()
	if err != nil {
		return Project{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		pr, err := change(ctx, tx, p, id, Write)
		if err != nil {
			return err
		}
		if pr.Status == Done || pr.Status == Evaluated {
			return apperr.New(apperr.Conflict, "invalid_state", "status", "err.project.state")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_milestones (project_id, due_on, what, weight) VALUES ($1, $2, $3, $4)`,
			id, due, in.What, in.Weight); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "project.milestone", ObjectType: "project",
			ObjectID: pr.Number, UnitID: pr.UnitID, Detail: map[string]any{"what": in.What, "due": due, "weight": in.Weight}})
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return load(ctx, s.DB.Write, id)
}

// MilestoneDone marks a milestone done; the evidence file is required, so the
// progress it makes is always backed.
func (s *Projects) MilestoneDone(ctx context.Context, p *org.Principal, id, mid int64, note string, file *Upload) (Project, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, false, maxWhat); err != nil {
		return Project{}, err
	}
	if file == nil {
		return Project{}, apperr.Invalidf("evidence", "err.project.evidence.required")
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		pr, err := change(ctx, tx, p, id, Write)
		if err != nil {
			return err
		}
		if pr.Status != InProgress && pr.Status != Adopted {
			return apperr.New(apperr.Conflict, "invalid_state", "status", "err.project.state")
		}
		var m *Milestone
		for i := range pr.Milestones {
			if pr.Milestones[i].ID == mid {
				m = &pr.Milestones[i]
			}
		}
		if m == nil {
			return apperr.ErrNotFound
		}
		if m.Done() {
			return apperr.New(apperr.Conflict, "done", "", "err.project.milestone_done")
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
		if _, err := tx.ExecContext(ctx, `UPDATE project_milestones SET done_at = $1, done_by = $2, evidence_id = $3, note = $4
			WHERE id = $5`, s.now().UnixMilli(), p.UserID, a.ID, note, mid); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "project.milestone_done", ObjectType: "project",
			ObjectID: pr.Number, UnitID: pr.UnitID, Detail: map[string]any{"what": m.What, "evidence": a.Name}})
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return load(ctx, s.DB.Write, id)
}

// Advance moves a project one step: adopt (leaders and deputies), start, and
// finish (every milestone done with evidence). Evaluation is Evaluate.
func (s *Projects) Advance(ctx context.Context, p *org.Principal, id int64) (Project, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		pr, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		if pr.Status == Done {
			return apperr.New(apperr.Conflict, "evaluate", "", "err.project.evaluate_instead")
		}
		if _, err := change(ctx, tx, p, id, StepAction(pr.Status)); err != nil {
			return err
		}
		to, err := Next(pr.Status)
		if err != nil {
			return err
		}
		if to == Done {
			if len(pr.Milestones) == 0 {
				return apperr.New(apperr.Conflict, "no_milestones", "", "err.project.no_milestones")
			}
			for _, m := range pr.Milestones {
				if !m.Done() {
					return apperr.New(apperr.Conflict, "milestones_open", "", "err.project.milestones_open", m.What)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET status = $1, updated_at = $2 WHERE id = $3`,
			string(to), s.now().UnixMilli(), id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "project.status", ObjectType: "project",
			ObjectID: pr.Number, UnitID: pr.UnitID, Detail: map[string]any{"from": string(pr.Status), "to": string(to)}})
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return load(ctx, s.DB.Write, id)
}

// Evaluate records the supervisor's checklist on a done project that has at
// least one public rating, and closes its lifecycle.
func (s *Projects) Evaluate(ctx context.Context, p *org.Principal, id int64, checks []Check) (Project, error) {
	if err := ValidateEvaluation(checks); err != nil {
		return Project{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		pr, err := change(ctx, tx, p, id, Evaluate)
		if err != nil {
			return err
		}
		if pr.Status != Done {
			return apperr.New(apperr.Conflict, "invalid_state", "status", "err.project.state")
		}
		n, err := rating.CountForProject(ctx, tx, pr.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "no_rating", "", "err.project.no_rating")
		}
		b, _ := json.Marshal(checks)
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE projects SET status = $1, evaluation = $2, evaluated_by = $3, evaluated_at = $4,
			updated_at = $4 WHERE id = $5`, string(Evaluated), string(b), p.UserID, now, id); err != nil {
			return err
		}
		d := map[string]any{"ratings": n}
		for _, c := range checks {
			d[c.Item] = c.Score
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "project.evaluate", ObjectType: "project",
			ObjectID: pr.Number, UnitID: pr.UnitID, Detail: d})
		return err
	})
	if err != nil {
		return Project{}, err
	}
	return load(ctx, s.DB.Write, id)
}

// Evidence opens a milestone's evidence file for p.
func (s *Projects) Evidence(ctx context.Context, p *org.Principal, id, attachmentID int64) (attach.File, error) {
	pr, err := s.Get(ctx, p, id)
	if err != nil {
		return attach.File{}, err
	}
	for _, m := range pr.Milestones {
		if m.EvidenceID == attachmentID {
			return attach.Get(ctx, s.DB.Read, attachmentID)
		}
	}
	return attach.File{}, apperr.ErrNotFound
}

// PublicPhoto is a photo that evidences a milestone of a public project: the
// public page shows these (internal/web strips their metadata when serving).
// Other evidence files, and anything of a project that is not public, are
// not found.
func (s *Projects) PublicPhoto(ctx context.Context, id, attachmentID int64) (attach.File, error) {
	pr, err := s.PublicGet(ctx, id)
	if err != nil {
		return attach.File{}, err
	}
	for _, m := range pr.Milestones {
		if m.EvidenceID == attachmentID && m.Done() && m.Photo() {
			return attach.Get(ctx, s.DB.Read, attachmentID)
		}
	}
	return attach.File{}, apperr.ErrNotFound
}
