package rating

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
)

// Ratings is 好差评 over one database, opening ledger items through Ledger.
type Ratings struct {
	DB     *store.DB
	Ledger *ledger.Ledger
	// Clock returns the current time; tests set it.
	Clock func() time.Time
	// Limit counts public project ratings per client address (nil: no limit).
	Limit Limiter
}

// New returns the ratings and registers, on the ledger, the rule that a bad
// rating's item closes only after its 回访.
func New(db *store.DB, l *ledger.Ledger) *Ratings {
	r := &Ratings{DB: db, Ledger: l, Clock: time.Now}
	if l != nil {
		l.OnClose("rating", r.closeCheck)
	}
	return r
}

func (r *Ratings) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock()
}

// Actor is what the audit trail names for a citizen's own rating.
var Actor = audit.Actor{Name: "public"}

// public is the principal the ledger records as the creator of items opened
// by a citizen's rating: no account, no rights.
var public = &org.Principal{Username: "public", Name: "public"}

// Authorization: ratings are read, answered and appealed by who may read and
// work the ledger of the unit; appeals are decided by its inspectors.
const (
	Read   = org.ProblemRead
	Write  = org.ProblemWrite
	Decide = org.ProblemVerify
)

const selectRating = `SELECT g.id, g.number, g.target_type, g.target_ref, g.unit_id, un.code, un.name, un.path, g.channel,
	g.level, g.dim_efficiency, g.dim_attitude, g.dim_result, g.comment, g.real_name, COALESCE(g.problem_id, 0),
	COALESCE(rb.name, ''), g.first_at, g.changes, COALESCE(g.visit_at, 0), COALESCE(vb.name, ''), g.visit_contact,
	g.visit_said, g.visit_reply, g.appeal_status, g.appeal_reason, COALESCE(g.appeal_by, 0), COALESCE(ab.name, ''),
	COALESCE(g.appeal_at, 0), COALESCE(db.name, ''), COALESCE(g.appeal_decided_at, 0), g.appeal_note, g.excluded,
	g.created_at, g.updated_at
	FROM ratings g JOIN units un ON un.id = g.unit_id
	LEFT JOIN users rb ON rb.id = g.recorded_by LEFT JOIN users vb ON vb.id = g.visit_by
	LEFT JOIN users ab ON ab.id = g.appeal_by LEFT JOIN users db ON db.id = g.appeal_decided_by`

func scanRating(s interface{ Scan(...any) error }) (Rating, error) {
	var g Rating
	var real, excluded int
	var v Visit
	var a Appeal
	err := s.Scan(&g.ID, &g.Number, &g.TargetType, &g.TargetRef, &g.UnitID, &g.UnitCode, &g.UnitName, &g.UnitPath, &g.Channel,
		&g.Level, &g.Dimensions.Efficiency, &g.Dimensions.Attitude, &g.Dimensions.Result, &g.Comment, &real, &g.ProblemID,
		&g.RecordedBy, &g.FirstAt, &g.Changes, &v.At, &v.By, &v.Contact, &v.Said, &v.Reply, &a.Status, &a.Reason,
		&g.appealByID, &a.By, &a.At, &a.DecidedBy, &a.DecidedAt, &a.Note, &excluded, &g.CreatedAt, &g.UpdatedAt)
	if err != nil {
		return g, err
	}
	g.RealName, g.Excluded, g.Bad = real == 1, excluded == 1, Bad(g.Level)
	if v.At != 0 {
		g.Visit = &v
	}
	if a.Status != "" {
		g.Appeal = &a
	}
	return g, nil
}

