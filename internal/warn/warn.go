// Package warn is 形式主义预警: flags on the records that show work done for
// the count rather than for the people — closures bunched just before the
// deadline, copy-paste progress notes, closures with thin evidence, many
// closures with low satisfaction, items reopened by 回头看, projects "done"
// with poor public ratings, 查结 by "已查过". Each flag names a unit, carries
// its evidence and links to the items; it can be dismissed only with a
// reason, which stays visible beside it.
//
// The detectors (detect.go) are pure functions over plain rows; warn.go
// gathers the rows of a unit subtree for a period in set-based queries and
// adds authorization, dismissal and the audit trail.
package warn

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/study"
)

// Kinds of flag.
const (
	Bunching    = "bunching"     // closures bunched just before the deadline, against the unit's own baseline
	Boilerplate = "boilerplate"  // the same progress note on many items
	ThinClosure = "thin_closure" // closures without files or with a very short note
	LowSat      = "low_sat"      // many closures, low satisfaction
	Reopened    = "reopened"     // items reopened by 回头看
	PoorProject = "poor_project" // projects done with poor public ratings
	PriorDone   = "prior_done"   // leads concluded as 已查过
	StudyCopy   = "study_copy"   // study reflections copied from others or a template
)

// Kinds lists the kinds in display order.
var Kinds = []string{Bunching, Boilerplate, ThinClosure, LowSat, Reopened, PoorProject, PriorDone, StudyCopy}

// Thresholds are the settings of the detectors (an administrator of the
// whole tree edits them).
type Thresholds struct {
	BunchDays   int `json:"bunch_days"`   // a closure this many days or fewer before the deadline is "just before"
	BunchShare  int `json:"bunch_share"`  // percent of the period's closures just before the deadline
	BunchFactor int `json:"bunch_factor"` // percent of the unit's own baseline share the period must reach
	BunchMin    int `json:"bunch_min"`    // closures in the period needed to judge

	NoteItems      int `json:"note_items"`      // the same note on at least this many items
	NoteSimilarity int `json:"note_similarity"` // percent: notes this similar are the same note

	ThinChars int `json:"thin_chars"` // a closing note shorter than this is thin
	ThinMin   int `json:"thin_min"`   // thin closures needed
	ThinShare int `json:"thin_share"` // percent of the period's closures

	LowSatClosed int `json:"low_sat_closed"` // closures in the period
	LowSatRate   int `json:"low_sat_rate"`   // percent: satisfaction below this is low
	LowSatRated  int `json:"low_sat_rated"`  // ratings needed

	ReopenMin int `json:"reopen_min"` // items reopened in the period

	ProjectRatings int `json:"project_ratings"` // ratings a done project needs to be judged
	ProjectBad     int `json:"project_bad"`     // percent of 差评

	PriorMin   int `json:"prior_min"`   // 已查过 conclusions in the period
	PriorShare int `json:"prior_share"` // percent of the period's conclusions
}

// DefaultThresholds are the thresholds until an administrator changes them.
func DefaultThresholds() Thresholds {
	return Thresholds{BunchDays: 2, BunchShare: 60, BunchFactor: 200, BunchMin: 8,
		NoteItems: 3, NoteSimilarity: 85,
		ThinChars: 10, ThinMin: 3, ThinShare: 30,
		LowSatClosed: 10, LowSatRate: 70, LowSatRated: 10,
		ReopenMin:      2,
		ProjectRatings: 3, ProjectBad: 40,
		PriorMin: 3, PriorShare: 30}
}

// Validate checks the ranges.
func (t Thresholds) Validate() error {
	for _, c := range []struct {
		name    string
		v, a, b int
	}{
		{"bunch_days", t.BunchDays, 0, 30}, {"bunch_share", t.BunchShare, 1, 100}, {"bunch_factor", t.BunchFactor, 100, 1000},
		{"bunch_min", t.BunchMin, 1, 10000}, {"note_items", t.NoteItems, 2, 1000}, {"note_similarity", t.NoteSimilarity, 50, 100},
		{"thin_chars", t.ThinChars, 1, 500}, {"thin_min", t.ThinMin, 1, 10000}, {"thin_share", t.ThinShare, 1, 100},
		{"low_sat_closed", t.LowSatClosed, 1, 100000}, {"low_sat_rate", t.LowSatRate, 1, 100}, {"low_sat_rated", t.LowSatRated, 1, 100000},
		{"reopen_min", t.ReopenMin, 1, 10000}, {"project_ratings", t.ProjectRatings, 1, 10000}, {"project_bad", t.ProjectBad, 1, 100},
		{"prior_min", t.PriorMin, 1, 10000}, {"prior_share", t.PriorShare, 1, 100},
	} {
		if c.v < c.a || c.v > c.b {
			return apperr.Invalidf(c.name, "err.warn.range", c.a, c.b)
		}
	}
	return nil
}

