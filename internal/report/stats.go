package report

import (
	"context"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
)

// PublicUnit is a unit as the public reporting form offers it.
type PublicUnit struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Parent string `json:"parent,omitempty"`
}

// SearchUnits finds open units whose name or code contains q, for the public
// form (unit names are public).
func (r *Reports) SearchUnits(ctx context.Context, q string, limit int) ([]PublicUnit, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	like := "%" + store.EscapeLike(q) + "%"
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT u.code, u.name, COALESCE(p.name, '') FROM units u
		LEFT JOIN units p ON p.id = u.parent_id
		WHERE u.closed_at IS NULL AND (u.name LIKE $1 ESCAPE '\' OR u.code LIKE $1 ESCAPE '\')
		ORDER BY u.depth, u.name LIMIT `+strconv.Itoa(limit), like)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PublicUnit
	for rows.Next() {
		var u PublicUnit
		if err := rows.Scan(&u.Code, &u.Name, &u.Parent); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Metrics are a unit subtree's handling figures. Each rate has its numerator
// and denominator, so a reader sees how much it rests on.
type Metrics struct {
	Received         int         `json:"received"`
	Acked            int         `json:"acked"`
	AckedOnTime      int         `json:"acked_on_time"`
	Leads            int         `json:"leads"`     // registered as leads (ever)
	Concluded        int         `json:"concluded"` // leads concluded
	OnTime           int         `json:"concluded_on_time"`
	Substantiated    int         `json:"substantiated"`
	PriorHandled     int         `json:"prior_handled"`
	FeedbackDue      int         `json:"feedback_due"` // real-name concluded
	FeedbackGiven    int         `json:"feedback_given"`
	FeedbackOnTime   int         `json:"feedback_on_time"`
	Forms            map[int]int `json:"forms"`             // 四种形态 → count
	AckRate          float64     `json:"ack_rate"`          // 受理及时率
	ConcludeRate     float64     `json:"conclude_rate"`     // 查结率: concluded ÷ received leads
	SubstantiateRate float64     `json:"substantiate_rate"` // 查实率
	OnTimeRate       float64     `json:"on_time_rate"`      // 按期办结率
	FeedbackRate     float64     `json:"feedback_rate"`     // 反馈率
}

func rate(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Metrics computes the figures over the reports p may see in the subtree of
// unitCode (or everything p may see when unitCode is "").
func (r *Reports) Metrics(ctx context.Context, p *org.Principal, unitCode string) (Metrics, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where, ok := scopeSQL(p, org.ClueRead, arg)
	m := Metrics{Forms: map[int]int{}}
	if !ok {
		return m, nil
	}
	if unitCode != "" {
		u, err := org.UnitByCode(ctx, r.DB.Read, unitCode)
		if err != nil {
			return m, apperr.Invalidf("unit", "err.report.unit_code.unknown", unitCode)
		}
		where += " AND " + store.Subtree("h.path", u.Path, arg)
	}
	err := r.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*),
		COUNT(r.acked_at),
		COALESCE(SUM(CASE WHEN r.conclude_due IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.conclude_due IS NOT NULL AND r.status = 'concluded' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.conclude_due IS NOT NULL AND r.status = 'concluded' AND r.concluded_on <= r.conclude_due THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.conclude_due IS NOT NULL AND r.status = 'concluded' AND r.conclusion IN ('true', 'partly_true') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.conclusion = 'prior_handled' AND r.status = 'concluded' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.real_name = 1 AND r.feedback_due IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.real_name = 1 AND r.feedback_due IS NOT NULL AND r.feedback_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		`+leadFrom+` WHERE `+where, args...).Scan(&m.Received, &m.Acked, &m.Leads, &m.Concluded, &m.OnTime,
		&m.Substantiated, &m.PriorHandled, &m.FeedbackDue, &m.FeedbackGiven)
	if err != nil {
		return m, err
	}
	// Acknowledged on time: the 受理 event's day against ack_due (a day), read
	// per report: days are civil days in China, not comparable to ms in SQL.
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT r.acked_at, r.ack_due, r.form, COALESCE(r.feedback_at, 0), COALESCE(r.feedback_due, '')`+
		leadFrom+` WHERE `+where+` AND (r.acked_at IS NOT NULL OR r.form > 0 OR r.feedback_at IS NOT NULL)`, args...)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var acked, fbAt *int64
		var due, fbDue string
		var form int
		if err := rows.Scan(&acked, &due, &form, &fbAt, &fbDue); err != nil {
			return m, err
		}
		if acked != nil && calendar.FormatDay(calendar.Today(store.Time(*acked))) <= due {
			m.AckedOnTime++
		}
		if form > 0 {
			m.Forms[form]++
		}
		if fbAt != nil && *fbAt > 0 && fbDue != "" && calendar.FormatDay(calendar.Today(store.Time(*fbAt))) <= fbDue {
			m.FeedbackOnTime++
		}
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	m.AckRate = rate(m.AckedOnTime, m.Acked)
	m.ConcludeRate = rate(m.Concluded, m.Leads)
	m.SubstantiateRate = rate(m.Substantiated, m.Concluded)
	m.OnTimeRate = rate(m.OnTime, m.Concluded)
	m.FeedbackRate = rate(m.FeedbackGiven, m.FeedbackDue)
	return m, nil
}

// Small is the threshold under which a public figure is shown as "<5".
const Small = 5

// Cell is a public count: Masked when under Small (and not zero), so nobody
// can be singled out.
type Cell struct {
	N      int  `json:"n"`
	Masked bool `json:"masked"`
}

func cell(n int) Cell {
	if n > 0 && n < Small {
		return Cell{Masked: true}
	}
	return Cell{N: n}
}

// Row is one line of a public table.
type Row struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count Cell   `json:"count"`
}

// Transparency is the public page's data.
type Transparency struct {
	Total           Cell      `json:"total"`
	ByCategory      []Row     `json:"by_category"`
	ByUnit          []Row     `json:"by_unit"`
	ByMonth         []Row     `json:"by_month"`
	AckOnTime       float64   `json:"ack_on_time"`       // share acknowledged on time
	ConcludedOnTime float64   `json:"concluded_on_time"` // share of leads concluded on time
	Substantiated   float64   `json:"substantiated"`     // 查实率
	RatesShown      bool      `json:"rates_shown"`       // false when the base is under Small
	Outcomes        []Outcome `json:"outcomes"`
}

// Outcome is a result a handler chose to publish, anonymized.
type Outcome struct {
	Month    string `json:"month"`
	Category string `json:"category"`
	Unit     string `json:"unit"`
	Text     string `json:"text"`
}

// PublicFigures computes the transparency page: counts by category, by organ
// (the top two levels of units are too coarse, so counts are by the handling
// unit) and by month, the shares, and the published outcomes. Any count under
// Small is masked, and the rates are hidden when their base is under Small.
//
// reader is who asks (nil: nobody signed in). A reader recused from some
// leads (named in them, or leading or deputising the unit of someone named:
// score.RecusedLeads) gets every figure without those leads, as on the
// scorecards, so that a lead against them never moves a count they are
// shown; nothing on the page says so.
func (r *Reports) PublicFigures(ctx context.Context, reader *org.Principal) (Transparency, error) {
	var t Transparency
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := "r.channel = 'public'"
	recused, err := score.AnyRecusal(ctx, r.DB.Read, reader)
	if err != nil {
		return t, err
	}
	if recused {
		where += " AND NOT " + score.RecusedLeads(reader, "r.id", arg)
	}
	var total int
	if err := r.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports r WHERE `+where, args...).Scan(&total); err != nil {
		return t, err
	}
	t.Total = cell(total)
	group := func(q string) ([]Row, error) {
		rows, err := r.DB.Read.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []Row
		for rows.Next() {
			var row Row
			var n int
			if err := rows.Scan(&row.Key, &row.Label, &n); err != nil {
				return nil, err
			}
			row.Count = cell(n)
			out = append(out, row)
		}
		return out, rows.Err()
	}
	if t.ByCategory, err = group(`SELECT r.category, r.category, COUNT(*) FROM reports r WHERE ` + where + `
		GROUP BY r.category ORDER BY COUNT(*) DESC, r.category`); err != nil {
		return t, err
	}
	if t.ByUnit, err = group(`SELECT h.code, h.name, COUNT(*) FROM reports r JOIN units h ON h.id = r.handling_unit_id
		WHERE ` + where + ` GROUP BY h.code, h.name ORDER BY COUNT(*) DESC, h.code LIMIT 50`); err != nil {
		return t, err
	}
	if t.ByMonth, err = group(`SELECT SUBSTR(r.received_on, 1, 7), SUBSTR(r.received_on, 1, 7), COUNT(*) FROM reports r
		WHERE ` + where + ` GROUP BY SUBSTR(r.received_on, 1, 7) ORDER BY SUBSTR(r.received_on, 1, 7) DESC LIMIT 24`); err != nil {
		return t, err
	}
	var acked, ackedOnTime, concluded, onTime, subst int
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT r.acked_at, r.ack_due, r.status, COALESCE(r.concluded_on, ''), COALESCE(r.conclude_due, ''), r.conclusion
		FROM reports r WHERE `+where+` AND (r.acked_at IS NOT NULL OR r.status = 'concluded')`, args...)
	if err != nil {
		return t, err
	}
	for rows.Next() {
		var ackAt *int64
		var due, status, concOn, concDue, conclusion string
		if err := rows.Scan(&ackAt, &due, &status, &concOn, &concDue, &conclusion); err != nil {
			rows.Close()
			return t, err
		}
		if ackAt != nil {
			acked++
			if calendar.FormatDay(calendar.Today(store.Time(*ackAt))) <= due {
				ackedOnTime++
			}
		}
		if status == string(Concluded) && concDue != "" {
			concluded++
			if concOn <= concDue {
				onTime++
			}
			if Substantiated(conclusion) {
				subst++
			}
		}
	}
	rows.Close()
	t.RatesShown = acked >= Small && concluded >= Small
	if t.RatesShown {
		t.AckOnTime, t.ConcludedOnTime, t.Substantiated = rate(ackedOnTime, acked), rate(onTime, concluded), rate(subst, concluded)
	}
	recusal := "" // the published outcomes: of any channel, as before
	var oargs []any
	if recused {
		recusal = " AND NOT " + score.RecusedLeads(reader, "r.id", func(v any) string {
			oargs = append(oargs, v)
			return "$" + strconv.Itoa(len(oargs))
		})
	}
	out, err := r.DB.Read.QueryContext(ctx, `SELECT SUBSTR(COALESCE(r.concluded_on, ''), 1, 7), r.category, h.name, r.public_outcome,
		r.receipt, r.wrapped_key, r.sealed, r.identity
		FROM reports r JOIN units h ON h.id = r.handling_unit_id
		WHERE r.public_outcome <> '' AND r.status = 'concluded'`+recusal+` ORDER BY r.concluded_at DESC LIMIT 50`, oargs...)
	if err != nil {
		return t, err
	}
	defer out.Close()
	for out.Next() {
		var o Outcome
		var receipt string
		var wrapped, sealed, identity []byte
		if err := out.Scan(&o.Month, &o.Category, &o.Unit, &o.Text, &receipt, &wrapped, &sealed, &identity); err != nil {
			return t, err
		}
		if o.Text, err = r.maskOutcome(o.Text, receipt, wrapped, sealed, identity); err != nil {
			return t, err
		}
		t.Outcomes = append(t.Outcomes, o)
	}
	return t, out.Err()
}

// Queue counts what waits for p (for the 工作台): reports to accept, of them
// overdue, "already investigated" closings awaiting a second approver other
// than p, and real-name reporters whose feedback is overdue.
type Queue struct {
	ToAccept, AckLate, ToApprove, FeedbackLate int
}

// QueueOf counts p's queue over the reports p may handle.
func (r *Reports) QueueOf(ctx context.Context, p *org.Principal) (Queue, error) {
	var q Queue
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where, ok := scopeSQL(p, org.ClueHandle, arg)
	if !ok {
		return q, nil
	}
	today := arg(calendar.FormatDay(r.today()))
	me := arg(p.UserID)
	err := r.DB.Read.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN r.status = 'received' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.status = 'received' AND r.ack_due < `+today+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.status = 'pending_prior' AND r.pending_by <> `+me+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.real_name = 1 AND r.feedback_at IS NULL AND r.feedback_due < `+today+` THEN 1 ELSE 0 END), 0)
		`+leadFrom+` WHERE `+where, args...).Scan(&q.ToAccept, &q.AckLate, &q.ToApprove, &q.FeedbackLate)
	return q, err
}