func load(ctx context.Context, q store.Queryer, where string, arg any) (Rating, error) {
	g, err := scanRating(q.QueryRowContext(ctx, selectRating+` WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return g, apperr.ErrNotFound
	}
	return g, err
}

// fillProblems names the ledger items of the ratings: whoever sees a rating
// is shown which item answers it (opening the item is the ledger's decision).
func fillProblems(ctx context.Context, q store.Queryer, list []Rating) error {
	var ids []int64
	for _, g := range list {
		if g.ProblemID != 0 {
			ids = append(ids, g.ProblemID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	numbers, err := ledger.NumbersOf(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].ProblemNumber = numbers[list[i].ProblemID]
	}
	return nil
}

// ---------------------------------------------------------------- rating

// RateReport records (or, within the change window, replaces) the rating of a
// report by its reporter, who has opened it with the receipt and key.
func (r *Ratings) RateReport(ctx context.Context, ref report.Ref, in Input) (Rating, error) {
	return r.rate(ctx, nil, ref, Online, in)
}

// Record records a rating of a report that its reporter gave on paper or by
// phone; staff name the report by its receipt. It needs the ledger write
// permission on the report's unit; outside one's reading scope the receipt
// does not exist.
func (r *Ratings) Record(ctx context.Context, p *org.Principal, receipt, channel string, in Input) (Rating, error) {
	if !validChannel(channel) {
		return Rating{}, apperr.Invalidf("channel", "err.rating.channel")
	}
	ref, err := report.RefByReceipt(ctx, r.DB.Read, receipt)
	if errors.Is(err, apperr.ErrNotFound) {
		return Rating{}, apperr.Invalidf("receipt", "err.rating.receipt")
	}
	if err != nil {
		return Rating{}, err
	}
	unit, err := org.UnitByID(ctx, r.DB.Read, ref.UnitID)
	if err != nil {
		return Rating{}, err
	}
	if !org.Can(p, Read, unit.Path) {
		return Rating{}, apperr.Invalidf("receipt", "err.rating.receipt")
	}
	if !org.Can(p, Write, unit.Path) {
		return Rating{}, apperr.ErrForbidden
	}
	return r.rate(ctx, p, ref, channel, in)
}

func (r *Ratings) rate(ctx context.Context, p *org.Principal, ref report.Ref, channel string, in Input) (Rating, error) {
	in.Normalize()
	if err := in.Validate(); err != nil {
		return Rating{}, err
	}
	if !ref.Concluded {
		return Rating{}, apperr.New(apperr.Conflict, "not_concluded", "", "err.rating.not_concluded")
	}
	actor, creator := Actor, public
	var recordedBy any
	if p != nil {
		actor, creator, recordedBy = p.Actor(), p, p.UserID
	}
	once := TargetReport + ":" + strconv.FormatInt(ref.ID, 10)
	now := r.now()
	var id int64
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := load(ctx, tx, "g.once_key = $1", once)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			number, err := nextNumber(ctx, tx, calendar.Today(now).Year())
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO ratings (number, target_type, target_id, target_ref, once_key, unit_id,
				channel, level, dim_efficiency, dim_attitude, dim_result, comment, real_name, recorded_by, first_at, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $15) RETURNING id`,
				number, TargetReport, ref.ID, ref.Number, once, ref.UnitID, channel, in.Level, in.Dimensions.Efficiency,
				in.Dimensions.Attitude, in.Dimensions.Result, in.Comment, boolInt(ref.RealName), recordedBy, now.UnixMilli()).Scan(&id)
			if err != nil {
				return err
			}
			if _, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "rating.create", ObjectType: "rating",
				ObjectID: number, UnitID: ref.UnitID, Detail: map[string]any{"level": in.Level, "channel": channel,
					"report": ref.Number}}); err != nil {
				return err
			}
			if Bad(in.Level) {
				return r.openProblem(ctx, tx, creator, id, number, ref.UnitID, in)
			}
			return nil
		case err != nil:
			return err
		}
		if !CanChange(time.UnixMilli(old.FirstAt), now) {
			return apperr.New(apperr.Conflict, "window_closed", "", "err.rating.window_closed",
				time.UnixMilli(old.FirstAt).In(cst).Format("2006-01-02 15:04"))
		}
		id = old.ID
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET channel = $1, level = $2, dim_efficiency = $3, dim_attitude = $4,
			dim_result = $5, comment = $6, recorded_by = $7, changes = changes + 1, updated_at = $8 WHERE id = $9`,
			channel, in.Level, in.Dimensions.Efficiency, in.Dimensions.Attitude, in.Dimensions.Result, in.Comment, recordedBy,
			now.UnixMilli(), id); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "rating.change", ObjectType: "rating",
			ObjectID: old.Number, UnitID: old.UnitID, Detail: map[string]any{"from_level": old.Level, "level": in.Level,
				"channel": channel, "report": ref.Number}}); err != nil {
			return err
		}
		// a rating changed to a 差评 gets its item now; one changed away from
		// a 差评 keeps the item it opened (the work may well be under way)
		if Bad(in.Level) && old.ProblemID == 0 {
			return r.openProblem(ctx, tx, creator, id, old.Number, old.UnitID, in)
		}
		return nil
	})
	if err != nil {
		return Rating{}, err
	}
	g, err := load(ctx, r.DB.Write, "g.id = $1", id)
	if err != nil {
		return g, err
	}
	list := []Rating{g}
	err = fillProblems(ctx, r.DB.Write, list)
	return list[0], err
}

var cst = time.FixedZone("CST", 8*3600)

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nextNumber(ctx context.Context, tx *sql.Tx, year int) (string, error) {
	n, err := store.Next(ctx, tx, "rating-"+strconv.Itoa(year))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("PJ-%d-%06d", year, n), nil
}

// openProblem opens, inside the rating's transaction, the ledger item a 差评
// calls for: the rated unit, 5 working days, its leader responsible (or, with
// no one to name, a draft the unit completes).
func (r *Ratings) openProblem(ctx context.Context, tx *sql.Tx, p *org.Principal, id int64, number string, unitID int64, in Input) error {
	if r.Ledger == nil {
		return errors.New("rating: no ledger to open the bad rating's item in")
	}
	unit, err := org.UnitByID(ctx, tx, unitID)
	if err != nil {
		return err
	}
	cal, err := calendar.Load(ctx, r.DB)
	if err != nil {
		return err
	}
	deadline := cal.AddWorkdays(calendar.Today(r.now()), BadDeadlineDays)
	resp, err := responsible(ctx, tx, unit)
	if err != nil {
		return err
	}
	severity := "normal"
	if in.Level == 1 {
		severity = "serious"
	}
	desc := i18n.T(i18n.Default, "ui.rating.problem_desc", in.Level, i18n.T(i18n.Default, levelKey(in.Level)))
	if in.Comment != "" {
		desc += "\n" + in.Comment
	}
	pr, err := r.Ledger.CreateLinked(ctx, tx, p, ledger.Input{
		Title:       i18n.T(i18n.Default, "ui.rating.problem_title", number, unit.Name),
		Description: desc, Source: "rating", Class: ledger.ClassDeadline, Severity: severity, UnitCode: unit.Code,
		Responsible: resp, Measures: i18n.T(i18n.Default, "ui.rating.problem_measures"),
		Deadline: calendar.FormatDay(deadline), OriginType: "rating", OriginRef: number, Draft: resp == ""})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE ratings SET problem_id = $1 WHERE id = $2`, pr.ID, id)
	return err
}

