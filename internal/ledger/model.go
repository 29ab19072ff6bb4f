// Package ledger is the problem ledger (问题台账): items with the 三定
// (responsible person, corrective measures, deadline), progress on evidence,
// verified closing (销号), look-back reviews (回头看), extensions, named
// supervision (挂牌督办), traffic lights on a working-day calendar and the
// reminders that climb the tree when work is late.
//
// The rules are pure functions (rules.go); problems.go wraps them with
// authorization, storage and the audit trail.
package ledger

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
)

// Status of an item.
type Status string

const (
	Draft      Status = "draft"
	Open       Status = "open"
	InProgress Status = "in_progress"
	Pending    Status = "pending_verification"
	Closed     Status = "closed"
	Reopened   Status = "reopened"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Draft, Open, InProgress, Pending, Closed, Reopened}

// Active reports whether work on the item is still owed (the clock runs).
func (s Status) Active() bool { return s == Open || s == InProgress || s == Reopened }

// Sources of an item.
var Sources = []string{"self_check", "inspection", "citizen_report", "rating", "clue", "other"}

// Classes of an item: 立行立改, 限期整改, 长期整改.
const (
	ClassImmediate = "immediate"
	ClassDeadline  = "deadline"
	ClassLongterm  = "longterm"
)

// Classes lists the classes.
var Classes = []string{ClassImmediate, ClassDeadline, ClassLongterm}

// Severities of an item: 一般, 较重, 严重.
var Severities = []string{"normal", "serious", "grave"}

// Lights.
const (
	Green  = "green"
	Yellow = "yellow"
	Red    = "red"
)

// Lights lists the lights.
var Lights = []string{Green, Yellow, Red}

// BuiltinTags are the six chronic problems (六大顽瘴痼疾); users may add their own tags.
var BuiltinTags = []string{
	"违规干预过问案件",
	"违规经商办企业",
	"违规参股借贷",
	"违规违法办理减刑假释暂予监外执行",
	"有案不立、压案不查、有罪不究",
	"律师和司法人员不正当接触交往",
}

// OriginTypes are the records an item may come from.
var OriginTypes = []string{"report", "lead", "rating", "project"}

// Problem is one item of the ledger.
type Problem struct {
	ID              int64      `json:"id"`
	Number          string     `json:"number"`
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	Source          string     `json:"source"`
	Class           string     `json:"class"`
	Severity        string     `json:"severity"`
	Tags            []string   `json:"tags"`
	UnitID          int64      `json:"-"`
	UnitCode        string     `json:"unit_code"`
	UnitName        string     `json:"unit_name"`
	UnitPath        string     `json:"-"`
	ResponsibleID   int64      `json:"-"`
	Responsible     string     `json:"responsible"`      // username
	ResponsibleName string     `json:"responsible_name"` // display name
	Measures        string     `json:"measures"`
	Deadline        string     `json:"deadline"`
	StartDay        string     `json:"start_day"`
	Status          Status     `json:"status"`
	Percent         int        `json:"percent"`
	Light           string     `json:"light"`
	Extensions      int        `json:"extensions"`
	ExtDeadline     string     `json:"extension_deadline,omitempty"`
	ExtReason       string     `json:"extension_reason,omitempty"`
	ExtRequestedBy  int64      `json:"-"`
	ReopenCount     int        `json:"reopen_count"`
	Supervised      bool       `json:"supervised"`
	SupervisedAt    int64      `json:"supervised_at,omitempty"`
	SuperviseUnit   string     `json:"supervise_unit,omitempty"`
	SuperviseName   string     `json:"supervise_unit_name,omitempty"`
	SuperviseDays   int        `json:"supervise_interval_days,omitempty"`
	SuperviseNote   string     `json:"supervise_note,omitempty"`
	OriginType      string     `json:"origin_type,omitempty"`
	OriginRef       string     `json:"origin_ref,omitempty"`
	EvidenceCount   int        `json:"evidence_count"`
	LastProgressBy  int64      `json:"-"`
	CloseRequestBy  int64      `json:"-"`
	CloseStandard   string     `json:"close_standard,omitempty"`
	ClosedOn        string     `json:"closed_on,omitempty"`
	ReviewDue       string     `json:"review_due,omitempty"`
	ReviewResult    string     `json:"review_result,omitempty"`
	Mechanism       *Mechanism `json:"mechanism,omitempty"`
	CreatedBy       int64      `json:"-"`
	CreatedAt       int64      `json:"created_at"`
	UpdatedAt       int64      `json:"updated_at"`
}

