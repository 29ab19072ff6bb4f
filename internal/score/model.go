// Package score is 民标: a unit's scorecard for a period, computed from the
// records and never typed in. The people's judgement weighs most; closures
// count only when they were on time, verified and not reopened by 回头看;
// responsiveness, lasting work (潜绩) and study complete the card. Each part
// shows its inputs, and a part resting on too few items says 样本不足 instead
// of ranking the unit on noise.
//
// The rules are pure functions here (periods, the formula, computing and
// ranking cards); store.go gathers the inputs for a whole tree in a handful of
// set-based queries, and cards.go adds authorization, publishing and the audit
// trail.
package score

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
)

// Period kinds.
const (
	Month   = "month"
	Quarter = "quarter"
	Year    = "year"
)

// Period is a scoring period: civil days From..To inclusive (UTC-midnight
// values, as calendar.ParseDay gives).
type Period struct {
	Key  string    `json:"key"` // 2026-10, 2026-Q3, 2026
	Kind string    `json:"kind"`
	From time.Time `json:"-"`
	To   time.Time `json:"-"`
}

var (
	reMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reQuarter = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
	reYear    = regexp.MustCompile(`^(\d{4})$`)
)

// ParsePeriod reads 2026-10 (a month), 2026-Q3 (a quarter) or 2026 (a year).
func ParsePeriod(s string) (Period, error) {
	bad := apperr.Invalidf("period", "err.score.period", s)
	year := func(y string) (int, bool) {
		n, _ := strconv.Atoi(y)
		return n, n >= 2000 && n <= 2100
	}
	if m := reMonth.FindStringSubmatch(s); m != nil {
		y, ok := year(m[1])
		mo, _ := strconv.Atoi(m[2])
		if !ok || mo < 1 || mo > 12 {
			return Period{}, bad
		}
		return MonthOf(y, time.Month(mo)), nil
	}
	if m := reQuarter.FindStringSubmatch(s); m != nil {
		y, ok := year(m[1])
		if !ok {
			return Period{}, bad
		}
		q, _ := strconv.Atoi(m[2])
		return QuarterOf(y, q), nil
	}
	if m := reYear.FindStringSubmatch(s); m != nil {
		y, ok := year(m[1])
		if !ok {
			return Period{}, bad
		}
		return YearOf(y), nil
	}
	return Period{}, bad
}

// MonthOf is the month m of year y.
func MonthOf(y int, m time.Month) Period {
	from := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return Period{Key: fmt.Sprintf("%04d-%02d", y, int(m)), Kind: Month, From: from, To: from.AddDate(0, 1, -1)}
}

// QuarterOf is quarter q (1..4) of year y.
func QuarterOf(y, q int) Period {
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return Period{Key: fmt.Sprintf("%04d-Q%d", y, q), Kind: Quarter, From: from, To: from.AddDate(0, 3, -1)}
}

// YearOf is the year y.
func YearOf(y int) Period {
	from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	return Period{Key: fmt.Sprintf("%04d", y), Kind: Year, From: from, To: from.AddDate(1, 0, -1)}
}

// Containing is the period of the given kind containing day d.
func Containing(kind string, d time.Time) Period {
	switch kind {
	case Month:
		return MonthOf(d.Year(), d.Month())
	case Year:
		return YearOf(d.Year())
	}
	return QuarterOf(d.Year(), (int(d.Month())-1)/3+1)
}

// Prev is the period of the same kind just before p.
func (p Period) Prev() Period { return Containing(p.Kind, p.From.AddDate(0, 0, -1)) }

// FromDay and ToDay are the first and last days as YYYY-MM-DD.
func (p Period) FromDay() string { return p.From.Format(time.DateOnly) }
func (p Period) ToDay() string   { return p.To.Format(time.DateOnly) }

// cst is China Standard Time: civil days begin at 00:00 UTC+8.
var cst = time.FixedZone("CST", 8*3600)

// dayStartMs is the unix ms at which civil day d (UTC-midnight value) begins in China.
func dayStartMs(d time.Time) int64 {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, cst).UnixMilli()
}

// StartMs and EndMs bound the period in unix ms: [StartMs, EndMs).
func (p Period) StartMs() int64 { return dayStartMs(p.From) }
func (p Period) EndMs() int64   { return dayStartMs(p.To.AddDate(0, 0, 1)) }

