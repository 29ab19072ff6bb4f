// Package project is 我为群众办实事: projects a unit takes on for the public,
// with weighted milestones whose evidence makes the progress (never typed),
// a lifecycle proposed → adopted → in progress → done → evaluated, and a
// public page per unit subtree where people rate the project (internal/rating).
//
// The rules are pure functions here; projects.go adds authorization, storage
// and the audit trail.
package project

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
)

// Areas are the six fields of 我为群众办实事.
var Areas = []string{"safety", "grievance", "worry", "benefit", "enjoy", "warmth"} // 保民安 纾民怨 解民忧 增民利 促民享 暖民心

// Status of a project.
type Status string

const (
	Proposed   Status = "proposed"
	Adopted    Status = "adopted"
	InProgress Status = "in_progress"
	Done       Status = "done"
	Evaluated  Status = "evaluated"
)

// Statuses in lifecycle order.
var Statuses = []Status{Proposed, Adopted, InProgress, Done, Evaluated}

// Actions: the ledger's, on the project's unit.
const (
	Read     = org.ProblemRead
	Write    = org.ProblemWrite  // create, milestones, evidence, start, finish
	Adopt    = org.ProblemDecide // leaders and deputies adopt a proposal
	Evaluate = org.ProblemVerify // supervisors (inspectors) evaluate
)

// Next is the status a step leads to, or a conflict.
func Next(s Status) (Status, error) {
	i := slices.Index(Statuses, s)
	if i < 0 || i == len(Statuses)-1 {
		return s, apperr.New(apperr.Conflict, "invalid_state", "status", "err.project.state")
	}
	return Statuses[i+1], nil
}

// StepAction is the permission the step out of s needs.
func StepAction(s Status) org.Action {
	switch s {
	case Proposed:
		return Adopt
	case Done:
		return Evaluate
	}
	return Write
}

const (
	maxTitle = 200
	maxText  = 5000
	maxWhat  = 500
)

func checkText(field, v string, required bool, max int) error {
	if required && strings.TrimSpace(v) == "" {
		return apperr.Invalidf(field, fmt.Sprintf("err.project.%s.required", field))
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return apperr.Invalidf(field, "err.project.too_long", max)
	}
	return nil
}

// Input creates a project.
type Input struct {
	Title         string `json:"title"`
	Area          string `json:"area"`
	UnitCode      string `json:"unit_code"`
	Leader        string `json:"leader"`  // username
	Handler       string `json:"handler"` // username
	Beneficiaries string `json:"beneficiaries"`
	Plan          string `json:"plan"`
	Measures      string `json:"measures"`
	Start         string `json:"start"`
	End           string `json:"end"`
	Public        bool   `json:"public"`
	// NeedID is the 群众点单 need this project takes (接单), if any.
	NeedID int64 `json:"need_id,omitempty"`
}

// Normalize trims the fields.
func (in *Input) Normalize() {
	for _, s := range []*string{&in.Title, &in.Area, &in.UnitCode, &in.Leader, &in.Handler, &in.Beneficiaries,
		&in.Plan, &in.Measures, &in.Start, &in.End} {
		*s = strings.TrimSpace(*s)
	}
	in.Leader, in.Handler = strings.ToLower(in.Leader), strings.ToLower(in.Handler)
}

// Validate checks what needs no database; it returns the start and end days.
func (in *Input) Validate() (string, string, error) {
	if err := checkText("title", in.Title, true, maxTitle); err != nil {
		return "", "", err
	}
	if !slices.Contains(Areas, in.Area) {
		return "", "", apperr.Invalidf("area", "err.project.area")
	}
	if in.UnitCode == "" {
		return "", "", apperr.Invalidf("unit_code", "err.project.unit_code.required")
	}
	if in.Leader == "" {
		return "", "", apperr.Invalidf("leader", "err.project.leader.required")
	}
	if in.Handler == "" {
		return "", "", apperr.Invalidf("handler", "err.project.handler.required")
	}
	for _, f := range []struct{ name, v string }{{"beneficiaries", in.Beneficiaries}, {"plan", in.Plan}, {"measures", in.Measures}} {
		if err := checkText(f.name, f.v, false, maxText); err != nil {
			return "", "", err
		}
	}
	start, err := calendar.ParseDate(in.Start)
	if err != nil {
		return "", "", apperr.Invalidf("start", "err.project.date")
	}
	end, err := calendar.ParseDate(in.End)
	if err != nil {
		return "", "", apperr.Invalidf("end", "err.project.date")
	}
	if end.Before(start) {
		return "", "", apperr.Invalidf("end", "err.project.end_before_start")
	}
	return calendar.FormatDay(start), calendar.FormatDay(end), nil
}

