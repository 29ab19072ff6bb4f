// Package study is 学习教育: study tasks a unit issues to an audience (its
// subtree and some roles), the reflections (心得体会) officers submit by the
// due date, completion by unit and by rank (leaders, deputies, officers side
// by side), and an originality check of every reflection against all other
// reflections and a reference corpus of published template texts. A
// reflection above the threshold is flagged for a reviewer, never rejected.
// Design and figures: docs/study.md.
package study

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// Ranks compared side by side: a person's rank is leader if they hold the
// leader role (第一责任人), deputy if they hold the deputy role (直接负责人),
// officer otherwise (干警, including handlers, inspectors and the rest).
var Ranks = []string{"leader", "deputy", "officer"}

// AudienceRoles are the roles a task may be limited to.
var AudienceRoles = []org.Role{org.RoleLeader, org.RoleDeputy, org.RoleHandler, org.RoleInspector, org.RoleDiscipline, org.RoleOfficer}

// Who may do what, on the unit concerned:
//   - issue a task: leaders and deputies (org.ProblemDecide) or admins
//     (org.UnitWrite) of the issuing unit;
//   - see a task: its audience, and whoever may read the issuing unit;
//   - read a reflection: its author, and reviewers who may read the ledger
//     of the author's unit (org.ProblemRead: leaders, deputies, handlers,
//     inspectors, discipline);
//   - judge a flag: leaders, deputies (org.ProblemDecide) and inspectors
//     (org.ProblemVerify) over the author's unit;
//   - the reference corpus and the settings: admins (org.AdminWrite).
const (
	Review = org.ProblemRead
)

// CanIssue reports whether p may issue a study task in the unit at path.
func CanIssue(p *org.Principal, path string) bool {
	return org.Can(p, org.ProblemDecide, path) || org.Can(p, org.UnitWrite, path)
}

// CanJudge reports whether p may confirm or dismiss a flag in the unit at path.
func CanJudge(p *org.Principal, path string) bool {
	return org.Can(p, org.ProblemDecide, path) || org.Can(p, org.ProblemVerify, path)
}

// CanManageCorpus reports whether p may change the reference corpus and the settings.
func CanManageCorpus(p *org.Principal) bool { return org.CanAnywhere(p, org.AdminWrite) }

// Service is 学习教育 over one database and attachments store. It keeps an
// in-memory index of reflection signatures, refreshed from the database
// before every check (only rows newer than the last one seen are read), so
// several nodes stay correct without sharing memory.
type Service struct {
	DB    *store.DB
	Files *attach.Store
	Clock func() time.Time

	idx *Index

	refMu  sync.Mutex
	refKey string
	refs   []*Doc
}