// Evidence is one record behind a flag.
type Evidence struct {
	Ref   string `json:"ref"` // an item, project or report number
	Title string `json:"title,omitempty"`
	Note  string `json:"note,omitempty"` // what shows the problem (the repeated note, the closing note, the days before the deadline)
	Link  string `json:"link"`
}

// Dismissal is the reason a flag was set aside, kept visible.
type Dismissal struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
	At     int64  `json:"at"`
}

// Flag is one warning about one unit.
type Flag struct {
	Kind     string `json:"kind"`
	UnitID   int64  `json:"-"`
	UnitCode string `json:"unit"`
	UnitName string `json:"unit_name"`
	// Subject names what the flag is about (the period; a project number),
	// so a dismissal covers exactly this flag.
	Subject string `json:"subject"`
	// Args fill the kind's summary (ui.warn.summary.<kind>).
	Args      []any      `json:"figures"`
	Evidence  []Evidence `json:"evidence"`
	Link      string     `json:"link,omitempty"` // the list of the items behind it
	Dismissed *Dismissal `json:"dismissed,omitempty"`
}

// Warner computes and dismisses flags.
type Warner struct {
	DB    *store.DB
	Clock func() time.Time
	// Every is how often the snapshot job recomputes the flags (0: score.DefaultEvery).
	Every time.Duration
}

// New returns a warner over db.
func New(db *store.DB) *Warner { return &Warner{DB: db} }

func (w *Warner) now() time.Time {
	if w.Clock != nil {
		return w.Clock()
	}
	return time.Now()
}

// Today is the current civil day in China.
func (w *Warner) Today() time.Time { return calendar.Today(w.now()) }

const settingKey = "warn.thresholds"

// Thresholds returns the thresholds in force.
func (w *Warner) Thresholds(ctx context.Context) (Thresholds, error) {
	var v string
	err := w.DB.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, settingKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultThresholds(), nil
	}
	if err != nil {
		return Thresholds{}, err
	}
	t := DefaultThresholds() // a threshold added later keeps its default
	if json.Unmarshal([]byte(v), &t) != nil || t.Validate() != nil {
		return DefaultThresholds(), nil
	}
	return t, nil
}

// CanSetThresholds: a deployment-wide setting.
func CanSetThresholds(p *org.Principal) bool { return org.IsRootAdmin(p) }

// SetThresholds changes the thresholds (audited).
func (w *Warner) SetThresholds(ctx context.Context, p *org.Principal, t Thresholds) error {
	if !CanSetThresholds(p) {
		return apperr.ErrForbidden
	}
	if err := t.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(t)
	return w.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, settingKey, string(b), store.Millis(w.now())); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "settings.warn_thresholds", ObjectType: "settings",
			ObjectID: settingKey, Detail: map[string]any{"thresholds": string(b)}})
		return err
	})
}

// CanDismiss: an inspector over the unit, or an administrator of the whole
// tree; never the unit's own leaders, whose work the flag is about.
func CanDismiss(p *org.Principal, unitPath string) bool {
	return org.Can(p, org.ProblemVerify, unitPath) || org.IsRootAdmin(p)
}

// List returns the flags of every unit in the subtree of unitCode for the
// period, dismissed ones included (with their reason), by unit then kind.
func (w *Warner) List(ctx context.Context, p *org.Principal, unitCode, periodKey string) ([]Flag, error) {
	flags, _, err := w.ListSnapshot(ctx, p, unitCode, periodKey)
	return flags, err
}