// Mechanism is the lasting rule or system a long-term item must leave behind (建章立制).
type Mechanism struct {
	Title        string `json:"title"`
	DocNo        string `json:"doc_number"`
	IssuedOn     string `json:"issued_on"`
	AttachmentID int64  `json:"attachment_id,omitempty"`
}

// Event is one line of an item's timeline.
type Event struct {
	ID         int64      `json:"id"`
	At         int64      `json:"at"`
	ActorID    int64      `json:"-"`
	Actor      string     `json:"actor"`
	Kind       string     `json:"kind"`
	FromStatus Status     `json:"from_status,omitempty"`
	ToStatus   Status     `json:"to_status,omitempty"`
	Note       string     `json:"note,omitempty"`
	Percent    *int       `json:"percent,omitempty"`
	Detail     string     `json:"detail,omitempty"`
	Evidence   []Evidence `json:"evidence,omitempty"`
}

// Evidence is a file attached to an event.
type Evidence struct {
	AttachmentID int64  `json:"attachment_id"`
	Name         string `json:"name"`
	MIME         string `json:"mime"`
	Size         int64  `json:"size"`
}

// Input creates (or, in draft, edits) an item.
type Input struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Source      string   `json:"source"`
	Class       string   `json:"class"`
	Severity    string   `json:"severity"`
	Tags        []string `json:"tags"`
	UnitCode    string   `json:"unit_code"`
	Responsible string   `json:"responsible"`
	Measures    string   `json:"measures"`
	Deadline    string   `json:"deadline"`
	OriginType  string   `json:"origin_type"`
	OriginRef   string   `json:"origin_ref"`
	// Draft keeps the item in draft; otherwise it opens at once, which needs the 三定.
	Draft bool `json:"draft"`
}

const (
	maxTitleRunes   = 200
	maxTextRunes    = 5000
	maxTagRunes     = 40
	maxTags         = 10
	maxOriginRunes  = 100
	maxNoteRunes    = 2000
	maxStandardRune = 1000
)

// checkText validates a free-text field: required or not, at most max characters.
func checkText(field, v string, required bool, max int) error {
	if required && strings.TrimSpace(v) == "" {
		return apperr.Invalidf(field, fmt.Sprintf("err.problem.%s.required", field))
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return apperr.Invalidf(field, "err.problem.too_long", max)
	}
	return nil
}

// Normalize trims the input's fields and fills defaults.
func (in *Input) Normalize() {
	for _, s := range []*string{&in.Title, &in.Description, &in.Source, &in.Class, &in.Severity,
		&in.UnitCode, &in.Responsible, &in.Measures, &in.Deadline, &in.OriginType, &in.OriginRef} {
		*s = strings.TrimSpace(*s)
	}
	if in.Severity == "" {
		in.Severity = "normal"
	}
	var tags []string
	for _, t := range in.Tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	in.Tags = tags
}

// Validate checks the fields that do not need the database. The 三定 are
// checked only when the item is to leave draft (see ThreeFixed).
func (in *Input) Validate() error {
	if err := checkText("title", in.Title, true, maxTitleRunes); err != nil {
		return err
	}
	if err := checkText("description", in.Description, false, maxTextRunes); err != nil {
		return err
	}
	if !slices.Contains(Sources, in.Source) {
		return apperr.Invalidf("source", "err.problem.source")
	}
	if !slices.Contains(Classes, in.Class) {
		return apperr.Invalidf("class", "err.problem.class")
	}
	if !slices.Contains(Severities, in.Severity) {
		return apperr.Invalidf("severity", "err.problem.severity")
	}
	if in.UnitCode == "" {
		return apperr.Invalidf("unit_code", "err.problem.unit_code.required")
	}
	if err := checkText("measures", in.Measures, false, maxTextRunes); err != nil {
		return err
	}
	if len(in.Tags) > maxTags {
		return apperr.Invalidf("tags", "err.problem.tags", maxTags)
	}
	for _, t := range in.Tags {
		if utf8.RuneCountInString(t) > maxTagRunes {
			return apperr.Invalidf("tags", "err.problem.tag_too_long", maxTagRunes)
		}
	}
	if in.OriginType != "" && !slices.Contains(OriginTypes, in.OriginType) {
		return apperr.Invalidf("origin_type", "err.problem.origin")
	}
	if err := checkText("origin_ref", in.OriginRef, in.OriginType != "", maxOriginRunes); err != nil {
		return err
	}
	if !in.Draft {
		if in.Responsible == "" {
			return apperr.Invalidf("responsible", "err.problem.responsible.required")
		}
		if in.Measures == "" {
			return apperr.Invalidf("measures", "err.problem.measures.required")
		}
		if in.Deadline == "" {
			return apperr.Invalidf("deadline", "err.problem.deadline.required")
		}
	}
	return nil
}
