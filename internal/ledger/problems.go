package ledger

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
	"github.com/luoshi/luoshi/internal/store"
)

// Ledger is the problem ledger over one database and attachments store.
type Ledger struct {
	DB    *store.DB
	Files *attach.Store
	// Clock returns the current time; tests set it.
	Clock func() time.Time
	// TextMatch, when set (by the server: search.Index.ProblemMatch),
	// narrows the list's q filter through the search index: a condition on
	// pr.id holding at least every item whose number or title contains q;
	// the LIKE still decides. ok false: no narrowing (the LIKE scans).
	TextMatch func(ctx context.Context, q string, arg func(any) string) (cond string, ok bool)
	// closeChecks are the other capabilities' conditions on closing their
	// linked items, by origin type (see OnClose).
	closeChecks map[string]CloseCheck
}

// New returns a ledger.
func New(db *store.DB, files *attach.Store) *Ledger {
	return &Ledger{DB: db, Files: files, Clock: time.Now}
}

func (l *Ledger) now() time.Time {
	if l.Clock == nil {
		return time.Now()
	}
	return l.Clock()
}

func (l *Ledger) nowMs() int64 { return l.now().UnixMilli() }

// today is the current civil day in China.
func (l *Ledger) today() time.Time { return calendar.Today(l.now()) }

// Upload is a file arriving with a request.
type Upload struct {
	Name string
	R    io.Reader
}

const settingRules = "ledger.rules"

// Rules returns the ledger rules in force.
func (l *Ledger) Rules(ctx context.Context) (Rules, error) { return loadRules(ctx, l.DB.Read) }

func loadRules(ctx context.Context, q store.Queryer) (Rules, error) {
	r := DefaultRules()
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, settingRules).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return DefaultRules(), nil // a damaged setting falls back to the defaults
	}
	return r, nil
}

// SetRules changes the rules; only an administrator of the whole tree may.
func (l *Ledger) SetRules(ctx context.Context, p *org.Principal, r Rules) error {
	if !org.IsRootAdmin(p) {
		return apperr.ErrForbidden
	}
	if err := r.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(r)
	return l.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, settingRules, string(b), now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "settings.ledger_rules", ObjectType: "settings",
			ObjectID: settingRules, Detail: map[string]any{"rules": string(b)}})
		return err
	})
}

const problemCols = `pr.id, pr.number, pr.title, pr.description, pr.source, pr.class, pr.severity,
	pr.unit_id, u.code, u.name, u.path, COALESCE(pr.responsible_id, 0), COALESCE(r.username, ''), COALESCE(r.name, ''),
	pr.measures, COALESCE(pr.deadline, ''), pr.start_day, pr.status, pr.percent, pr.light, pr.extensions,
	COALESCE(pr.ext_deadline, ''), pr.ext_reason, COALESCE(pr.ext_requested_by, 0), pr.reopen_count,
	COALESCE(pr.supervised_at, 0), COALESCE(su.code, ''), COALESCE(su.name, ''), pr.supervise_days, pr.supervise_note,
	pr.origin_type, pr.origin_ref, pr.evidence_count, COALESCE(pr.last_progress_by, 0), COALESCE(pr.close_requested_by, 0),
	pr.close_standard, COALESCE(pr.closed_on, ''), COALESCE(pr.review_due, ''), pr.review_result,
	pr.mech_title, pr.mech_doc_no, COALESCE(pr.mech_issued_on, ''), COALESCE(pr.mech_attachment_id, 0),
	pr.created_by, pr.created_at, pr.updated_at`

const problemFrom = ` FROM problems pr JOIN units u ON u.id = pr.unit_id
	LEFT JOIN users r ON r.id = pr.responsible_id LEFT JOIN units su ON su.id = pr.supervise_unit_id`

func scanProblem(s interface{ Scan(...any) error }) (Problem, error) {
	var p Problem
	var m Mechanism
	err := s.Scan(&p.ID, &p.Number, &p.Title, &p.Description, &p.Source, &p.Class, &p.Severity,
		&p.UnitID, &p.UnitCode, &p.UnitName, &p.UnitPath, &p.ResponsibleID, &p.Responsible, &p.ResponsibleName,
		&p.Measures, &p.Deadline, &p.StartDay, &p.Status, &p.Percent, &p.Light, &p.Extensions,
		&p.ExtDeadline, &p.ExtReason, &p.ExtRequestedBy, &p.ReopenCount,
		&p.SupervisedAt, &p.SuperviseUnit, &p.SuperviseName, &p.SuperviseDays, &p.SuperviseNote,
		&p.OriginType, &p.OriginRef, &p.EvidenceCount, &p.LastProgressBy, &p.CloseRequestBy,
		&p.CloseStandard, &p.ClosedOn, &p.ReviewDue, &p.ReviewResult,
		&m.Title, &m.DocNo, &m.IssuedOn, &m.AttachmentID,
		&p.CreatedBy, &p.CreatedAt, &p.UpdatedAt)
	p.Supervised = p.SupervisedAt != 0
	if m.Title != "" {
		p.Mechanism = &m
	}
	return p, err
}

