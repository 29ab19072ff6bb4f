// Package scoretest writes ledger items, ratings, reports and project
// milestones straight into the tables the scorecards and the warnings read,
// so that their tests and benchmarks can construct exactly the records they
// need (a closure on a given day, a reopened item, a late acknowledgement)
// without driving each package's workflow.
package scoretest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/luoshi/luoshi/internal/store"
)

var seq atomic.Int64

func next() int64 { return seq.Add(1) }

// Item is a ledger item as the scorecards see it.
type Item struct {
	UnitID   int64
	Class    string // default "deadline"
	Status   string // default "closed"
	Deadline string
	ClosedOn string // "" when not closed
	Reopens  int
	Mech     bool // a long-term item's mechanism recorded
	Evidence int
	Title    string
	// ClosedAt, when set, is the instant of the closing event (default: noon China time of ClosedOn).
	ClosedAt int64
	// CloseNote is the note of the closing request (a "closed" event is written with it).
	CloseNote string
	Notes     []string // progress notes, one event each, from ten days before the deadline
	Source    string
	// ReopenedOn, with Reopens, writes the 回头看 event that reopened it on that day.
	ReopenedOn string
}

// chinaNoon is 12:00 in China on day d (YYYY-MM-DD) in unix ms.
func chinaNoon(d string) int64 {
	t, _ := time.Parse(time.DateOnly, d)
	return t.Add(4 * time.Hour).UnixMilli()
}