// ListSnapshot is List, saying which background computation the flags
// come from (nil: computed now, when the job has not computed the period).
func (w *Warner) ListSnapshot(ctx context.Context, p *org.Principal, unitCode, periodKey string) ([]Flag, *Snapshot, error) {
	per, err := score.ParsePeriod(periodKey)
	if err != nil {
		return nil, nil, err
	}
	u, err := org.UnitByCode(ctx, w.DB.Read, strings.TrimSpace(unitCode))
	if err != nil {
		if apperr.As(err) != nil {
			return nil, nil, apperr.ErrNotFound
		}
		return nil, nil, err
	}
	if !score.CanRead(p, u.Path) {
		return nil, nil, apperr.ErrNotFound
	}
	th, err := w.Thresholds(ctx)
	if err != nil {
		return nil, nil, err
	}
	sn, err := w.snapshotRun(ctx, per.Key, th)
	if err != nil {
		return nil, nil, err
	}
	var flags []Flag
	if sn != nil {
		if flags, err = w.snapshotFlags(ctx, u.Path, per.Key); err != nil {
			return nil, nil, err
		}
	} else {
		rows, err := gather(ctx, w.DB.Read, u.Path, nil, per, th)
		if err != nil {
			return nil, nil, err
		}
		if rows.Copies, err = study.Copies(ctx, w.DB, u.Path); err != nil {
			return nil, nil, err
		}
		flags = Detect(rows, per, th)
	}
	if flags, err = w.withoutRecused(ctx, p, u.Path, per, th, flags); err != nil {
		return nil, nil, err
	}
	// dismissals are read now, whatever the flags come from
	if err := w.attachDismissals(ctx, u.Path, flags); err != nil {
		return nil, nil, err
	}
	return flags, sn, nil
}

func (w *Warner) attachDismissals(ctx context.Context, path string, flags []Flag) error {
	if len(flags) == 0 {
		return nil
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	rows, err := w.DB.Read.QueryContext(ctx, `SELECT d.unit_id, d.kind, d.subject, d.reason, COALESCE(us.username, ''), d.dismissed_at
		FROM warn_dismissals d JOIN units un ON un.id = d.unit_id LEFT JOIN users us ON us.id = d.dismissed_by
		WHERE `+store.Subtree("un.path", path, arg), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type key struct {
		unit          int64
		kind, subject string
	}
	m := map[key]*Dismissal{}
	for rows.Next() {
		var k key
		var d Dismissal
		if err := rows.Scan(&k.unit, &k.kind, &k.subject, &d.Reason, &d.By, &d.At); err != nil {
			return err
		}
		m[k] = &d
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range flags {
		flags[i].Dismissed = m[key{flags[i].UnitID, flags[i].Kind, flags[i].Subject}]
	}
	return nil
}

// MinReason is the shortest reason a dismissal accepts: a flag is set aside
// by saying why, not by a click.
const MinReason = 10

// Dismiss sets a flag aside with a reason. The flag must be present now
// (computed for the period), so nothing can be dismissed in advance.
func (w *Warner) Dismiss(ctx context.Context, p *org.Principal, unitCode, periodKey, kind, subject, reason string) error {
	u, err := org.UnitByCode(ctx, w.DB.Read, strings.TrimSpace(unitCode))
	if err != nil || !score.CanRead(p, u.Path) {
		return apperr.ErrNotFound
	}
	if !CanDismiss(p, u.Path) {
		return apperr.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < MinReason {
		return apperr.Invalidf("reason", "err.warn.reason", MinReason)
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return apperr.Invalidf("reason", "err.warn.reason_long", 1000)
	}
	flags, err := w.List(ctx, p, unitCode, periodKey)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(flags, func(f Flag) bool { return f.UnitID == u.ID && f.Kind == kind && f.Subject == subject })
	if i < 0 {
		return apperr.ErrNotFound
	}
	if flags[i].Dismissed != nil {
		return apperr.New(apperr.Conflict, "dismissed", "", "err.warn.dismissed")
	}
	return w.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO warn_dismissals (unit_id, kind, subject, reason, dismissed_by, dismissed_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, kind, subject, reason, p.UserID, store.Millis(w.now())); err != nil {
			if store.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "dismissed", "", "err.warn.dismissed")
			}
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "warn.dismiss", ObjectType: "warning",
			ObjectID: u.Code + "/" + kind + "/" + subject, UnitID: u.ID, Detail: map[string]any{"reason": reason, "figures": flags[i].Args}})
		return err
	})
}
