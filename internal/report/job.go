package report

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/notify"
	"github.com/luoshi/luoshi/internal/org"
)

// Job is the channel's scheduled work: escalate missed acknowledgement and
// feedback timers, and forget yesterday's rate-limit salts. Hourly; one
// digest per person per day however often it runs.
func (r *Reports) Job(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "report_timers", Every: time.Hour, Lease: 20 * time.Minute, Run: func(ctx context.Context) error {
		if err := r.Purge(ctx); err != nil {
			return err
		}
		n, err := r.Escalate(ctx)
		if err != nil {
			return err
		}
		if log != nil {
			log.Info("report timers run", "digests", n)
		}
		return nil
	}}
}

type lateRow struct {
	id            int64
	number        string
	handlingPath  string
	parentPath    string
	ack, feedback bool
	due           string
}

// Escalate tells the discipline offices about missed timers: a report not
// acknowledged by its due day goes to the handling unit's discipline staff
// and, one level up, to the parent unit's; the same for a real-name reporter
// still waiting for feedback. Nobody recused from a report hears of it. The
// digest names report numbers only, never content.
func (r *Reports) Escalate(ctx context.Context) (int, error) {
	today := calendar.FormatDay(r.today())
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT r.id, r.number, h.path, COALESCE(p.path, ''),
		CASE WHEN r.status = 'received' AND r.ack_due < $1 THEN 1 ELSE 0 END,
		CASE WHEN r.real_name = 1 AND r.feedback_at IS NULL AND r.feedback_due < $1 THEN 1 ELSE 0 END,
		CASE WHEN r.status = 'received' THEN r.ack_due ELSE COALESCE(r.feedback_due, '') END
		FROM reports r JOIN units h ON h.id = r.handling_unit_id LEFT JOIN units p ON p.id = h.parent_id
		WHERE (r.status = 'received' AND r.ack_due < $1) OR (r.real_name = 1 AND r.feedback_at IS NULL AND r.feedback_due < $1)`, today)
	if err != nil {
		return 0, err
	}
	var late []lateRow
	for rows.Next() {
		var l lateRow
		var ack, fb int
		if err := rows.Scan(&l.id, &l.number, &l.handlingPath, &l.parentPath, &ack, &fb, &l.due); err != nil {
			rows.Close()
			return 0, err
		}
		l.ack, l.feedback = ack == 1, fb == 1
		late = append(late, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(late) == 0 {
		return 0, err
	}
	// every discipline officer, with the subtree they handle
	staff, err := r.disciplineStaff(ctx)
	if err != nil {
		return 0, err
	}
	lines := map[int64][]notify.Line{}
	for _, l := range late {
		named, _, err := namedOf(ctx, r.DB.Read, l.id)
		if err != nil {
			return 0, err
		}
		key := "msg.report.ack_late"
		if !l.ack {
			key = "msg.report.feedback_late"
		}
		line := notify.Line{Text: i18n.T(i18n.Default, key, l.number, l.due), Link: "/clues/" + strconv.FormatInt(l.id, 10)}
		for _, s := range staff {
			// the handling office itself, and the office one level up
			if !org.Can(s, org.ClueRead, l.handlingPath) || org.Recused(s, named) {
				continue
			}
			lines[s.UserID] = append(lines[s.UserID], line)
		}
	}
	sent := 0
	err = r.DB.Tx(ctx, func(tx *sql.Tx) error {
		ids := make([]int64, 0, len(lines))
		for id := range lines {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, uid := range ids {
			ls := lines[uid]
			ok, err := notify.Queue(ctx, tx, notify.Digest{UserID: uid, Day: today, Kind: "report.timers",
				Title: i18n.T(i18n.Default, "msg.report.digest_title", today, len(ls)), Lines: ls, Private: true})
			if err != nil {
				return err
			}
			if ok {
				sent++
			}
		}
		return nil
	})
	return sent, err
}

// disciplineStaff loads the principals of everyone holding discipline.
func (r *Reports) disciplineStaff(ctx context.Context) ([]*org.Principal, error) {
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT DISTINCT ur.user_id FROM user_roles ur JOIN users u ON u.id = ur.user_id
		WHERE ur.role = 'discipline' AND u.disabled_at IS NULL ORDER BY ur.user_id`)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]*org.Principal, 0, len(ids))
	for _, id := range ids {
		p, err := org.LoadPrincipal(ctx, r.DB.Read, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
