// Package rating is 好差评: citizens rate how a concluded report was handled
// (online with the receipt and key, or on paper or by phone through staff); a
// bad rating (差评) opens a ledger item at once and needs a 回访 and a reply
// before that item may close; a unit may appeal (申诉) a malicious or mistaken
// rating, and an upheld appeal takes it out of the metrics without deleting it.
//
// The rules are pure functions here; ratings.go wraps them with authorization,
// storage and the audit trail.
package rating

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
)

// Levels, best first: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.
var Levels = []int{5, 4, 3, 2, 1}

// Bad reports whether a level is a 差评 (不满意 or 非常不满意).
func Bad(level int) bool { return level == 1 || level == 2 }

// Channels a rating comes through.
const (
	Online = "online" // the citizen, with the receipt and key
	Paper  = "paper"  // a paper form, typed in by staff
	Phone  = "phone"  // a telephone call (回访), typed in by staff
)

// StaffChannels are the channels staff may record.
var StaffChannels = []string{Paper, Phone}

// Targets a rating may rate.
const TargetReport = "report"

// ChangeWindow is how long after the first rating the rater may change it.
const ChangeWindow = 7 * 24 * time.Hour

// BadDeadlineDays is the working days a bad rating's ledger item gets.
const BadDeadlineDays = 5

// Appeal states.
const (
	AppealPending  = "pending"
	AppealUpheld   = "upheld"
	AppealRejected = "rejected"
)

const (
	MaxComment = 500
	maxText    = 1000
)

// Dimensions are the optional part-scores: 办事效率, 服务态度, 结果满意 (0: not given).
type Dimensions struct {
	Efficiency int `json:"efficiency,omitempty"`
	Attitude   int `json:"attitude,omitempty"`
	Result     int `json:"result,omitempty"`
}

// Input is a rating as the rater gives it.
type Input struct {
	Level      int        `json:"level"`
	Comment    string     `json:"comment"`
	Dimensions Dimensions `json:"dimensions"`
}

// Normalize trims the comment.
func (in *Input) Normalize() { in.Comment = strings.TrimSpace(in.Comment) }

// Validate checks a rating before anything is stored.
func (in *Input) Validate() error {
	if in.Level < 1 || in.Level > 5 {
		return apperr.Invalidf("level", "err.rating.level")
	}
	for _, d := range []struct {
		field string
		v     int
	}{{"dim_efficiency", in.Dimensions.Efficiency}, {"dim_attitude", in.Dimensions.Attitude}, {"dim_result", in.Dimensions.Result}} {
		if d.v < 0 || d.v > 5 {
			return apperr.Invalidf(d.field, "err.rating.dimension")
		}
	}
	if !utf8.ValidString(in.Comment) || utf8.RuneCountInString(in.Comment) > MaxComment {
		return apperr.Invalidf("comment", "err.rating.comment.too_long", MaxComment)
	}
	return nil
}

// CanChange reports whether a rating first given at first may still be
// changed at now.
func CanChange(first, now time.Time) bool { return now.Sub(first) <= ChangeWindow }

// checkText validates a staff-written text field.
func checkText(field, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return apperr.Invalidf(field, fmt.Sprintf("err.rating.%s.required", field))
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxText {
		return apperr.Invalidf(field, "err.rating.too_long", maxText)
	}
	return nil
}

// Visit is the 回访 of a bad rating: how contact was made, what the rater
// said, and the reply given to them.
type Visit struct {
	Contact string `json:"contact"`
	Said    string `json:"said"`
	Reply   string `json:"reply"`
	At      int64  `json:"at,omitempty"`
	By      string `json:"by,omitempty"`
}

// Validate checks a 回访 record: all three parts are needed.
func (v *Visit) Validate() error {
	v.Contact, v.Said, v.Reply = strings.TrimSpace(v.Contact), strings.TrimSpace(v.Said), strings.TrimSpace(v.Reply)
	if err := checkText("contact", v.Contact, true); err != nil {
		return err
	}
	if err := checkText("said", v.Said, true); err != nil {
		return err
	}
	return checkText("reply", v.Reply, true)
}