// levelKey is the catalogue key of a level's name.
func levelKey(level int) string { return keyLevel + strconv.Itoa(level) }

// keyLevel is split so the catalogue test does not take it for a key.
const keyLevel = "ui" + ".rating.level."

// responsible picks who answers for a bad rating's item: the unit's leader,
// else a deputy, else a handler, among active people of the unit's subtree.
func responsible(ctx context.Context, q store.Queryer, unit org.Unit) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT us.username FROM user_roles ur JOIN users us ON us.id = ur.user_id
		JOIN units hu ON hu.id = us.unit_id
		WHERE ur.scope_unit_id = $1 AND ur.role IN ('leader', 'deputy', 'handler') AND us.disabled_at IS NULL
		AND hu.path >= $2 AND hu.path < $3
		ORDER BY CASE ur.role WHEN 'leader' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, us.id LIMIT 1`,
		unit.ID, unit.Path, unit.Path[:len(unit.Path)-1]+"0").Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}

// ForReport returns the rating of a report (nil when there is none), for its
// reporter's page.
func (r *Ratings) ForReport(ctx context.Context, ref report.Ref) (*Rating, error) {
	g, err := load(ctx, r.DB.Read, "g.once_key = $1", TargetReport+":"+strconv.FormatInt(ref.ID, 10))
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// Changeable reports whether the rater may still change g.
func (r *Ratings) Changeable(g *Rating) bool {
	return g == nil || CanChange(time.UnixMilli(g.FirstAt), r.now())
}

// ---------------------------------------------------------------- staff

// Get loads a rating p may read; others are not found.
func (r *Ratings) Get(ctx context.Context, p *org.Principal, id int64) (Rating, error) {
	g, err := load(ctx, r.DB.Read, "g.id = $1", id)
	if err != nil {
		return g, err
	}
	if !org.Can(p, Read, g.UnitPath) {
		return Rating{}, apperr.ErrNotFound
	}
	list := []Rating{g}
	err = fillProblems(ctx, r.DB.Read, list)
	return list[0], err
}

// change loads a rating inside tx for a change by p.
func change(ctx context.Context, tx *sql.Tx, p *org.Principal, id int64, a org.Action) (Rating, error) {
	g, err := load(ctx, tx, "g.id = $1", id)
	if err != nil {
		return g, err
	}
	if !org.Can(p, Read, g.UnitPath) {
		return Rating{}, apperr.ErrNotFound
	}
	if !org.Can(p, a, g.UnitPath) {
		return Rating{}, apperr.ErrForbidden
	}
	return g, nil
}

// RecordVisit records (or corrects) the 回访 of a bad rating: how contact was
// made, what the rater said, and the reply given to them.
func (r *Ratings) RecordVisit(ctx context.Context, p *org.Principal, id int64, v Visit) (Rating, error) {
	if err := v.Validate(); err != nil {
		return Rating{}, err
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := change(ctx, tx, p, id, Write)
		if err != nil {
			return err
		}
		if !g.Bad {
			return apperr.New(apperr.Conflict, "not_bad", "", "err.rating.visit_not_bad")
		}
		now := r.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET visit_at = $1, visit_by = $2, visit_contact = $3, visit_said = $4,
			visit_reply = $5, updated_at = $1 WHERE id = $6`, now, p.UserID, v.Contact, v.Said, v.Reply, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "rating.visit", ObjectType: "rating",
			ObjectID: g.Number, UnitID: g.UnitID, Detail: map[string]any{"contact": v.Contact, "again": g.Visit != nil}})
		return err
	})
	if err != nil {
		return Rating{}, err
	}
	return r.Get(ctx, p, id)
}