func loadProblem(ctx context.Context, q store.Queryer, id int64) (Problem, error) {
	p, err := scanProblem(q.QueryRowContext(ctx, `SELECT `+problemCols+problemFrom+` WHERE pr.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, apperr.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.Tags, err = tagsOf(ctx, q, p.ID)
	return p, err
}

func tagsOf(ctx context.Context, q store.Queryer, id int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT tag FROM problem_tags WHERE problem_id = $1 ORDER BY tag`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tags := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	return tags, rows.Err()
}

// ByNumber finds the id of the item with a number like WT-2026-000123.
func (l *Ledger) ByNumber(ctx context.Context, p *org.Principal, number string) (Problem, error) {
	var id int64
	err := l.DB.Read.QueryRowContext(ctx, `SELECT id FROM problems WHERE number = $1`, strings.TrimSpace(number)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Problem{}, apperr.ErrNotFound
	}
	if err != nil {
		return Problem{}, err
	}
	return l.Get(ctx, p, id)
}

// Get loads an item the principal may see; others are "not found" so that
// their existence does not leak.
func (l *Ledger) Get(ctx context.Context, p *org.Principal, id int64) (Problem, error) {
	pr, err := loadProblem(ctx, l.DB.Read, id)
	if err != nil {
		return pr, err
	}
	if !CanRead(p, &pr) {
		return Problem{}, apperr.ErrNotFound
	}
	return pr, nil
}

// parseDeadline reads a deadline as people write it and refuses days before today.
func parseDeadline(field, s string, today time.Time) (time.Time, error) {
	d, err := calendar.ParseDate(s)
	if err != nil {
		if e := apperr.As(err); e != nil {
			e.Field = field
			return d, e
		}
		return d, apperr.Invalidf(field, "err.problem.deadline.format")
	}
	if d.Before(today) {
		return d, apperr.Invalidf(field, "err.problem.deadline.past", calendar.FormatDay(today))
	}
	if d.After(today.AddDate(5, 0, 0)) {
		return d, apperr.Invalidf(field, "err.problem.deadline.far")
	}
	return d, nil
}

// checkResponsible accepts u as the responsible person of an item of unit:
// active, and in the unit or a unit below it.
func checkResponsible(u org.User, unit org.Unit) (int64, error) {
	if u.Disabled {
		return 0, apperr.Invalidf("responsible", "err.problem.responsible.disabled", u.Username)
	}
	if !strings.HasPrefix(u.UnitPath, unit.Path) {
		return 0, apperr.Invalidf("responsible", "err.problem.responsible.outside", u.Name, unit.Name)
	}
	return u.ID, nil
}

// resolveResponsible finds the responsible person, who must be active and
// belong to the item's unit or a unit below it.
func resolveResponsible(ctx context.Context, q store.Queryer, username string, unit org.Unit) (int64, error) {
	if username == "" {
		return 0, nil
	}
	u, err := org.UserByUsername(ctx, q, username)
	if err != nil {
		return 0, apperr.Invalidf("responsible", "err.problem.responsible.unknown", username)
	}
	return checkResponsible(u, unit)
}

// nextNumber hands out the next item number of the year: WT-2026-000123.
func nextNumber(ctx context.Context, tx *sql.Tx, year int) (string, error) {
	n, err := store.Next(ctx, tx, "problem-"+strconv.Itoa(year))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("WT-%d-%06d", year, n), nil
}

// nextNumbers hands out n consecutive numbers of the year in one statement.
func nextNumbers(ctx context.Context, tx *sql.Tx, year, n int) ([]string, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value`,
		"problem-"+strconv.Itoa(year), n).Scan(&last); err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("WT-%d-%06d", year, last-int64(n)+int64(i)+1)
	}
	return out, nil
}

// Create records a new item. Unless in.Draft, it opens at once and so needs the 三定.
func (l *Ledger) Create(ctx context.Context, p *org.Principal, in Input) (Problem, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Problem{}, err
	}
	var id int64
	err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = l.createTx(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return Problem{}, err
	}
	return loadProblem(ctx, l.DB.Write, id)
}

// CreateLinked records, inside the caller's transaction, an item that another
// capability spawns from a record it has authorized (a citizen report answered
// as a problem, a substantiated lead, a bad rating): the caller's own action
// decided it, so the ledger's write permission is not asked again. The item
// is validated like any other.
func (l *Ledger) CreateLinked(ctx context.Context, tx *sql.Tx, p *org.Principal, in Input) (Problem, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Problem{}, err
	}
	id, err := l.create(ctx, tx, p, in, false)
	if err != nil {
		return Problem{}, err
	}
	return loadProblem(ctx, tx, id)
}

// createTx writes a validated, normalized input inside tx and returns the new id.
func (l *Ledger) createTx(ctx context.Context, tx *sql.Tx, p *org.Principal, in Input) (int64, error) {
	return l.create(ctx, tx, p, in, true)
}

func (l *Ledger) create(ctx context.Context, tx *sql.Tx, p *org.Principal, in Input, checkWrite bool) (int64, error) {
	c := l.newCreator(tx, p, checkWrite)
	it, err := c.prepare(ctx, in)
	if err != nil {
		return 0, err
	}
	ids, _, err := c.write(ctx, []newItem{it})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// newItem is a checked item ready to be written.
type newItem struct {
	in       Input
	unit     org.Unit
	respID   int64
	deadline any // a day, or nil
	status   Status
	light    string
}

// creator checks and writes new items inside one transaction. Create uses
// one per item; an import shares one across its rows, so every unit and
// person is looked up once and the calendar and the rules are loaded once,
// and writes the rows in multi-row statements.
type creator struct {
	l          *Ledger
	tx         *sql.Tx
	p          *org.Principal
	checkWrite bool
	today      time.Time
	units      map[string]org.Unit
	people     map[string]org.User
	cal        *calendar.Calendar
	rules      *Rules
}

func (l *Ledger) newCreator(tx *sql.Tx, p *org.Principal, checkWrite bool) *creator {
	return &creator{l: l, tx: tx, p: p, checkWrite: checkWrite, today: l.today(),
		units: map[string]org.Unit{}, people: map[string]org.User{}}
}

// prepare checks in (normalized and validated) against the database: the
// unit (in reach, not closed), the responsible person (active, in the unit
// or below it) and the deadline (today to five years ahead), and computes
// the item's first light.
func (c *creator) prepare(ctx context.Context, in Input) (newItem, error) {
	unit, ok := c.units[in.UnitCode]
	if !ok {
		var err error
		if unit, err = org.UnitByCode(ctx, c.tx, in.UnitCode); err != nil {
			return newItem{}, apperr.Invalidf("unit_code", "err.problem.unit_code.unknown", in.UnitCode)
		}
		c.units[in.UnitCode] = unit
	}
	if c.checkWrite && !org.Can(c.p, Write, unit.Path) {
		return newItem{}, apperr.Invalidf("unit_code", "err.problem.unit_code.unknown", in.UnitCode)
	}
	if unit.Closed {
		return newItem{}, apperr.Invalidf("unit_code", "err.unit.parent_closed", unit.Name)
	}
	it := newItem{in: in, unit: unit, status: Open}
	if in.Responsible != "" {
		u, ok := c.people[in.Responsible]
		if !ok {
			var err error
			if u, err = org.UserByUsername(ctx, c.tx, in.Responsible); err != nil {
				return newItem{}, apperr.Invalidf("responsible", "err.problem.responsible.unknown", in.Responsible)
			}
			c.people[in.Responsible] = u
		}
		id, err := checkResponsible(u, unit)
		if err != nil {
			return newItem{}, err
		}
		it.respID = id
	}
	var dl time.Time
	if in.Deadline != "" {
		d, err := parseDeadline("deadline", in.Deadline, c.today)
		if err != nil {
			return newItem{}, err
		}
		dl, it.deadline = d, calendar.FormatDay(d)
	}
	if in.Draft {
		it.status = Draft
	}
	if c.cal == nil {
		cal, err := calendar.Load(ctx, c.l.DB)
		if err != nil {
			return newItem{}, err
		}
		rules, err := loadRules(ctx, c.tx)
		if err != nil {
			return newItem{}, err
		}
		c.cal, c.rules = cal, &rules
	}
	it.light = LightOf(c.today, c.today, dl, 0, it.status, c.cal, *c.rules)
	return it, nil
}

// writeChunk is how many items one INSERT of creator.write writes.
const writeChunk = 100

// write records prepared items: their numbers (one block of the year's
// counter), the rows, their tags, a "created" line on each timeline and an
// audit entry each, in that order. It returns the ids and numbers in the
// order of items.
func (c *creator) write(ctx context.Context, items []newItem) ([]int64, []string, error) {
	if len(items) == 0 {
		return nil, nil, nil
	}
	numbers, err := nextNumbers(ctx, c.tx, c.today.Year(), len(items))
	if err != nil {
		return nil, nil, err
	}
	now := c.l.nowMs()
	startDay := calendar.FormatDay(c.today)
	d := c.l.DB.Dialect
	ids := make([]int64, len(items))
	byNumber := make(map[string]int, len(items))
	for i, n := range numbers {
		byNumber[n] = i
	}
	for lo := 0; lo < len(items); lo += writeChunk {
		hi := min(lo+writeChunk, len(items))
		rows := make([][]any, 0, hi-lo)
		for i := lo; i < hi; i++ {
			it := items[i]
			rows = append(rows, []any{numbers[i], it.in.Title, it.in.Description, it.in.Source, it.in.Class, it.in.Severity,
				it.unit.ID, nullID(it.respID), it.in.Measures, it.deadline, startDay, string(it.status), it.light,
				it.in.OriginType, it.in.OriginRef, c.p.UserID, now, now})
		}
		q, args := store.Values(d, `INSERT INTO problems (number, title, description, source, class, severity, unit_id,
			responsible_id, measures, deadline, start_day, status, light, origin_type, origin_ref, created_by, created_at, updated_at) VALUES `, rows)
		// RETURNING's row order is not promised: match the ids by number
		rs, err := c.tx.QueryContext(ctx, q+` RETURNING id, number`, args...)
		if err != nil {
			return nil, nil, err
		}
		for rs.Next() {
			var id int64
			var n string
			if err := rs.Scan(&id, &n); err != nil {
				rs.Close()
				return nil, nil, err
			}
			ids[byNumber[n]] = id
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, nil, err
		}
	}
	name := "system"
	var actor any
	if c.p != nil && c.p.UserID != 0 {
		name, actor = c.p.Name, c.p.UserID
	}
	var events, tags [][]any
	audits := make([]audit.Event, 0, len(items))
	for i, it := range items {
		events = append(events, []any{ids[i], now, actor, name, "created", "", string(it.status), "", nil, ""})
		for _, t := range it.in.Tags {
			tags = append(tags, []any{ids[i], t})
		}
		audits = append(audits, audit.Event{Actor: c.p.Actor(), Action: "problem.create", ObjectType: "problem",
			ObjectID: numbers[i], UnitID: it.unit.ID, Detail: map[string]any{"title": it.in.Title, "status": string(it.status),
				"responsible": it.in.Responsible, "deadline": it.in.Deadline, "class": it.in.Class, "source": it.in.Source}})
	}
	for _, w := range []struct {
		head string
		rows [][]any
	}{
		{`INSERT INTO problem_tags (problem_id, tag) VALUES `, tags},
		{`INSERT INTO problem_events (problem_id, at, actor_id, actor_name, kind, from_status, to_status, note, percent, detail) VALUES `, events},
	} {
		for lo := 0; lo < len(w.rows); lo += writeChunk {
			q, args := store.Values(d, w.head, w.rows[lo:min(lo+writeChunk, len(w.rows))])
			if _, err := c.tx.ExecContext(ctx, q, args...); err != nil {
				return nil, nil, err
			}
		}
	}
	if _, err := audit.AppendManyIn(ctx, c.tx, c.l.DB.Dialect, audits); err != nil {
		return nil, nil, err
	}
	return ids, numbers, nil
}

func writeTags(ctx context.Context, tx *sql.Tx, id int64, tags []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM problem_tags WHERE problem_id = $1`, id); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO problem_tags (problem_id, tag) VALUES ($1, $2)`, id, t); err != nil {
			return err
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// addEvent appends a line to an item's timeline.
func (l *Ledger) addEvent(ctx context.Context, tx *sql.Tx, p *org.Principal, id int64, kind string, from, to Status, note string, percent *int, detail string) (int64, error) {
	var eid int64
	var pct any
	if percent != nil {
		pct = *percent
	}
	name := "system"
	var actor any
	if p != nil && p.UserID != 0 {
		name, actor = p.Name, p.UserID
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO problem_events (problem_id, at, actor_id, actor_name, kind, from_status, to_status, note, percent, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		id, l.nowMs(), actor, name, kind, string(from), string(to), note, pct, detail).Scan(&eid)
	return eid, err
}

// relight recomputes the stored light of one item (after any change).
func (l *Ledger) relight(ctx context.Context, tx *sql.Tx, id int64) error {
	var status, start, deadline string
	var pct int
	if err := tx.QueryRowContext(ctx, `SELECT status, start_day, COALESCE(deadline, ''), percent FROM problems WHERE id = $1`, id).
		Scan(&status, &start, &deadline, &pct); err != nil {
		return err
	}
	cal, err := calendar.Load(ctx, l.DB)
	if err != nil {
		return err
	}
	rules, err := loadRules(ctx, tx)
	if err != nil {
		return err
	}
	light := LightOf(l.today(), day(start), day(deadline), pct, Status(status), cal, rules)
	_, err = tx.ExecContext(ctx, `UPDATE problems SET light = $1 WHERE id = $2 AND light <> $1`, light, id)
	return err
}

// day parses a stored day; an empty or damaged one is the zero time.
func day(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	d, err := calendar.ParseDay(s)
	if err != nil {
		return time.Time{}
	}
	return d
}

// change loads an item for a change inside tx, checking the principal may see it.
func (l *Ledger) change(ctx context.Context, tx *sql.Tx, p *org.Principal, id int64) (Problem, error) {
	pr, err := loadProblem(ctx, tx, id)
	if err != nil {
		return pr, err
	}
	if !CanRead(p, &pr) {
		return Problem{}, apperr.ErrNotFound
	}
	return pr, nil
}

// Update edits an item still in draft (its 三定 and descriptive fields).
// Tags and severity may change at any stage.
func (l *Ledger) Update(ctx context.Context, p *org.Principal, id int64, in Input) (Problem, error) {
	in.Normalize()
	in.Draft = true // the 三定 are checked on submit
	if err := in.Validate(); err != nil {
		return Problem{}, err
	}
	err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
		pr, err := l.change(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !org.Can(p, Write, pr.UnitPath) {
			return apperr.ErrForbidden
		}
		if pr.Status != Draft {
			// after opening, only classification changes; the 三定 change through extensions
			if _, err := tx.ExecContext(ctx, `UPDATE problems SET severity = $1, updated_at = $2 WHERE id = $3`,
				in.Severity, l.nowMs(), id); err != nil {
				return err
			}
			if err := writeTags(ctx, tx, id, in.Tags); err != nil {
				return err
			}
		} else {
			unit, err := org.UnitByCode(ctx, tx, in.UnitCode)
			if err != nil || !org.Can(p, Write, unit.Path) {
				return apperr.Invalidf("unit_code", "err.problem.unit_code.unknown", in.UnitCode)
			}
			if unit.Closed && unit.ID != pr.UnitID {
				return apperr.Invalidf("unit_code", "err.unit.parent_closed", unit.Name)
			}
			respID, err := resolveResponsible(ctx, tx, in.Responsible, unit)
			if err != nil {
				return err
			}
			var deadline any
			if in.Deadline != "" {
				d, err := parseDeadline("deadline", in.Deadline, l.today())
				if err != nil {
					return err
				}
				deadline = calendar.FormatDay(d)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE problems SET title = $1, description = $2, source = $3, class = $4,
				severity = $5, unit_id = $6, responsible_id = $7, measures = $8, deadline = $9, origin_type = $10,
				origin_ref = $11, updated_at = $12 WHERE id = $13`,
				in.Title, in.Description, in.Source, in.Class, in.Severity, unit.ID, nullID(respID), in.Measures,
				deadline, in.OriginType, in.OriginRef, l.nowMs(), id); err != nil {
				return err
			}
			if err := writeTags(ctx, tx, id, in.Tags); err != nil {
				return err
			}
		}
		if _, err := l.addEvent(ctx, tx, p, id, "edited", "", "", "", nil, ""); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "problem.update", ObjectType: "problem",
			ObjectID: pr.Number, UnitID: pr.UnitID, Detail: map[string]any{"title": in.Title, "severity": in.Severity,
				"tags": strings.Join(in.Tags, ","), "responsible": in.Responsible, "deadline": in.Deadline}})
		return err
	})
	if err != nil {
		return Problem{}, err
	}
	return loadProblem(ctx, l.DB.Write, id)
}

