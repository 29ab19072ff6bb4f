package ledger

import (
	"slices"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
)

// Rules are the ledger's configurable settings (settings key "ledger.rules").
type Rules struct {
	// YellowDays: an item turns yellow this many working days before its deadline.
	YellowDays int `json:"yellow_days"`
	// LagPoints: an item turns yellow when its reported progress is this many
	// points behind the straight line from its start to its deadline.
	LagPoints int `json:"lag_points"`
	// RemindDays: the responsible person is reminded this many working days ahead.
	RemindDays int `json:"remind_days"`
	// GraceDays: working days past the deadline after which the parent unit's
	// inspectors are told too.
	GraceDays int `json:"grace_days"`
	// MaxExtensions an item may be granted.
	MaxExtensions int `json:"max_extensions"`
	// ReviewDays per class: calendar days from closing to the 回头看.
	ReviewDays map[string]int `json:"review_days"`
}

// DefaultRules are the rules until an administrator changes them.
func DefaultRules() Rules {
	return Rules{YellowDays: 3, LagPoints: 30, RemindDays: 3, GraceDays: 5, MaxExtensions: 2,
		ReviewDays: map[string]int{ClassImmediate: 90, ClassDeadline: 90, ClassLongterm: 90}}
}

// Validate checks rules an administrator entered.
func (r Rules) Validate() error {
	switch {
	case r.YellowDays < 0 || r.YellowDays > 60:
		return apperr.Invalidf("yellow_days", "err.rules.range", 0, 60)
	case r.LagPoints < 1 || r.LagPoints > 100:
		return apperr.Invalidf("lag_points", "err.rules.range", 1, 100)
	case r.RemindDays < 0 || r.RemindDays > 60:
		return apperr.Invalidf("remind_days", "err.rules.range", 0, 60)
	case r.GraceDays < 0 || r.GraceDays > 60:
		return apperr.Invalidf("grace_days", "err.rules.range", 0, 60)
	case r.MaxExtensions < 0 || r.MaxExtensions > 10:
		return apperr.Invalidf("max_extensions", "err.rules.range", 0, 10)
	}
	for _, c := range Classes {
		if d := r.ReviewDays[c]; d < 1 || d > 730 {
			return apperr.Invalidf("review_days_"+c, "err.rules.range", 1, 730)
		}
	}
	return nil
}

// Workdays counts working days; *calendar.Calendar implements it.
type Workdays interface {
	// WorkdaysBetween counts the working days after from up to and including to
	// (negative when to is before from).
	WorkdaysBetween(from, to time.Time) int
}

// LightOf decides an item's light on day today (days are 00:00 UTC civil days):
// red past the deadline; yellow within YellowDays working days of it, or when
// progress lags the straight line from start to deadline by more than
// LagPoints; green otherwise. Items not owing work (draft, awaiting
// verification, closed) are green: the clock is not theirs.
func LightOf(today, start, deadline time.Time, percent int, status Status, cal Workdays, r Rules) string {
	if !status.Active() || deadline.IsZero() {
		return Green
	}
	if today.After(deadline) {
		return Red
	}
	if cal.WorkdaysBetween(today, deadline) <= r.YellowDays {
		return Yellow
	}
	if total := cal.WorkdaysBetween(start, deadline); total > 0 {
		elapsed := cal.WorkdaysBetween(start, today)
		if elapsed > 0 && elapsed*100/total-percent > r.LagPoints {
			return Yellow
		}
	}
	return Green
}

// Action names a step of the lifecycle.
type Action string

const (
	ActSubmit        Action = "submit"         // draft → open
	ActProgress      Action = "progress"       // → in_progress
	ActRequestClose  Action = "request_close"  // → pending_verification
	ActApprove       Action = "approve"        // pending → closed
	ActReject        Action = "reject"         // pending → in_progress
	ActReviewPass    Action = "review_pass"    // closed stays closed, look-back passed
	ActReviewRecur   Action = "review_recur"   // closed → reopened
	ActExtendRequest Action = "extend_request" // no status change
	ActExtendDecide  Action = "extend_decide"  // no status change
	ActSupervise     Action = "supervise"      // no status change
)

