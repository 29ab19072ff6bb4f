package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Timers are the handling deadlines, in working days, that an administrator
// of the whole tree sets (受理, 办结, 反馈).
type Timers struct {
	AckDays      int `json:"ack_days"`
	ConcludeDays int `json:"conclude_days"`
	FeedbackDays int `json:"feedback_days"`
}

const settingTimers = "report.timers"

// Validate checks the ranges (pure).
func (t Timers) Validate() error {
	switch {
	case t.AckDays < 1 || t.AckDays > 60:
		return apperr.Invalidf("ack_days", "err.rules.range", 1, 60)
	case t.ConcludeDays < 1 || t.ConcludeDays > 365:
		return apperr.Invalidf("conclude_days", "err.rules.range", 1, 365)
	case t.FeedbackDays < 1 || t.FeedbackDays > 60:
		return apperr.Invalidf("feedback_days", "err.rules.range", 1, 60)
	}
	return nil
}

// Timers returns the deadlines in force: the setting, or the defaults.
func (r *Reports) Timers(ctx context.Context) (Timers, error) {
	t := Timers{AckDays: r.Rules.AckDays, ConcludeDays: r.Rules.ConcludeDays, FeedbackDays: r.Rules.FeedbackDays}
	var v string
	err := r.DB.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, settingTimers).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return t, err
	}
	var saved Timers
	if json.Unmarshal([]byte(v), &saved) != nil || saved.Validate() != nil {
		return t, nil // a damaged setting falls back to the defaults
	}
	return saved, nil
}

// SetTimers changes the deadlines; only an administrator of the whole tree
// may. Running timers keep the day they were given.
func (r *Reports) SetTimers(ctx context.Context, p *org.Principal, t Timers) error {
	if !org.IsRootAdmin(p) {
		return apperr.ErrForbidden
	}
	if err := t.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(t)
	defer r.acks.clear()
	return r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, settingTimers, string(b), store.Now()); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "settings.report_timers", ObjectType: "settings",
			ObjectID: settingTimers, Detail: map[string]any{"timers": string(b)}})
		return err
	})
}

// due returns the day n working days from today, n picked from the timers in force.
func (r *Reports) due(ctx context.Context, pick func(Timers) int) (string, error) {
	t, err := r.Timers(ctx)
	if err != nil {
		return "", err
	}
	return r.workdaysAfter(ctx, r.today(), pick(t))
}

func ackDays(t Timers) int      { return t.AckDays }
func concludeDays(t Timers) int { return t.ConcludeDays }
func feedbackDays(t Timers) int { return t.FeedbackDays }