// step runs one lifecycle step: it loads the item, lets check decide and
// write, records the event and the audit entry, and relights the item.
func (l *Ledger) step(ctx context.Context, p *org.Principal, id int64, a Action, fn func(tx *sql.Tx, pr *Problem, to Status) (kind, note string, pct *int, detail map[string]any, files []Upload, err error)) (Problem, error) {
	err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
		pr, err := l.change(ctx, tx, p, id)
		if err != nil {
			return err
		}
		to, err := Next(pr.Status, a)
		if err != nil {
			return err
		}
		kind, note, pct, detail, files, err := fn(tx, &pr, to)
		if err != nil {
			return err
		}
		if to != pr.Status {
			if _, err := tx.ExecContext(ctx, `UPDATE problems SET status = $1, updated_at = $2 WHERE id = $3`, string(to), l.nowMs(), id); err != nil {
				return err
			}
		}
		var d string
		if len(detail) > 0 {
			b, _ := json.Marshal(detail)
			d = string(b)
		}
		from := pr.Status
		if from == to {
			from, to = "", ""
		}
		eid, err := l.addEvent(ctx, tx, p, id, kind, from, to, note, pct, d)
		if err != nil {
			return err
		}
		if err := l.attachAll(ctx, tx, p, id, eid, files); err != nil {
			return err
		}
		if err := l.relight(ctx, tx, id); err != nil {
			return err
		}
		ad := map[string]any{"note": note}
		for k, v := range detail {
			ad[k] = v
		}
		if from != to {
			ad["from"], ad["to"] = string(from), string(to)
		}
		if pct != nil {
			ad["percent"] = *pct
		}
		if len(files) > 0 {
			ad["files"] = len(files)
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "problem." + kind, ObjectType: "problem",
			ObjectID: pr.Number, UnitID: pr.UnitID, Detail: ad})
		return err
	})
	if err != nil {
		return Problem{}, err
	}
	return loadProblem(ctx, l.DB.Write, id)
}