// Next returns the status an action leads to from status s, or a conflict
// error naming why the action does not apply now.
func Next(s Status, a Action) (Status, error) {
	bad := apperr.New(apperr.Conflict, "invalid_state", "status", "err.problem.state")
	switch a {
	case ActSubmit:
		if s == Draft {
			return Open, nil
		}
	case ActProgress:
		if s.Active() {
			return InProgress, nil
		}
	case ActRequestClose:
		if s.Active() {
			return Pending, nil
		}
	case ActApprove:
		if s == Pending {
			return Closed, nil
		}
	case ActReject:
		if s == Pending {
			return InProgress, nil
		}
	case ActReviewPass:
		if s == Closed {
			return Closed, nil
		}
	case ActReviewRecur:
		if s == Closed {
			return Reopened, nil
		}
	case ActExtendRequest, ActExtendDecide:
		if s.Active() {
			return s, nil
		}
	case ActSupervise:
		if s != Closed && s != Draft {
			return s, nil
		}
	}
	return s, bad
}

// Ledger actions (org.Can decides them within the unit subtree).
const (
	// Read the items of a unit.
	Read = org.ProblemRead
	// Write: create, edit drafts, report progress, request closing or an extension.
	Write = org.ProblemWrite
	// Verify: decide closing requests and look-back reviews.
	Verify = org.ProblemVerify
	// Supervise: put an item under named supervision (挂牌督办).
	Supervise = org.ProblemSupervise
	// Decide: approve or refuse extensions.
	Decide = org.ProblemDecide
)

// CanRead reports whether p may see an item: within a read scope, or as its
// responsible person (who may hold no ledger role at all).
func CanRead(p *org.Principal, pr *Problem) bool {
	return p != nil && (org.Can(p, Read, pr.UnitPath) || (pr.ResponsibleID != 0 && pr.ResponsibleID == p.UserID))
}

// CanWork reports whether p may report progress or ask for closing and
// extensions: the responsible person, or a ledger writer in scope.
func CanWork(p *org.Principal, pr *Problem) bool {
	return p != nil && (org.Can(p, Write, pr.UnitPath) || (pr.ResponsibleID != 0 && pr.ResponsibleID == p.UserID))
}

// CheckVerifier decides whether p may decide a closing request or a look-back
// on pr: an inspector in scope, or the leader of a unit above the item's unit;
// never the responsible person, whoever reported the last progress, or whoever
// asked for the closing (separation of duties).
func CheckVerifier(p *org.Principal, pr *Problem) error {
	if p == nil {
		return apperr.ErrForbidden
	}
	if !org.Can(p, Verify, pr.UnitPath) && !leadsAbove(p, pr.UnitPath) {
		return apperr.New(apperr.Forbidden, "forbidden", "", "err.problem.verify_role")
	}
	if p.UserID == pr.ResponsibleID || p.UserID == pr.LastProgressBy || p.UserID == pr.CloseRequestBy {
		return apperr.New(apperr.Forbidden, "own_item", "", "err.problem.verify_own")
	}
	return nil
}

// leadsAbove reports whether p is the leader of a strict ancestor of the unit at path.
func leadsAbove(p *org.Principal, path string) bool {
	return slices.ContainsFunc(p.Grants, func(g org.Grant) bool {
		return g.Role == org.RoleLeader && g.ScopePath != "" && g.ScopePath != path && strings.HasPrefix(path, g.ScopePath)
	})
}

// CheckDecider decides whether p may approve an extension: a deputy or leader
// in scope who did not ask for it.
func CheckDecider(p *org.Principal, pr *Problem) error {
	if p == nil || !org.Can(p, Decide, pr.UnitPath) {
		return apperr.New(apperr.Forbidden, "forbidden", "", "err.problem.decide_role")
	}
	if p.UserID == pr.ExtRequestedBy {
		return apperr.New(apperr.Forbidden, "own_request", "", "err.problem.decide_own")
	}
	return nil
}

// ReviewDue returns the look-back day for an item of class closed on day closed.
func ReviewDue(closed time.Time, class string, r Rules) time.Time {
	d := r.ReviewDays[class]
	if d <= 0 {
		d = 90
	}
	return closed.AddDate(0, 0, d)
}

// ReminderLevel says who hears about an active item today: 0 nobody, 1 the
// responsible person (deadline within RemindDays working days), 2 plus the
// deputy (the deadline is today), 3 plus the leader (past it), 4 plus the
// inspectors of the parent unit (more than GraceDays working days past it).
func ReminderLevel(today, deadline time.Time, status Status, cal Workdays, r Rules) int {
	if !status.Active() || deadline.IsZero() {
		return 0
	}
	switch left := cal.WorkdaysBetween(today, deadline); {
	case today.Equal(deadline):
		return 2
	case !today.After(deadline):
		if left <= r.RemindDays {
			return 1
		}
		return 0
	default:
		if -left > r.GraceDays {
			return 4
		}
		return 3
	}
}