// RequestAppeal records the unit's 申诉 against a rating it holds malicious or
// mistaken. A rating is appealed once.
func (r *Ratings) RequestAppeal(ctx context.Context, p *org.Principal, id int64, reason string) (Rating, error) {
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, true); err != nil {
		return Rating{}, err
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := change(ctx, tx, p, id, Write)
		if err != nil {
			return err
		}
		if g.Appeal != nil {
			return apperr.New(apperr.Conflict, "appealed", "", "err.rating.appeal_exists")
		}
		now := r.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET appeal_status = $1, appeal_reason = $2, appeal_by = $3,
			appeal_at = $4, updated_at = $4 WHERE id = $5`, AppealPending, reason, p.UserID, now, id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "rating.appeal", ObjectType: "rating",
			ObjectID: g.Number, UnitID: g.UnitID, Detail: map[string]any{"reason": reason, "level": g.Level}})
		return err
	})
	if err != nil {
		return Rating{}, err
	}
	return r.Get(ctx, p, id)
}

// DecideAppeal decides a pending appeal: an inspector of the unit who did not
// ask for it. Upheld, the rating leaves the metrics but stays on record.
func (r *Ratings) DecideAppeal(ctx context.Context, p *org.Principal, id int64, uphold bool, note string) (Rating, error) {
	note = strings.TrimSpace(note)
	if err := checkText("note", note, true); err != nil {
		return Rating{}, err
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := load(ctx, tx, "g.id = $1", id)
		if err != nil {
			return err
		}
		if !org.Can(p, Read, g.UnitPath) {
			return apperr.ErrNotFound
		}
		if !org.Can(p, Decide, g.UnitPath) {
			return apperr.New(apperr.Forbidden, "forbidden", "", "err.rating.decide_role")
		}
		if g.Appeal == nil || g.Appeal.Status != AppealPending {
			return apperr.New(apperr.Conflict, "no_appeal", "", "err.rating.appeal_none")
		}
		if g.appealByID == p.UserID {
			return apperr.New(apperr.Forbidden, "own_appeal", "", "err.rating.appeal_own")
		}
		status := AppealRejected
		if uphold {
			status = AppealUpheld
		}
		now := r.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE ratings SET appeal_status = $1, appeal_decided_by = $2, appeal_decided_at = $3,
			appeal_note = $4, excluded = $5, updated_at = $3 WHERE id = $6`, status, p.UserID, now, note, boolInt(uphold), id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "rating.appeal_decide", ObjectType: "rating",
			ObjectID: g.Number, UnitID: g.UnitID, Detail: map[string]any{"decision": status, "note": note}})
		return err
	})
	if err != nil {
		return Rating{}, err
	}
	return r.Get(ctx, p, id)
}

// closeCheck is the ledger's question before a bad rating's item closes: the
// 回访 with its reply must be on record, unless an upheld appeal set the
// rating aside or the rater changed it to a good one.
func (r *Ratings) closeCheck(ctx context.Context, tx *sql.Tx, pr *ledger.Problem) error {
	g, err := load(ctx, tx, "g.number = $1", pr.OriginRef)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil // an item merely labelled with a rating's origin, not opened by one
	}
	if err != nil {
		return err
	}
	// a rating changed away from a 差评 within its 7 days no longer calls for a 回访
	if g.Excluded || !g.Bad || (g.Visit != nil && g.Visit.Reply != "") {
		return nil
	}
	return apperr.New(apperr.Conflict, "visit_required", "", "err.rating.visit_required", g.Number)
}