// New returns the service.
func New(db *store.DB, files *attach.Store) *Service {
	return &Service{DB: db, Files: files, Clock: time.Now, idx: NewIndex()}
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// Upload is a material file as it arrives.
type Upload struct {
	Name string
	R    io.Reader
}

// Task is a study task.
type Task struct {
	ID        int64         `json:"id"`
	Number    string        `json:"number"`
	Title     string        `json:"title"`
	Material  string        `json:"material"`
	UnitID    int64         `json:"-"`
	UnitCode  string        `json:"unit_code"`
	UnitName  string        `json:"unit_name"`
	UnitPath  string        `json:"-"`
	Roles     []string      `json:"roles"`
	MinLength int           `json:"min_length"`
	Due       string        `json:"due"`
	DueAt     int64         `json:"due_at"`
	CreatedBy string        `json:"created_by"`
	CreatedAt int64         `json:"created_at"`
	Files     []attach.File `json:"files"`
	Assigned  int           `json:"assigned"`
	Submitted int           `json:"submitted"`
	Assignee  bool          `json:"assignee"` // the reader must submit
}

// TaskInput issues a task.
type TaskInput struct {
	Title     string   `json:"title"`
	Material  string   `json:"material"`
	UnitCode  string   `json:"unit_code"`
	Roles     []string `json:"roles"`
	Due       string   `json:"due"`
	MinLength int      `json:"min_length"` // 0: the deployment's default
}

const (
	maxTitle    = 200
	maxMaterial = 50000
	maxBody     = 20000
	maxNote     = 1000
)

// Validate checks what needs no database and returns the due instant: the
// end of the due day in China.
func (in *TaskInput) Validate() (int64, error) {
	in.Title, in.Material, in.UnitCode, in.Due = strings.TrimSpace(in.Title), strings.TrimSpace(in.Material),
		strings.TrimSpace(in.UnitCode), strings.TrimSpace(in.Due)
	if in.Title == "" {
		return 0, apperr.Invalidf("title", "err.study.title.required")
	}
	if !utf8.ValidString(in.Title) || utf8.RuneCountInString(in.Title) > maxTitle {
		return 0, apperr.Invalidf("title", "err.study.too_long", maxTitle)
	}
	if !utf8.ValidString(in.Material) || utf8.RuneCountInString(in.Material) > maxMaterial {
		return 0, apperr.Invalidf("material", "err.study.too_long", maxMaterial)
	}
	if in.UnitCode == "" {
		return 0, apperr.Invalidf("unit_code", "err.study.unit.required")
	}
	var roles []string
	for _, r := range in.Roles {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !slices.Contains(AudienceRoles, org.Role(r)) {
			return 0, apperr.Invalidf("roles", "err.study.role", r)
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	in.Roles = roles
	if in.MinLength < 0 || in.MinLength > 10000 {
		return 0, apperr.Invalidf("min_length", "err.study.min_length")
	}
	d, err := calendar.ParseDate(in.Due)
	if err != nil {
		return 0, apperr.Invalidf("due", "err.study.due")
	}
	return dueInstant(d), nil
}

// china is China Standard Time (fixed, no daylight saving).
var china = time.FixedZone("CST", 8*3600)

// dueInstant is the first instant after the due day in China: a reflection
// submitted before it is on time.
func dueInstant(day time.Time) int64 {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, china).UnixMilli()
}

func dueDay(at int64) string {
	return time.UnixMilli(at - 1).In(china).Format(time.DateOnly)
}

const selectTask = `SELECT t.id, t.number, t.title, t.material, t.unit_id, un.code, un.name, un.path, t.audience_roles,
	t.min_length, t.due_at, cu.name, t.created_at,
	(SELECT COUNT(*) FROM study_assignees a WHERE a.task_id = t.id),
	(SELECT COUNT(DISTINCT r.user_id) FROM study_reflections r WHERE r.task_id = t.id)
	FROM study_tasks t JOIN units un ON un.id = t.unit_id JOIN users cu ON cu.id = t.created_by`

func scanTask(sc interface{ Scan(...any) error }) (Task, error) {
	var t Task
	var roles string
	err := sc.Scan(&t.ID, &t.Number, &t.Title, &t.Material, &t.UnitID, &t.UnitCode, &t.UnitName, &t.UnitPath, &roles,
		&t.MinLength, &t.DueAt, &t.CreatedBy, &t.CreatedAt, &t.Assigned, &t.Submitted)
	t.Roles = splitRoles(roles)
	t.Due = dueDay(t.DueAt)
	return t, err
}

func splitRoles(s string) []string {
	out := []string{}
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

func joinRoles(rs []string) string {
	if len(rs) == 0 {
		return ""
	}
	return "," + strings.Join(rs, ",") + ","
}

func loadTask(ctx context.Context, q store.Queryer, id int64) (Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, selectTask+` WHERE t.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, apperr.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.sha256, a.name, a.mime, a.size, a.created_at FROM study_task_files f
		JOIN attachments a ON a.id = f.attachment_id WHERE f.task_id = $1 ORDER BY a.id`, id)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	t.Files = []attach.File{}
	for rows.Next() {
		var f attach.File
		if err := rows.Scan(&f.ID, &f.SHA256, &f.Name, &f.MIME, &f.Size, &f.CreatedAt); err != nil {
			return t, err
		}
		t.Files = append(t.Files, f)
	}
	return t, rows.Err()
}

func isAssignee(ctx context.Context, q store.Queryer, taskID, userID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM study_assignees WHERE task_id = $1 AND user_id = $2`, taskID, userID).Scan(&n)
	return n > 0, err
}

// visible loads a task p may see: p is in its audience or may read the
// issuing unit. Others are not found.
func visible(ctx context.Context, q store.Queryer, p *org.Principal, id int64) (Task, error) {
	t, err := loadTask(ctx, q, id)
	if err != nil {
		return t, err
	}
	if p == nil {
		return Task{}, apperr.ErrNotFound
	}
	t.Assignee, err = isAssignee(ctx, q, id, p.UserID)
	if err != nil {
		return t, err
	}
	if !t.Assignee && !org.Can(p, org.UnitRead, t.UnitPath) {
		return Task{}, apperr.ErrNotFound
	}
	return t, nil
}

// Get loads a task p may see.
func (s *Service) Get(ctx context.Context, p *org.Principal, id int64) (Task, error) {
	return visible(ctx, s.DB.Read, p, id)
}

// settings
const (
	settingThreshold = "study.threshold"  // per mille
	settingMinLength = "study.min_length" // characters
	// DefaultThreshold: a reflection with 40% or more of its text found in
	// other texts is flagged. Edited copies measure 0.6–1.0 and independent
	// reflections below 0.1 (docs/study.md).
	DefaultThreshold = 400
	DefaultMinLength = 300
)

// Settings are the deployment's originality settings.
type Settings struct {
	Threshold int `json:"threshold"`  // per mille, 1–1000
	MinLength int `json:"min_length"` // default minimum length of a reflection
}

func readSetting(ctx context.Context, q store.Queryer, key string, def int) (int, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, nil
	}
	return n, nil
}

// GetSettings reads the settings (defaults when never set).
func GetSettings(ctx context.Context, q store.Queryer) (Settings, error) {
	th, err := readSetting(ctx, q, settingThreshold, DefaultThreshold)
	if err != nil {
		return Settings{}, err
	}
	ml, err := readSetting(ctx, q, settingMinLength, DefaultMinLength)
	return Settings{Threshold: th, MinLength: ml}, err
}

// SetSettings changes the settings (admins). Reflections already checked
// keep their flag: a new threshold applies to new submissions.
func (s *Service) SetSettings(ctx context.Context, p *org.Principal, in Settings) error {
	if !CanManageCorpus(p) {
		return apperr.ErrForbidden
	}
	if in.Threshold < 1 || in.Threshold > 1000 {
		return apperr.Invalidf("threshold", "err.study.threshold")
	}
	if in.MinLength < 0 || in.MinLength > 10000 {
		return apperr.Invalidf("min_length", "err.study.min_length")
	}
	now := s.now().UnixMilli()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, kv := range []struct {
			k string
			v int
		}{{settingThreshold, in.Threshold}, {settingMinLength, in.MinLength}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
				kv.k, strconv.Itoa(kv.v), now); err != nil {
				return err
			}
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "study.settings", ObjectType: "settings",
			ObjectID: "study", Detail: map[string]any{"threshold": in.Threshold, "min_length": in.MinLength}})
		return err
	})
}

// Create issues a task; its audience is fixed now: the active people of the
// unit's subtree holding one of the roles (everyone when none is given).
func (s *Service) Create(ctx context.Context, p *org.Principal, in TaskInput, files []Upload) (Task, error) {
	due, err := in.Validate()
	if err != nil {
		return Task{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		unit, err := org.UnitByCode(ctx, tx, in.UnitCode)
		if err != nil || !CanIssue(p, unit.Path) {
			return apperr.Invalidf("unit_code", "err.study.unit.unknown", in.UnitCode)
		}
		if unit.Closed {
			return apperr.Invalidf("unit_code", "err.unit.parent_closed", unit.Name)
		}
		if in.MinLength == 0 {
			set, err := GetSettings(ctx, tx)
			if err != nil {
				return err
			}
			in.MinLength = set.MinLength
		}
		year := calendar.Today(s.now()).Year()
		n, err := store.Next(ctx, tx, "study-"+strconv.Itoa(year))
		if err != nil {
			return err
		}
		number := fmt.Sprintf("XX-%d-%06d", year, n)
		now := s.now().UnixMilli()
		if err := tx.QueryRowContext(ctx, `INSERT INTO study_tasks (number, title, material, unit_id, audience_roles, min_length,
			due_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			number, in.Title, in.Material, unit.ID, joinRoles(in.Roles), in.MinLength, due, p.UserID, now).Scan(&id); err != nil {
			return err
		}
		var args []any
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		where := []string{"u.disabled_at IS NULL", store.Subtree("un.path", unit.Path, arg)}
		if len(in.Roles) > 0 {
			var ph []string
			for _, r := range in.Roles {
				ph = append(ph, arg(r))
			}
			where = append(where, `EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role IN (`+strings.Join(ph, ", ")+`))`)
		}
		taskArg := arg(id)
		res, err := tx.ExecContext(ctx, `INSERT INTO study_assignees (task_id, user_id, unit_id, rank)
			SELECT `+taskArg+`, u.id, u.unit_id, CASE
				WHEN EXISTS (SELECT 1 FROM user_roles l WHERE l.user_id = u.id AND l.role = 'leader') THEN 'leader'
				WHEN EXISTS (SELECT 1 FROM user_roles d WHERE d.user_id = u.id AND d.role = 'deputy') THEN 'deputy'
				ELSE 'officer' END
			FROM users u JOIN units un ON un.id = u.unit_id WHERE `+strings.Join(where, " AND "), args...)
		if err != nil {
			return err
		}
		assigned, _ := res.RowsAffected()
		var names []string
		for _, f := range files {
			a, err := s.Files.Put(ctx, tx, p.UserID, f.Name, f.R)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO study_task_files (task_id, attachment_id) VALUES ($1, $2)`, id, a.ID); err != nil {
				return err
			}
			names = append(names, a.Name)
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "study.task_create", ObjectType: "study_task",
			ObjectID: number, UnitID: unit.ID, Detail: map[string]any{"title": in.Title, "due": dueDay(due), "roles": in.Roles,
				"min_length": in.MinLength, "assigned": assigned, "files": names}})
		return err
	})
	if err != nil {
		return Task{}, err
	}
	return s.Get(ctx, p, id)
}

// Filter narrows the task list.
type Filter struct {
	Unit    string // issuing unit's subtree
	Mine    bool   // only tasks p must submit
	Page    int
	PerPage int
}

// List returns the tasks p may see, latest due first.
func (s *Service) List(ctx context.Context, p *org.Principal, f Filter) ([]Task, int, error) {
	if p == nil {
		return nil, 0, nil
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	mine := `EXISTS (SELECT 1 FROM study_assignees a WHERE a.task_id = t.id AND a.user_id = ` + arg(p.UserID) + `)`
	where := []string{mine}
	if !f.Mine {
		if scope, ok := org.ScopeSQL(p, org.UnitRead, "un.path", arg); ok {
			where[0] = "(" + mine + " OR " + scope + ")"
		}
	}
	if f.Unit != "" {
		unit, err := org.UnitByCode(ctx, s.DB.Read, f.Unit)
		if err != nil {
			return nil, 0, apperr.Invalidf("unit", "err.study.unit.unknown", f.Unit)
		}
		where = append(where, store.Subtree("un.path", unit.Path, arg))
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM study_tasks t JOIN units un ON un.id = t.unit_id WHERE `+w,
		args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := store.Page(f.Page, f.PerPage)
	rows, err := s.DB.Read.QueryContext(ctx, selectTask+` WHERE `+w+` ORDER BY t.due_at DESC, t.id DESC LIMIT `+
		strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// TaskFile returns a material file of a task p may see.
func (s *Service) TaskFile(ctx context.Context, p *org.Principal, id, attachmentID int64) (attach.File, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return attach.File{}, err
	}
	for _, f := range t.Files {
		if f.ID == attachmentID {
			return f, nil
		}
	}
	return attach.File{}, apperr.ErrNotFound
}

// Reflection is one submitted version of a 心得体会.
type Reflection struct {
	ID          int64   `json:"id"`
	TaskID      int64   `json:"task_id"`
	TaskNumber  string  `json:"task_number"`
	TaskTitle   string  `json:"task_title"`
	AuthorID    int64   `json:"-"`
	Author      string  `json:"author"`
	AuthorName  string  `json:"author_name"`
	UnitID      int64   `json:"-"`
	UnitName    string  `json:"unit_name"`
	UnitPath    string  `json:"-"`
	Body        string  `json:"text"`
	Chars       int     `json:"chars"`
	Late        bool    `json:"late"`
	Similarity  float64 `json:"similarity"`
	Flagged     bool    `json:"flagged"`
	Matches     []Match `json:"matches"`
	Superseded  bool    `json:"superseded"`
	Review      string  `json:"review"` // '' | copy | original
	ReviewNote  string  `json:"review_note"`
	ReviewedBy  string  `json:"reviewed_by"`
	ReviewedAt  int64   `json:"reviewed_at"`
	SubmittedAt int64   `json:"submitted_at"`
}

const selectReflection = `SELECT r.id, r.task_id, t.number, t.title, r.user_id, u.username, u.name, r.unit_id, un.name, un.path,
	r.body, r.chars, r.late, r.similarity, r.flagged, r.matches, r.superseded, r.review, r.review_note,
	COALESCE(rv.name, ''), COALESCE(r.reviewed_at, 0), r.submitted_at
	FROM study_reflections r JOIN study_tasks t ON t.id = r.task_id JOIN users u ON u.id = r.user_id
	JOIN units un ON un.id = r.unit_id LEFT JOIN users rv ON rv.id = r.reviewed_by`

func scanReflection(sc interface{ Scan(...any) error }) (Reflection, error) {
	var r Reflection
	var late, flagged, sup, sim int
	var matches string
	err := sc.Scan(&r.ID, &r.TaskID, &r.TaskNumber, &r.TaskTitle, &r.AuthorID, &r.Author, &r.AuthorName, &r.UnitID, &r.UnitName,
		&r.UnitPath, &r.Body, &r.Chars, &late, &sim, &flagged, &matches, &sup, &r.Review, &r.ReviewNote, &r.ReviewedBy,
		&r.ReviewedAt, &r.SubmittedAt)
	if err != nil {
		return r, err
	}
	r.Late, r.Flagged, r.Superseded = late == 1, flagged == 1, sup == 1
	r.Similarity = float64(sim) / 1000
	if err := json.Unmarshal([]byte(matches), &r.Matches); err != nil {
		return r, err
	}
	return r, nil
}

func loadReflection(ctx context.Context, q store.Queryer, id int64) (Reflection, error) {
	r, err := scanReflection(q.QueryRowContext(ctx, selectReflection+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.ErrNotFound
	}
	return r, err
}

// CanRead reports whether p may read reflection r: its author or a reviewer.
func CanRead(p *org.Principal, r Reflection) bool {
	return p != nil && (p.UserID == r.AuthorID || org.Can(p, Review, r.UnitPath))
}

// Reflection loads a reflection p may read; others are not found.
func (s *Service) Reflection(ctx context.Context, p *org.Principal, id int64) (Reflection, error) {
	r, err := loadReflection(ctx, s.DB.Read, id)
	if err != nil {
		return r, err
	}
	if !CanRead(p, r) {
		return Reflection{}, apperr.ErrNotFound
	}
	return r, nil
}

// Mine returns p's current reflection on a task, if any.
func (s *Service) Mine(ctx context.Context, p *org.Principal, taskID int64) (*Reflection, error) {
	r, err := scanReflection(s.DB.Read.QueryRowContext(ctx, selectReflection+
		` WHERE r.task_id = $1 AND r.user_id = $2 AND r.superseded = 0`, taskID, p.UserID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Submit records p's reflection on a task (superseding an earlier version)
// with its originality check. After the due date it is accepted and marked
// late; completion counts only reflections on time.
func (s *Service) Submit(ctx context.Context, p *org.Principal, taskID int64, body string) (Reflection, error) {
	t, err := s.Get(ctx, p, taskID)
	if err != nil {
		return Reflection{}, err
	}
	if !t.Assignee {
		return Reflection{}, apperr.New(apperr.Forbidden, "not_assigned", "", "err.study.not_assigned")
	}
	body = strings.TrimSpace(body)
	if !utf8.ValidString(body) || utf8.RuneCountInString(body) > maxBody {
		return Reflection{}, apperr.Invalidf("text", "err.study.too_long", maxBody)
	}
	chars := CountChars(body)
	if chars < t.MinLength {
		return Reflection{}, apperr.Invalidf("text", "err.study.too_short", t.MinLength, chars)
	}
	set, err := GetSettings(ctx, s.DB.Read)
	if err != nil {
		return Reflection{}, err
	}
	res, sig, err := s.Check(ctx, body, CheckScope{Author: p.UserID, Task: taskID, Material: &Doc{Kind: SourceMaterial,
		ID: t.ID, Key: "material:" + strconv.FormatInt(t.ID, 10), Title: t.Title, Body: t.Material}})
	if err != nil {
		return Reflection{}, err
	}
	flagged := int(res.Similarity*1000+0.5) >= set.Threshold
	mj, err := json.Marshal(res.Matches)
	if err != nil {
		return Reflection{}, err
	}
	now := s.now().UnixMilli()
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var unitID int64
		if err := tx.QueryRowContext(ctx, `SELECT unit_id FROM users WHERE id = $1`, p.UserID).Scan(&unitID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE study_reflections SET superseded = 1 WHERE task_id = $1 AND user_id = $2 AND superseded = 0`,
			taskID, p.UserID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO study_reflections (task_id, user_id, unit_id, body, chars, late, similarity,
			flagged, matches, signature, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			taskID, p.UserID, unitID, body, chars, boolInt(now >= t.DueAt), int(res.Similarity*1000+0.5), boolInt(flagged),
			string(mj), sigBytes(sig), now).Scan(&id); err != nil {
			return err
		}
		var top []string
		for _, m := range res.Matches {
			top = append(top, fmt.Sprintf("%s %.3f", m.Source, m.Score))
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "study.reflection_submit", ObjectType: "study_reflection",
			ObjectID: strconv.FormatInt(id, 10), UnitID: unitID, Detail: map[string]any{"task": t.Number, "chars": chars,
				"similarity": res.Similarity, "flagged": flagged, "late": now >= t.DueAt, "matches": top}})
		return err
	})
	if err != nil {
		return Reflection{}, err
	}
	return loadReflection(ctx, s.DB.Write, id)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sigBytes(sig text.Signature) []byte {
	b := make([]byte, 4*len(sig))
	for i, v := range sig {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func sigFrom(b []byte) (text.Signature, bool) {
	var sig text.Signature
	if len(b) != 4*len(sig) {
		return sig, false
	}
	for i := range sig {
		sig[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return sig, true
}

// Judge records a reviewer's decision on a reflection: "copy" confirms it,
// "original" dismisses the flag; a note is required. The flag itself stays.
func (s *Service) Judge(ctx context.Context, p *org.Principal, id int64, decision, note string) (Reflection, error) {
	note = strings.TrimSpace(note)
	if decision != "copy" && decision != "original" {
		return Reflection{}, apperr.Invalidf("decision", "err.study.decision")
	}
	if note == "" {
		return Reflection{}, apperr.Invalidf("note", "err.study.note.required")
	}
	if utf8.RuneCountInString(note) > maxNote {
		return Reflection{}, apperr.Invalidf("note", "err.study.too_long", maxNote)
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		r, err := loadReflection(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanRead(p, r) {
			return apperr.ErrNotFound
		}
		if !CanJudge(p, r.UnitPath) || p.UserID == r.AuthorID {
			return apperr.ErrForbidden
		}
		if _, err := tx.ExecContext(ctx, `UPDATE study_reflections SET review = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4
			WHERE id = $5`, decision, note, p.UserID, s.now().UnixMilli(), id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "study.reflection_review", ObjectType: "study_reflection",
			ObjectID: strconv.FormatInt(id, 10), UnitID: r.UnitID, Detail: map[string]any{"decision": decision, "note": note,
				"similarity": r.Similarity, "flagged": r.Flagged}})
		return err
	})
	if err != nil {
		return Reflection{}, err
	}
	return s.Reflection(ctx, p, id)
}

// Version is one submitted version of a person's reflection on a task.
type Version struct {
	ID          int64   `json:"id"`
	Similarity  float64 `json:"similarity"`
	Flagged     bool    `json:"flagged"`
	Late        bool    `json:"late"`
	SubmittedAt int64   `json:"submitted_at"`
}

// Versions lists every version of r's author on r's task, oldest first, for
// a reader of r: a text pasted, flagged and then edited until it passes
// stays visible to the reviewer.
func (s *Service) Versions(ctx context.Context, p *org.Principal, r Reflection) ([]Version, error) {
	if !CanRead(p, r) {
		return nil, apperr.ErrNotFound
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, similarity, flagged, late, submitted_at FROM study_reflections
		WHERE task_id = $1 AND user_id = $2 ORDER BY id`, r.TaskID, r.AuthorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var sim, flagged, late int
		if err := rows.Scan(&v.ID, &sim, &flagged, &late, &v.SubmittedAt); err != nil {
			return nil, err
		}
		v.Similarity, v.Flagged, v.Late = float64(sim)/1000, flagged == 1, late == 1
		out = append(out, v)
	}
	return out, rows.Err()
}