// Appeal is a unit's 申诉 against a rating and the inspector's decision.
type Appeal struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	By        string `json:"by"`
	At        int64  `json:"at"`
	DecidedBy string `json:"decided_by,omitempty"`
	DecidedAt int64  `json:"decided_at,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Rating is one rating as staff see it.
type Rating struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	TargetType    string     `json:"target_type"`
	TargetRef     string     `json:"target_ref"`
	UnitID        int64      `json:"-"`
	UnitCode      string     `json:"unit_code"`
	UnitName      string     `json:"unit_name"`
	UnitPath      string     `json:"-"`
	Channel       string     `json:"channel"`
	Level         int        `json:"level"`
	Bad           bool       `json:"bad"`
	Dimensions    Dimensions `json:"dimensions"`
	Comment       string     `json:"comment,omitempty"`
	RealName      bool       `json:"real_name"`
	ProblemID     int64      `json:"problem_id,omitempty"`
	ProblemNumber string     `json:"problem_number,omitempty"`
	RecordedBy    string     `json:"recorded_by,omitempty"`
	FirstAt       int64      `json:"first_at"`
	Changes       int        `json:"changes"`
	Visit         *Visit     `json:"visit,omitempty"`
	Appeal        *Appeal    `json:"appeal,omitempty"`
	Excluded      bool       `json:"excluded"`
	CreatedAt     int64      `json:"created_at"`
	UpdatedAt     int64      `json:"updated_at"`
	appealByID    int64
}

// Filter narrows a list of ratings.
type Filter struct {
	Unit    string // unit code: its subtree
	Level   int    // 0: any
	Bad     bool   // 差评 only
	NoVisit bool   // 差评 still without 回访
	From    string // day, inclusive
	To      string // day, inclusive
	Page    int
	PerPage int
}

// ParseFilter reads a filter from query parameters, refusing bad values.
func ParseFilter(v url.Values) (Filter, error) {
	f := Filter{Unit: strings.TrimSpace(v.Get("unit"))}
	if s := strings.TrimSpace(v.Get("level")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 5 {
			return f, apperr.Invalidf("level", "err.rating.level")
		}
		f.Level = n
	}
	f.Bad = v.Get("bad") == "1" || v.Get("bad") == "true"
	f.NoVisit = v.Get("no_visit") == "1" || v.Get("no_visit") == "true"
	for _, d := range []struct {
		name string
		dst  *string
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := strings.TrimSpace(v.Get(d.name)); s != "" {
			t, err := calendar.ParseDate(s)
			if err != nil {
				return f, apperr.Invalidf(d.name, "err.rating.date")
			}
			*d.dst = calendar.FormatDay(t)
		}
	}
	if f.From != "" && f.To != "" && f.To < f.From {
		return f, apperr.Invalidf("to", "err.rating.period")
	}
	return f, nil
}

// Values writes the filter back as query parameters (links, exports).
func (f Filter) Values() url.Values {
	v := url.Values{}
	if f.Unit != "" {
		v.Set("unit", f.Unit)
	}
	if f.Level != 0 {
		v.Set("level", strconv.Itoa(f.Level))
	}
	if f.Bad {
		v.Set("bad", "1")
	}
	if f.NoVisit {
		v.Set("no_visit", "1")
	}
	if f.From != "" {
		v.Set("from", f.From)
	}
	if f.To != "" {
		v.Set("to", f.To)
	}
	return v
}

// Row is what the metrics need of one rating.
type Row struct {
	Level     int
	Excluded  bool
	RealName  bool
	Visited   bool
	ProblemID int64
}

// Share is a rate with the counts behind it.
type Share struct {
	Num  int     `json:"numerator"`
	Den  int     `json:"denominator"`
	Rate float64 `json:"rate"` // Num/Den, 0 when Den is 0
}

func share(n, d int) Share {
	s := Share{Num: n, Den: d}
	if d > 0 {
		s.Rate = float64(n) / float64(d)
	}
	return s
}

// Metrics are the figures of a set of ratings. Ratings excluded by an upheld
// appeal count in Excluded only.
type Metrics struct {
	Counted      int     `json:"counted"`
	Excluded     int     `json:"excluded"`
	Levels       [6]int  `json:"levels"`        // by level, index 1..5
	Satisfaction Share   `json:"satisfaction"`  // 满意率: (5+4+3) ÷ counted
	Rectified    Share   `json:"rectification"` // 差评整改率: 差评 whose item is closed ÷ 差评
	Visited      Share   `json:"visit"`         // 回访率: 差评 with a 回访 ÷ 差评
	RealVisited  Share   `json:"real_name_visit"`
	RealGap      int     `json:"real_name_gap"` // real-name 差评 still without 回访 (must be 0)
	Average      float64 `json:"average"`       // mean level of the counted ratings
}

// Compute works out the metrics; statuses are the ledger items' statuses.
func Compute(rows []Row, statuses map[int64]ledger.Status) Metrics {
	var m Metrics
	var sat, bad, closed, visited, realBad, realVisited, sum int
	for _, r := range rows {
		if r.Excluded {
			m.Excluded++
			continue
		}
		if r.Level < 1 || r.Level > 5 {
			continue
		}
		m.Counted++
		m.Levels[r.Level]++
		sum += r.Level
		if !Bad(r.Level) {
			sat++
			continue
		}
		bad++
		if r.ProblemID != 0 && statuses[r.ProblemID] == ledger.Closed {
			closed++
		}
		if r.Visited {
			visited++
		}
		if r.RealName {
			realBad++
			if r.Visited {
				realVisited++
			}
		}
	}
	m.Satisfaction = share(sat, m.Counted)
	m.Rectified = share(closed, bad)
	m.Visited = share(visited, bad)
	m.RealVisited = share(realVisited, realBad)
	m.RealGap = realBad - realVisited
	if m.Counted > 0 {
		m.Average = float64(sum) / float64(m.Counted)
	}
	return m
}

// validChannel reports whether staff may record through ch.
func validChannel(ch string) bool { return slices.Contains(StaffChannels, ch) }