// attachAll stores uploaded evidence and links it to the event.
func (l *Ledger) attachAll(ctx context.Context, tx *sql.Tx, p *org.Principal, id, eventID int64, files []Upload) error {
	if len(files) > maxFilesPerStep {
		return apperr.Invalidf("evidence", "err.problem.too_many_files", maxFilesPerStep)
	}
	n := 0
	for _, f := range files {
		if l.Files == nil {
			return errors.New("ledger: no attachments store")
		}
		a, err := l.Files.Put(ctx, tx, p.UserID, f.Name, f.R)
		if err != nil {
			return onField(err, "evidence")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO problem_evidence (problem_id, event_id, attachment_id) VALUES ($1, $2, $3)`, id, eventID, a.ID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	if n > 0 {
		_, err := tx.ExecContext(ctx, `UPDATE problems SET evidence_count = evidence_count + $1 WHERE id = $2`, n, id)
		return err
	}
	return nil
}

const maxFilesPerStep = 20

// onField names the form field a user error belongs to.
func onField(err error, field string) error {
	if e := apperr.As(err); e != nil && e.Kind == apperr.Invalid {
		c := *e
		c.Field = field
		return &c
	}
	return err
}

// Submit opens a draft; it needs the 三定.
func (l *Ledger) Submit(ctx context.Context, p *org.Principal, id int64) (Problem, error) {
	return l.step(ctx, p, id, ActSubmit, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if !org.Can(p, Write, pr.UnitPath) {
			return "", "", nil, nil, nil, apperr.ErrForbidden
		}
		switch {
		case pr.ResponsibleID == 0:
			return "", "", nil, nil, nil, apperr.Invalidf("responsible", "err.problem.responsible.required")
		case strings.TrimSpace(pr.Measures) == "":
			return "", "", nil, nil, nil, apperr.Invalidf("measures", "err.problem.measures.required")
		case pr.Deadline == "":
			return "", "", nil, nil, nil, apperr.Invalidf("deadline", "err.problem.deadline.required")
		}
		today := l.today()
		if day(pr.Deadline).Before(today) {
			return "", "", nil, nil, nil, apperr.Invalidf("deadline", "err.problem.deadline.past", calendar.FormatDay(today))
		}
		// the clock starts when the item opens
		if _, err := tx.ExecContext(ctx, `UPDATE problems SET start_day = $1 WHERE id = $2`, calendar.FormatDay(today), pr.ID); err != nil {
			return "", "", nil, nil, nil, err
		}
		return "submitted", "", nil, nil, nil, nil
	})
}

// ProgressInput is a progress report.
type ProgressInput struct {
	Note    string
	Percent int
	Files   []Upload
}

// Progress records a progress report with optional evidence.
func (l *Ledger) Progress(ctx context.Context, p *org.Principal, id int64, in ProgressInput) (Problem, error) {
	in.Note = strings.TrimSpace(in.Note)
	if err := checkText("note", in.Note, true, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	if in.Percent < 0 || in.Percent > 100 {
		return Problem{}, apperr.Invalidf("percent", "err.problem.percent")
	}
	return l.step(ctx, p, id, ActProgress, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if !CanWork(p, pr) {
			return "", "", nil, nil, nil, apperr.ErrForbidden
		}
		if in.Percent < pr.Percent {
			return "", "", nil, nil, nil, apperr.Invalidf("percent", "err.problem.percent_down", pr.Percent)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE problems SET percent = $1, last_progress_by = $2 WHERE id = $3`, in.Percent, p.UserID, pr.ID); err != nil {
			return "", "", nil, nil, nil, err
		}
		pct := in.Percent
		return "progress", in.Note, &pct, nil, in.Files, nil
	})
}