// AddItems inserts the items (and their events) and returns their ids.
func AddItems(ctx context.Context, q store.Queryer, items []Item) ([]int64, error) {
	var ids []int64
	for _, it := range items {
		n := next()
		if it.Class == "" {
			it.Class = "deadline"
		}
		if it.Status == "" {
			it.Status = "closed"
		}
		if it.Title == "" {
			it.Title = "整改事项" + strconv.FormatInt(n, 10)
		}
		if it.Source == "" {
			it.Source = "self_check"
		}
		review := ""
		if it.Reopens > 0 {
			review = "recurred"
		}
		mech := ""
		if it.Mech {
			mech = "制度文件"
		}
		var closed any
		if it.ClosedOn != "" {
			closed = it.ClosedOn
		}
		created := chinaNoon(it.Deadline) - 60*24*3600*1000
		var id int64
		err := q.QueryRowContext(ctx, `INSERT INTO problems (number, title, source, class, unit_id, deadline, start_day, status,
			reopen_count, review_result, mech_title, evidence_count, closed_on, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14) RETURNING id`,
			fmt.Sprintf("T-%06d", n), it.Title, it.Source, it.Class, it.UnitID, it.Deadline, it.Deadline, it.Status,
			it.Reopens, review, mech, it.Evidence, closed, created).Scan(&id)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		at := chinaNoon(it.Deadline) - 10*24*3600*1000
		for _, note := range it.Notes {
			at += 3600 * 1000
			if _, err := q.ExecContext(ctx, `INSERT INTO problem_events (problem_id, at, actor_name, kind, note) VALUES ($1, $2, 'test', 'progress', $3)`,
				id, at, note); err != nil {
				return nil, err
			}
		}
		if it.ReopenedOn != "" {
			if _, err := q.ExecContext(ctx, `INSERT INTO problem_events (problem_id, at, actor_name, kind, from_status, to_status, note) VALUES ($1, $2, 'test', 'review_recurred', 'closed', 'reopened', '回头看发现问题反弹')`,
				id, chinaNoon(it.ReopenedOn)); err != nil {
				return nil, err
			}
		}
		if it.ClosedOn != "" {
			ca := it.ClosedAt
			if ca == 0 {
				ca = chinaNoon(it.ClosedOn)
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO problem_events (problem_id, at, actor_name, kind, note) VALUES ($1, $2, 'test', 'close_requested', $3)`,
				id, ca-3600*1000, it.CloseNote); err != nil {
				return nil, err
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO problem_events (problem_id, at, actor_name, kind, from_status, to_status) VALUES ($1, $2, 'test', 'closed', 'pending_verification', 'closed')`,
				id, ca); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// Rating is a rating of a unit.
type Rating struct {
	UnitID    int64
	Level     int
	Day       string // the day it was given
	ProblemID int64  // the ledger item a 差评 opened
	Excluded  bool
	Target    string // report (default) or project
	TargetID  int64
}

// AddRatings inserts the ratings.
func AddRatings(ctx context.Context, q store.Queryer, rs []Rating) error {
	for _, r := range rs {
		n := next()
		if r.Target == "" {
			r.Target = "report"
		}
		var pid any
		if r.ProblemID != 0 {
			pid = r.ProblemID
		}
		excl := 0
		if r.Excluded {
			excl = 1
		}
		at := chinaNoon(r.Day)
		if _, err := q.ExecContext(ctx, `INSERT INTO ratings (number, target_type, target_id, target_ref, once_key, unit_id, channel, level,
			problem_id, first_at, excluded, created_at, updated_at) VALUES ($1, $2, $3, $1, $1, $4, 'online', $5, $6, $7, $8, $7, $7)`,
			fmt.Sprintf("PJ-%06d", n), r.Target, r.TargetID, r.UnitID, r.Level, pid, at, excl); err != nil {
			return err
		}
	}
	return nil
}

// Report is a report's timers.
type Report struct {
	UnitID      int64
	AckDue      string
	AckedOn     string // "" not acknowledged
	ConcludeDue string
	ConcludedOn string
	RealName    bool
	FeedbackDue string
	FeedbackOn  string
	Conclusion  string
}

// AddReports inserts the reports (handled by UnitID, about UnitID).
func AddReports(ctx context.Context, q store.Queryer, rs []Report) error {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	optMs := func(s string) any {
		if s == "" {
			return nil
		}
		return chinaNoon(s)
	}
	for _, r := range rs {
		n := next()
		status := "received"
		switch {
		case r.ConcludedOn != "":
			status = "concluded"
		case r.AckedOn != "":
			status = "investigating"
		}
		real := 0
		if r.RealName {
			real = 1
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO reports (number, receipt, key_hash, channel, category, unit_id, handling_unit_id, status,
			real_name, wrapped_key, sealed, received_on, ack_due, acked_at, conclude_due, concluded_on, feedback_due, feedback_at,
			conclusion, created_at, updated_at)
			VALUES ($1, $1, 'x', 'public', 'other', $2, $2, $3, $4, $5, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
			fmt.Sprintf("JB-%06d", n), r.UnitID, status, real, []byte("x"), r.AckDue, optMs(r.AckedOn), opt(r.ConcludeDue),
			opt(r.ConcludedOn), opt(r.FeedbackDue), optMs(r.FeedbackOn), r.Conclusion, chinaNoon(r.AckDue)); err != nil {
			return err
		}
	}
	return nil
}

// Milestone is a project milestone.
type Milestone struct {
	Due    string
	DoneOn string // "" not done
}

// AddProject inserts a project with its milestones and returns its id.
func AddProject(ctx context.Context, q store.Queryer, unitID int64, status string, ms []Milestone) (int64, error) {
	n := next()
	var id int64
	if err := q.QueryRowContext(ctx, `INSERT INTO projects (number, title, area, unit_id, leader_id, handler_id, start_on, end_on, status,
		created_by, created_at, updated_at) VALUES ($1, $2, '暖民心', $3, 1, 1, '2026-01-01', '2026-12-31', $4, 1, 0, 0) RETURNING id`,
		fmt.Sprintf("SS-%06d", n), "实事项目"+strconv.FormatInt(n, 10), unitID, status).Scan(&id); err != nil {
		return 0, err
	}
	for _, m := range ms {
		var done any
		if m.DoneOn != "" {
			done = chinaNoon(m.DoneOn)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO project_milestones (project_id, due_on, what, weight, done_at) VALUES ($1, $2, '节点', 1, $3)`,
			id, m.Due, done); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// Repeat returns n copies of it.
func Repeat[T any](n int, it T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = it
	}
	return out
}

// Join concatenates slices.
func Join[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Days returns n consecutive days from d (YYYY-MM-DD).
func Days(d string, n int) []string {
	t, _ := time.Parse(time.DateOnly, d)
	out := make([]string, n)
	for i := range out {
		out[i] = t.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return out
}