// Days lists the period's days.
func (p Period) Days() []time.Time {
	var out []time.Time
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// Parts of a scorecard.
const (
	People   = "people"   // 群众评价: 满意率 and 差评整改
	Closure  = "closure"  // 整改质量: on time, verified, not reopened, over items due
	Response = "response" // 响应时效: acknowledgement, conclusion and feedback timers met
	Lasting  = "lasting"  // 潜绩: 长期整改 closed with a mechanism, project milestones met
	Study    = "study"    // 学习教育: reflections done and original
)

// Parts lists the parts in display order.
var Parts = []string{People, Closure, Response, Lasting, Study}

// Formula is the versioned setting that turns inputs into a score.
type Formula struct {
	Version int `json:"version"`
	// Weights in percent, one per part, summing to 100.
	Weights map[string]int `json:"weights"`
	// MinSample is the fewest items a part needs to count (样本不足 below).
	MinSample map[string]int `json:"min_sample"`
	// RectifyShare is the percent of the people part carried by the 差评整改率
	// (the rest by the 满意率).
	RectifyShare int `json:"rectify_share"`
	// MinCoverage is the percent of the weights the sufficient parts must
	// carry for the unit to get a total and a rank at all.
	MinCoverage int    `json:"min_coverage"`
	Note        string `json:"note,omitempty"`
	CreatedAt   int64  `json:"created_at,omitempty"`
	CreatedBy   string `json:"created_by,omitempty"`
}

// DefaultFormula is the composition: 40/25/15/10/10.
func DefaultFormula() Formula {
	return Formula{
		Version:      1,
		Weights:      map[string]int{People: 40, Closure: 25, Response: 15, Lasting: 10, Study: 10},
		MinSample:    map[string]int{People: 10, Closure: 5, Response: 5, Lasting: 3, Study: 5},
		RectifyShare: 25,
		MinCoverage:  50,
	}
}

// Validate checks a formula before it is stored.
func (f Formula) Validate() error {
	sum := 0
	for _, k := range Parts {
		w := f.Weights[k]
		if w < 0 || w > 100 {
			return apperr.Invalidf("weight_"+k, "err.score.weight", 0, 100)
		}
		sum += w
		if m := f.MinSample[k]; m < 1 || m > 100000 {
			return apperr.Invalidf("min_"+k, "err.score.min_sample", 1, 100000)
		}
	}
	if sum != 100 {
		return apperr.Invalidf("weights", "err.score.weights_sum", sum)
	}
	if f.RectifyShare < 0 || f.RectifyShare > 100 {
		return apperr.Invalidf("rectify_share", "err.score.percent", 0, 100)
	}
	if f.MinCoverage < 1 || f.MinCoverage > 100 {
		return apperr.Invalidf("min_coverage", "err.score.percent", 1, 100)
	}
	return nil
}

// Inputs are the counts behind one unit subtree's card. They add up: a
// unit's inputs are its own plus its children's.
type Inputs struct {
	Rated        int `json:"rated"`         // ratings counted (not excluded by an appeal)
	Satisfied    int `json:"satisfied"`     // levels 5, 4, 3
	Bad          int `json:"bad"`           // 差评
	BadRectified int `json:"bad_rectified"` // 差评 whose ledger item is closed

	Due       int `json:"due"`         // ledger items due in the period (not drafts)
	Closed    int `json:"closed"`      // of those, closed (verified)
	ClosedOK  int `json:"closed_ok"`   // closed on time and never reopened
	Reopened  int `json:"reopened"`    // reopened by 回头看
	ClosedLat int `json:"closed_late"` // closed after the deadline

	AckDue      int `json:"ack_due"` // reports whose 受理 was due in the period
	AckMet      int `json:"ack_met"`
	ConcludeDue int `json:"conclude_due"` // leads whose 办结 was due
	ConcludeMet int `json:"conclude_met"`
	FeedbackDue int `json:"feedback_due"` // real-name reports whose 反馈 was due
	FeedbackMet int `json:"feedback_met"`

	LongDue       int `json:"long_due"`    // 长期整改 items due
	LongClosed    int `json:"long_closed"` // closed with a mechanism, not reopened
	Milestones    int `json:"milestones"`  // project milestones due
	MilestonesMet int `json:"milestones_met"`

	StudyKnown    bool `json:"study_known"` // the study module reported figures
	StudyDue      int  `json:"study_due"`
	StudyDone     int  `json:"study_done"`
	StudyOriginal int  `json:"study_original"`
}

// Add adds b's counts to a.
func (a *Inputs) Add(b Inputs) {
	a.Rated += b.Rated
	a.Satisfied += b.Satisfied
	a.Bad += b.Bad
	a.BadRectified += b.BadRectified
	a.Due += b.Due
	a.Closed += b.Closed
	a.ClosedOK += b.ClosedOK
	a.Reopened += b.Reopened
	a.ClosedLat += b.ClosedLat
	a.AckDue += b.AckDue
	a.AckMet += b.AckMet
	a.ConcludeDue += b.ConcludeDue
	a.ConcludeMet += b.ConcludeMet
	a.FeedbackDue += b.FeedbackDue
	a.FeedbackMet += b.FeedbackMet
	a.LongDue += b.LongDue
	a.LongClosed += b.LongClosed
	a.Milestones += b.Milestones
	a.MilestonesMet += b.MilestonesMet
	a.StudyKnown = a.StudyKnown || b.StudyKnown
	a.StudyDue += b.StudyDue
	a.StudyDone += b.StudyDone
	a.StudyOriginal += b.StudyOriginal
}

// Figure is one input with its numerator and denominator.
type Figure struct {
	Key  string  `json:"key"` // i18n: ui.score.fig.<key>
	Num  int     `json:"numerator"`
	Den  int     `json:"denominator"`
	Rate float64 `json:"rate"`
}

func fig(key string, n, d int) Figure {
	f := Figure{Key: key, Num: n, Den: d}
	if d > 0 {
		f.Rate = float64(n) / float64(d)
	}
	return f
}

// Part is one part of a card.
type Part struct {
	Key    string `json:"key"`
	Weight int    `json:"weight"`
	// Sample is the number of items the part rests on; MinSample the formula's floor.
	Sample    int  `json:"sample"`
	MinSample int  `json:"min_sample"`
	Enough    bool `json:"enough"` // false: 样本不足, not scored, not ranked
	// Score is 0..100 (meaningful only when Enough).
	Score   float64  `json:"score"`
	Figures []Figure `json:"figures"`
	Rank    int      `json:"rank,omitempty"` // among siblings with Enough; 0 unranked
}

// Card is a unit's scorecard for a period.
type Card struct {
	Period         string `json:"period"`
	UnitID         int64  `json:"-"`
	ParentID       int64  `json:"-"`
	UnitCode       string `json:"unit"`
	UnitName       string `json:"unit_name"`
	FormulaVersion int    `json:"formula_version"`
	Parts          []Part `json:"parts"`
	// Coverage is the percent of the weights carried by parts with enough data.
	Coverage int `json:"coverage"`
	// Ranked: the coverage reaches the formula's minimum; Total is then the
	// weighted score of the sufficient parts, rescaled to 0..100.
	Ranked bool    `json:"ranked"`
	Total  float64 `json:"total"`
	Rank   int     `json:"rank,omitempty"`     // among ranked siblings, 1 best
	Of     int     `json:"rank_of,omitempty"`  // ranked siblings
	Prev   float64 `json:"previous,omitempty"` // the previous period's total, when ranked there
	// Trend compares with the previous period: up, down, same, or "" when either is unranked.
	Trend  string `json:"trend,omitempty"`
	Inputs Inputs `json:"inputs"`
}

// Compute works out a card from a unit subtree's inputs (pure).
func Compute(in Inputs, f Formula) Card {
	c := Card{FormulaVersion: f.Version, Inputs: in}
	rectify := 1.0 // no 差评: nothing left to rectify
	if in.Bad > 0 {
		rectify = float64(in.BadRectified) / float64(in.Bad)
	}
	sat := 0.0
	if in.Rated > 0 {
		sat = float64(in.Satisfied) / float64(in.Rated)
	}
	rs := float64(f.RectifyShare) / 100
	timers, met := in.AckDue+in.ConcludeDue+in.FeedbackDue, in.AckMet+in.ConcludeMet+in.FeedbackMet
	lastDen, lastNum := in.LongDue+in.Milestones, in.LongClosed+in.MilestonesMet
	studyRate := 0.0
	if in.StudyDue > 0 {
		// half for handing in, half for handing in one's own words
		studyRate = (float64(in.StudyDone) + float64(in.StudyOriginal)) / (2 * float64(in.StudyDue))
	}
	parts := []struct {
		key     string
		sample  int
		rate    float64
		figures []Figure
	}{
		{People, in.Rated, (1-rs)*sat + rs*rectify, []Figure{
			fig("satisfaction", in.Satisfied, in.Rated), fig("rectification", in.BadRectified, in.Bad)}},
		{Closure, in.Due, ratio(in.ClosedOK, in.Due), []Figure{
			fig("closed_ok", in.ClosedOK, in.Due), fig("closed", in.Closed, in.Due),
			fig("closed_late", in.ClosedLat, in.Due), fig("reopened", in.Reopened, in.Due)}},
		{Response, timers, ratio(met, timers), []Figure{
			fig("ack", in.AckMet, in.AckDue), fig("conclude", in.ConcludeMet, in.ConcludeDue),
			fig("feedback", in.FeedbackMet, in.FeedbackDue)}},
		{Lasting, lastDen, ratio(lastNum, lastDen), []Figure{
			fig("longterm", in.LongClosed, in.LongDue), fig("milestones", in.MilestonesMet, in.Milestones)}},
		{Study, in.StudyDue, studyRate, []Figure{
			fig("study_done", in.StudyDone, in.StudyDue), fig("study_original", in.StudyOriginal, in.StudyDue)}},
	}
	var wsum, acc float64
	for _, p := range parts {
		min := f.MinSample[p.key]
		enough := p.sample >= min && (p.key != Study || in.StudyKnown)
		part := Part{Key: p.key, Weight: f.Weights[p.key], Sample: p.sample, MinSample: min, Enough: enough, Figures: p.figures}
		if enough {
			part.Score = round2(100 * p.rate)
			wsum += float64(part.Weight)
			acc += float64(part.Weight) * 100 * p.rate
		}
		c.Parts = append(c.Parts, part)
	}
	c.Coverage = int(math.Round(wsum))
	if wsum > 0 && c.Coverage >= f.MinCoverage {
		c.Ranked = true
		c.Total = round2(acc / wsum)
	}
	return c
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Part returns the card's part with key k (a pointer into the shared parts slice).
func (c Card) Part(k string) *Part {
	for i := range c.Parts {
		if c.Parts[i].Key == k {
			return &c.Parts[i]
		}
	}
	return nil
}

// RankSiblings ranks the cards among those with the same parent: the total
// for ranked cards, and each part among the siblings with enough data for
// it. Ties share a rank (1, 1, 3).
func RankSiblings(cards []Card) {
	groups := map[int64][]int{}
	for i := range cards {
		groups[cards[i].ParentID] = append(groups[cards[i].ParentID], i)
	}
	for _, idx := range groups {
		rankBy(cards, idx, func(c *Card) (float64, bool) { return c.Total, c.Ranked }, func(c *Card, r, of int) { c.Rank, c.Of = r, of })
		for _, k := range Parts {
			rankBy(cards, idx, func(c *Card) (float64, bool) {
				p := c.Part(k)
				return p.Score, p != nil && p.Enough
			}, func(c *Card, r, _ int) { c.Part(k).Rank = r })
		}
	}
}

func rankBy(cards []Card, idx []int, val func(*Card) (float64, bool), set func(*Card, int, int)) {
	var in []int
	for _, i := range idx {
		if _, ok := val(&cards[i]); ok {
			in = append(in, i)
		} else {
			set(&cards[i], 0, 0)
		}
	}
	slices.SortStableFunc(in, func(a, b int) int {
		va, _ := val(&cards[a])
		vb, _ := val(&cards[b])
		return cmp.Or(cmp.Compare(vb, va), cmp.Compare(cards[a].UnitCode, cards[b].UnitCode))
	})
	r, last := 0, 0.0
	for n, i := range in {
		v, _ := val(&cards[i])
		if n == 0 || v != last {
			r = n + 1
		}
		last = v
		set(&cards[i], r, len(in))
	}
}

// SetTrend compares the card's total with the previous period's.
func (c *Card) SetTrend(prev *Card) {
	c.Prev, c.Trend = 0, ""
	if prev == nil || !prev.Ranked || !c.Ranked {
		return
	}
	c.Prev = prev.Total
	switch d := c.Total - prev.Total; {
	case d > 0.5:
		c.Trend = "up"
	case d < -0.5:
		c.Trend = "down"
	default:
		c.Trend = "same"
	}
}