// CloseInput asks for closing (销号).
type CloseInput struct {
	Note     string
	Standard string // how the 销号 standard is met
	Files    []Upload
	// Mechanism is required for long-term items (建章立制).
	Mechanism *MechanismInput
}

// MechanismInput records the lasting rule or system.
type MechanismInput struct {
	Title    string
	DocNo    string
	IssuedOn string
	File     *Upload
}

// RequestClose asks for the item to be closed. It needs evidence on the item
// (already reported or sent now), and for long-term items a lasting mechanism.
func (l *Ledger) RequestClose(ctx context.Context, p *org.Principal, id int64, in CloseInput) (Problem, error) {
	in.Note, in.Standard = strings.TrimSpace(in.Note), strings.TrimSpace(in.Standard)
	if err := checkText("note", in.Note, true, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	if err := checkText("close_standard", in.Standard, false, maxStandardRune); err != nil {
		return Problem{}, err
	}
	return l.step(ctx, p, id, ActRequestClose, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if !CanWork(p, pr) {
			return "", "", nil, nil, nil, apperr.ErrForbidden
		}
		if pr.EvidenceCount == 0 && len(in.Files) == 0 {
			return "", "", nil, nil, nil, apperr.Invalidf("evidence", "err.problem.no_evidence")
		}
		if err := l.closeAllowed(ctx, tx, pr); err != nil {
			return "", "", nil, nil, nil, err
		}
		detail := map[string]any{}
		files := in.Files
		if pr.Class == ClassLongterm {
			m := in.Mechanism
			if m == nil && pr.Mechanism == nil {
				return "", "", nil, nil, nil, apperr.Invalidf("mech_title", "err.problem.mechanism.required")
			}
			if m != nil {
				m.Title, m.DocNo, m.IssuedOn = strings.TrimSpace(m.Title), strings.TrimSpace(m.DocNo), strings.TrimSpace(m.IssuedOn)
				if err := checkText("mech_title", m.Title, true, maxTitleRunes); err != nil {
					return "", "", nil, nil, nil, err
				}
				if err := checkText("mech_doc_no", m.DocNo, true, maxOriginRunes); err != nil {
					return "", "", nil, nil, nil, err
				}
				issued, err := calendar.ParseDate(m.IssuedOn)
				if err != nil {
					return "", "", nil, nil, nil, apperr.Invalidf("mech_issued_on", "err.problem.mech_issued_on.format")
				}
				if issued.After(l.today()) {
					return "", "", nil, nil, nil, apperr.Invalidf("mech_issued_on", "err.problem.mech_issued_on.future")
				}
				var attID any
				if m.File != nil {
					a, err := l.Files.Put(ctx, tx, p.UserID, m.File.Name, m.File.R)
					if err != nil {
						return "", "", nil, nil, nil, onField(err, "mech_file")
					}
					attID = a.ID
				}
				if _, err := tx.ExecContext(ctx, `UPDATE problems SET mech_title = $1, mech_doc_no = $2, mech_issued_on = $3,
					mech_attachment_id = COALESCE($4, mech_attachment_id) WHERE id = $5`,
					m.Title, m.DocNo, calendar.FormatDay(issued), attID, pr.ID); err != nil {
					return "", "", nil, nil, nil, err
				}
				detail["mechanism"] = m.Title + " " + m.DocNo
			}
		}
		if in.Standard != "" {
			detail["standard"] = in.Standard
		}
		if _, err := tx.ExecContext(ctx, `UPDATE problems SET close_requested_by = $1, close_standard = $2 WHERE id = $3`,
			p.UserID, in.Standard, pr.ID); err != nil {
			return "", "", nil, nil, nil, err
		}
		return "close_requested", in.Note, nil, detail, files, nil
	})
}