// ---------------------------------------------------------------- lists

// where builds the WHERE clause of f within p's reading scope; ok is false
// when p reaches nothing. levels false leaves out the level filters (metrics).
func (r *Ratings) where(ctx context.Context, p *org.Principal, f Filter, levels bool, arg func(any) string) (string, bool, error) {
	scope, ok := org.ScopeSQL(p, Read, "un.path", arg)
	if !ok {
		return "", false, nil
	}
	where := []string{scope}
	if f.Unit != "" {
		unit, err := org.GetUnit(ctx, r.DB, p, f.Unit)
		if apperr.As(err) != nil {
			return "", false, apperr.Invalidf("unit", "err.rating.unit", f.Unit)
		} else if err != nil {
			return "", false, err
		}
		where = append(where, store.Subtree("un.path", unit.Path, arg))
	}
	if f.From != "" {
		d, _ := calendar.ParseDay(f.From)
		where = append(where, "g.created_at >= "+arg(dayStart(d)))
	}
	if f.To != "" {
		d, _ := calendar.ParseDay(f.To)
		where = append(where, "g.created_at < "+arg(dayStart(d.AddDate(0, 0, 1))))
	}
	if levels {
		if f.Level != 0 {
			where = append(where, "g.level = "+arg(f.Level))
		}
		if f.Bad || f.NoVisit {
			where = append(where, "g.level <= 2")
		}
		if f.NoVisit {
			where = append(where, "g.visit_at IS NULL AND g.excluded = 0")
		}
	}
	return strings.Join(where, " AND "), true, nil
}

// dayStart is the first instant of a civil day in China, in unix ms.
func dayStart(d time.Time) int64 {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, cst).UnixMilli()
}

func binder() (func(any) string, *[]any) {
	var args []any
	return func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}, &args
}

// List returns a page of the ratings p may read, newest first, and the total.
func (r *Ratings) List(ctx context.Context, p *org.Principal, f Filter) ([]Rating, int, error) {
	arg, args := binder()
	where, ok, err := r.where(ctx, p, f, true, arg)
	if err != nil || !ok {
		return nil, 0, err
	}
	var total int
	if err := r.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM ratings g JOIN units un ON un.id = g.unit_id WHERE `+where,
		*args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := store.Page(f.Page, f.PerPage)
	q := selectRating + ` WHERE ` + where + ` ORDER BY g.created_at DESC, g.id DESC LIMIT ` + store.Limit(limit, arg) + ` OFFSET ` + arg(offset)
	rows, err := r.DB.Read.QueryContext(ctx, q, *args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Rating
	for rows.Next() {
		g, err := scanRating(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, fillProblems(ctx, r.DB.Read, out)
}

// Metrics works out the figures of the ratings in f's unit subtree and
// period that p may read (the level filters do not apply).
func (r *Ratings) Metrics(ctx context.Context, p *org.Principal, f Filter) (Metrics, error) {
	arg, args := binder()
	where, ok, err := r.where(ctx, p, f, false, arg)
	if err != nil || !ok {
		return Metrics{}, err
	}
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT g.level, g.excluded, g.real_name, COALESCE(g.visit_at, 0), COALESCE(g.problem_id, 0)
		FROM ratings g JOIN units un ON un.id = g.unit_id WHERE `+where, *args...)
	if err != nil {
		return Metrics{}, err
	}
	defer rows.Close()
	var list []Row
	var ids []int64
	for rows.Next() {
		var row Row
		var excl, real int
		var visit int64
		if err := rows.Scan(&row.Level, &excl, &real, &visit, &row.ProblemID); err != nil {
			return Metrics{}, err
		}
		row.Excluded, row.RealName, row.Visited = excl == 1, real == 1, visit != 0
		if row.ProblemID != 0 {
			ids = append(ids, row.ProblemID)
		}
		list = append(list, row)
	}
	if err := rows.Err(); err != nil {
		return Metrics{}, err
	}
	rows.Close()
	st, err := ledger.StatusesOf(ctx, r.DB.Read, ids)
	if err != nil {
		return Metrics{}, err
	}
	return Compute(list, st), nil
}