// Milestone is one step of a project.
type Milestone struct {
	ID         int64  `json:"id"`
	Due        string `json:"due"`
	What       string `json:"what"`
	Weight     int    `json:"weight"`
	DoneAt     int64  `json:"done_at,omitempty"`
	DoneBy     string `json:"done_by,omitempty"`
	EvidenceID int64  `json:"evidence_id,omitempty"`
	Evidence   string `json:"evidence_name,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Photo reports whether the milestone's evidence is a photo (shown on the
// public page).
func (m Milestone) Photo() bool {
	switch strings.ToLower(path.Ext(m.Evidence)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp":
		return m.EvidenceID != 0
	}
	return false
}

// Done reports whether the milestone counts: done, with its evidence.
func (m Milestone) Done() bool { return m.DoneAt != 0 && m.EvidenceID != 0 }

// MilestoneInput adds a milestone.
type MilestoneInput struct {
	Due    string `json:"due"`
	What   string `json:"what"`
	Weight int    `json:"weight"`
}

// Validate checks a milestone and returns its day.
func (in *MilestoneInput) Validate() (string, error) {
	in.What, in.Due = strings.TrimSpace(in.What), strings.TrimSpace(in.Due)
	if err := checkText("what", in.What, true, maxWhat); err != nil {
		return "", err
	}
	d, err := calendar.ParseDate(in.Due)
	if err != nil {
		return "", apperr.Invalidf("due", "err.project.date")
	}
	if in.Weight < 1 || in.Weight > 100 {
		return "", apperr.Invalidf("weight", "err.project.weight")
	}
	return calendar.FormatDay(d), nil
}

// Progress is the weighted share, in percent, of the milestones done with
// evidence; 0 without milestones.
func Progress(ms []Milestone) int {
	total, done := 0, 0
	for _, m := range ms {
		total += m.Weight
		if m.Done() {
			done += m.Weight
		}
	}
	if total == 0 {
		return 0
	}
	return done * 100 / total
}

// CheckItems are the supervisor's evaluation checklist: 质量 and 成效.
var CheckItems = []string{"quality", "effect"}

// Check is one scored line of the evaluation.
type Check struct {
	Item    string `json:"item"`
	Score   int    `json:"score"` // 1..10
	Comment string `json:"comment"`
}

// ValidateEvaluation checks the checklist: every item once, scored 1–10, with a comment.
func ValidateEvaluation(cs []Check) error {
	if len(cs) != len(CheckItems) {
		return apperr.Invalidf("evaluation", "err.project.evaluation")
	}
	for i := range cs {
		cs[i].Comment = strings.TrimSpace(cs[i].Comment)
		c := cs[i]
		if c.Item != CheckItems[i] {
			return apperr.Invalidf("evaluation", "err.project.evaluation")
		}
		if c.Score < 1 || c.Score > 10 {
			return apperr.Invalidf("score_"+c.Item, "err.project.score")
		}
		if err := checkText("comment_"+c.Item, c.Comment, false, maxText); err != nil {
			return err
		}
		if c.Comment == "" {
			return apperr.Invalidf("comment_"+c.Item, "err.project.comment.required")
		}
	}
	return nil
}

// Project is one project.
type Project struct {
	ID            int64       `json:"id"`
	Number        string      `json:"number"`
	Title         string      `json:"title"`
	Area          string      `json:"area"`
	UnitID        int64       `json:"-"`
	UnitCode      string      `json:"unit_code"`
	UnitName      string      `json:"unit_name"`
	UnitPath      string      `json:"-"`
	Leader        string      `json:"leader"`
	LeaderName    string      `json:"leader_name"`
	Handler       string      `json:"handler"`
	HandlerName   string      `json:"handler_name"`
	Beneficiaries string      `json:"beneficiaries"`
	Plan          string      `json:"plan"`
	Measures      string      `json:"measures"`
	Start         string      `json:"start"`
	End           string      `json:"end"`
	Public        bool        `json:"public"`
	Status        Status      `json:"status"`
	Progress      int         `json:"progress"`
	Milestones    []Milestone `json:"milestones"`
	Evaluation    []Check     `json:"evaluation,omitempty"`
	EvaluatedBy   string      `json:"evaluated_by,omitempty"`
	EvaluatedAt   int64       `json:"evaluated_at,omitempty"`
	CreatedAt     int64       `json:"created_at"`
	UpdatedAt     int64       `json:"updated_at"`
}