// Verify decides a closing request: approved closes the item and schedules
// its look-back; refused sends it back with the reason.
func (l *Ledger) Verify(ctx context.Context, p *org.Principal, id int64, approve bool, note string) (Problem, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, !approve, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	a := ActApprove
	if !approve {
		a = ActReject
	}
	return l.step(ctx, p, id, a, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if err := CheckVerifier(p, pr); err != nil {
			return "", "", nil, nil, nil, err
		}
		if !approve {
			_, err := tx.ExecContext(ctx, `UPDATE problems SET close_requested_by = NULL WHERE id = $1`, pr.ID)
			return "close_rejected", note, nil, nil, nil, err
		}
		if err := l.closeAllowed(ctx, tx, pr); err != nil {
			return "", "", nil, nil, nil, err
		}
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return "", "", nil, nil, nil, err
		}
		today := l.today()
		due := calendar.FormatDay(ReviewDue(today, pr.Class, rules))
		_, err = tx.ExecContext(ctx, `UPDATE problems SET closed_on = $1, review_due = $2, review_result = '', percent = 100 WHERE id = $3`,
			calendar.FormatDay(today), due, pr.ID)
		return "closed", note, nil, map[string]any{"review_due": due}, nil, err
	})
}

// Review records the look-back (回头看) of a closed item. When the problem is
// back the item reopens with a new deadline and the unit's count of
// recurrences grows.
func (l *Ledger) Review(ctx context.Context, p *org.Principal, id int64, recurred bool, note, newDeadline string) (Problem, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, recurred, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	a := ActReviewPass
	if recurred {
		a = ActReviewRecur
	}
	return l.step(ctx, p, id, a, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if err := CheckVerifier(p, pr); err != nil {
			return "", "", nil, nil, nil, err
		}
		if pr.ReviewResult != "" {
			return "", "", nil, nil, nil, apperr.New(apperr.Conflict, "reviewed", "", "err.problem.reviewed")
		}
		if !recurred {
			_, err := tx.ExecContext(ctx, `UPDATE problems SET review_result = 'passed' WHERE id = $1`, pr.ID)
			return "review_passed", note, nil, nil, nil, err
		}
		today := l.today()
		if strings.TrimSpace(newDeadline) == "" {
			return "", "", nil, nil, nil, apperr.Invalidf("deadline", "err.problem.deadline.required")
		}
		d, err := parseDeadline("deadline", newDeadline, today)
		if err != nil {
			return "", "", nil, nil, nil, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE problems SET review_result = 'recurred', reopen_count = reopen_count + 1,
			deadline = $1, start_day = $2, percent = 0, closed_on = NULL, review_due = NULL, close_requested_by = NULL,
			extensions = 0, ext_deadline = NULL, ext_reason = '', ext_requested_by = NULL WHERE id = $3`,
			calendar.FormatDay(d), calendar.FormatDay(today), pr.ID)
		return "review_recurred", note, nil, map[string]any{"deadline": calendar.FormatDay(d)}, nil, err
	})
}

// RequestExtension asks for a later deadline (延期).
func (l *Ledger) RequestExtension(ctx context.Context, p *org.Principal, id int64, newDeadline, reason string) (Problem, error) {
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, true, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	return l.step(ctx, p, id, ActExtendRequest, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if !CanWork(p, pr) {
			return "", "", nil, nil, nil, apperr.ErrForbidden
		}
		if pr.ExtDeadline != "" {
			return "", "", nil, nil, nil, apperr.New(apperr.Conflict, "extension_pending", "", "err.problem.extension_pending")
		}
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return "", "", nil, nil, nil, err
		}
		if pr.Extensions >= rules.MaxExtensions {
			return "", "", nil, nil, nil, apperr.New(apperr.Conflict, "extension_limit", "", "err.problem.extension_limit", rules.MaxExtensions)
		}
		d, err := parseDeadline("deadline", newDeadline, l.today())
		if err != nil {
			return "", "", nil, nil, nil, err
		}
		if !d.After(day(pr.Deadline)) {
			return "", "", nil, nil, nil, apperr.Invalidf("deadline", "err.problem.extension_earlier", pr.Deadline)
		}
		nd := calendar.FormatDay(d)
		_, err = tx.ExecContext(ctx, `UPDATE problems SET ext_deadline = $1, ext_reason = $2, ext_requested_by = $3 WHERE id = $4`,
			nd, reason, p.UserID, pr.ID)
		return "extension_requested", reason, nil, map[string]any{"deadline": nd, "old_deadline": pr.Deadline}, nil, err
	})
}

// DecideExtension approves or refuses the pending extension request.
func (l *Ledger) DecideExtension(ctx context.Context, p *org.Principal, id int64, approve bool, note string) (Problem, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, !approve, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	return l.step(ctx, p, id, ActExtendDecide, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if pr.ExtDeadline == "" {
			return "", "", nil, nil, nil, apperr.New(apperr.Conflict, "no_extension", "", "err.problem.no_extension")
		}
		if err := CheckDecider(p, pr); err != nil {
			return "", "", nil, nil, nil, err
		}
		detail := map[string]any{"deadline": pr.ExtDeadline, "old_deadline": pr.Deadline}
		if !approve {
			_, err := tx.ExecContext(ctx, `UPDATE problems SET ext_deadline = NULL, ext_reason = '', ext_requested_by = NULL WHERE id = $1`, pr.ID)
			return "extension_refused", note, nil, detail, nil, err
		}
		_, err := tx.ExecContext(ctx, `UPDATE problems SET deadline = ext_deadline, extensions = extensions + 1,
			ext_deadline = NULL, ext_reason = '', ext_requested_by = NULL WHERE id = $1`, pr.ID)
		return "extension_approved", note, nil, detail, nil, err
	})
}

// Supervise puts an item under named supervision (挂牌督办) by the
// inspector's unit, with a required report interval in days; days = 0 lifts it.
func (l *Ledger) Supervise(ctx context.Context, p *org.Principal, id int64, days int, note string) (Problem, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, days > 0, maxNoteRunes); err != nil {
		return Problem{}, err
	}
	if days < 0 || days > 90 {
		return Problem{}, apperr.Invalidf("interval_days", "err.problem.supervise_days")
	}
	return l.step(ctx, p, id, ActSupervise, func(tx *sql.Tx, pr *Problem, to Status) (string, string, *int, map[string]any, []Upload, error) {
		if !org.Can(p, Supervise, pr.UnitPath) {
			return "", "", nil, nil, nil, apperr.ErrForbidden
		}
		if days == 0 {
			if !pr.Supervised {
				return "", "", nil, nil, nil, apperr.New(apperr.Conflict, "not_supervised", "", "err.problem.not_supervised")
			}
			_, err := tx.ExecContext(ctx, `UPDATE problems SET supervised_at = NULL, supervise_unit_id = NULL, supervise_days = 0, supervise_note = '' WHERE id = $1`, pr.ID)
			return "supervision_lifted", note, nil, nil, nil, err
		}
		_, err := tx.ExecContext(ctx, `UPDATE problems SET supervised_at = $1, supervise_unit_id = $2, supervise_days = $3, supervise_note = $4 WHERE id = $5`,
			l.nowMs(), p.UnitID, days, note, pr.ID)
		return "supervised", note, nil, map[string]any{"interval_days": days, "unit": p.UnitCode}, nil, err
	})
}

// Events returns an item's timeline, oldest first, with the evidence of each event.
func (l *Ledger) Events(ctx context.Context, p *org.Principal, id int64) ([]Event, error) {
	if _, err := l.Get(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := l.DB.Read.QueryContext(ctx, `SELECT id, at, COALESCE(actor_id, 0), actor_name, kind, from_status, to_status, note, percent, detail
		FROM problem_events WHERE problem_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	var out []Event
	idx := map[int64]int{}
	for rows.Next() {
		var e Event
		var pct sql.NullInt64
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.Kind, &e.FromStatus, &e.ToStatus, &e.Note, &pct, &e.Detail); err != nil {
			rows.Close()
			return nil, err
		}
		if pct.Valid {
			v := int(pct.Int64)
			e.Percent = &v
		}
		idx[e.ID] = len(out)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ev, err := l.DB.Read.QueryContext(ctx, `SELECT pe.event_id, a.id, a.name, a.mime, a.size FROM problem_evidence pe
		JOIN attachments a ON a.id = pe.attachment_id WHERE pe.problem_id = $1 ORDER BY a.id`, id)
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	for ev.Next() {
		var eid int64
		var f Evidence
		if err := ev.Scan(&eid, &f.AttachmentID, &f.Name, &f.MIME, &f.Size); err != nil {
			return nil, err
		}
		if i, ok := idx[eid]; ok {
			out[i].Evidence = append(out[i].Evidence, f)
		}
	}
	return out, ev.Err()
}

// Attachment returns an evidence or mechanism file of an item the principal may see.
func (l *Ledger) Attachment(ctx context.Context, p *org.Principal, id, attachmentID int64) (attach.File, error) {
	pr, err := l.Get(ctx, p, id)
	if err != nil {
		return attach.File{}, err
	}
	var n int
	if err := l.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problem_evidence WHERE problem_id = $1 AND attachment_id = $2`,
		id, attachmentID).Scan(&n); err != nil {
		return attach.File{}, err
	}
	if n == 0 && (pr.Mechanism == nil || pr.Mechanism.AttachmentID != attachmentID) {
		return attach.File{}, apperr.ErrNotFound
	}
	return attach.Get(ctx, l.DB.Read, attachmentID)
}
