package report

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Lead is a report as the staff who handle it see it. The reporter's identity
// is not part of it: it is read only through RevealIdentity.
type Lead struct {
	ID            int64     `json:"id"`
	Number        string    `json:"number"`
	Channel       string    `json:"channel"`
	Category      string    `json:"category"`
	UnitCode      string    `json:"unit_code"`
	UnitName      string    `json:"unit_name"`
	HandlingCode  string    `json:"handling_unit_code"`
	HandlingName  string    `json:"handling_unit_name"`
	Status        Status    `json:"status"`
	RealName      bool      `json:"real_name"`
	ReceivedOn    string    `json:"received_on"`
	AckDue        string    `json:"ack_due"`
	AckedAt       int64     `json:"acked_at,omitempty"`
	Method        string    `json:"method,omitempty"`
	ConcludeDue   string    `json:"conclude_due,omitempty"`
	Conclusion    string    `json:"conclusion,omitempty"`
	Form          int       `json:"form,omitempty"`
	Measure       string    `json:"measure,omitempty"`
	PriorCase     string    `json:"prior_case,omitempty"`
	PendingBy     int64     `json:"-"`
	ConcludedOn   string    `json:"concluded_on,omitempty"`
	FeedbackDue   string    `json:"feedback_due,omitempty"`
	FeedbackAt    int64     `json:"feedback_at,omitempty"`
	MergedInto    string    `json:"merged_into,omitempty"`
	ProblemID     int64     `json:"problem_id,omitempty"`
	PublicOutcome string    `json:"public_outcome,omitempty"`
	CreatedAt     int64     `json:"created_at"`
	Subject       string    `json:"subject"`
	Content       string    `json:"content,omitempty"`
	When          string    `json:"when,omitempty"`
	Where         string    `json:"where,omitempty"`
	Accused       []Accused `json:"accused,omitempty"`
	Named         []string  `json:"named_usernames,omitempty"`
	Timeline      []Event   `json:"timeline,omitempty"`
	// AckLate and FeedbackLate mark missed timers (as of today).
	AckLate      bool `json:"ack_late"`
	FeedbackLate bool `json:"feedback_late"`

	handlingPath string
	handlingID   int64
	receipt      string // what sealed values are bound to (see aad)
	wrapped      []byte
	sealed       []byte
}

const leadCols = `r.id, r.number, r.channel, r.category, u.code, u.name, h.code, h.name, h.path, h.id, r.status, r.real_name,
	r.received_on, r.ack_due, COALESCE(r.acked_at, 0), r.method, COALESCE(r.conclude_due, ''), r.conclusion, r.form,
	r.measure, r.prior_case, COALESCE(r.pending_by, 0), COALESCE(r.concluded_on, ''), COALESCE(r.feedback_due, ''),
	COALESCE(r.feedback_at, 0), COALESCE(m.number, ''), COALESCE(r.problem_id, 0), r.public_outcome, r.created_at,
	r.wrapped_key, r.sealed, r.receipt`

const leadFrom = ` FROM reports r JOIN units u ON u.id = r.unit_id JOIN units h ON h.id = r.handling_unit_id
	LEFT JOIN reports m ON m.id = r.merged_into`

func scanLead(s interface{ Scan(...any) error }) (Lead, error) {
	var l Lead
	var status string
	err := s.Scan(&l.ID, &l.Number, &l.Channel, &l.Category, &l.UnitCode, &l.UnitName, &l.HandlingCode, &l.HandlingName,
		&l.handlingPath, &l.handlingID, &status, &l.RealName, &l.ReceivedOn, &l.AckDue, &l.AckedAt, &l.Method,
		&l.ConcludeDue, &l.Conclusion, &l.Form, &l.Measure, &l.PriorCase, &l.PendingBy, &l.ConcludedOn, &l.FeedbackDue,
		&l.FeedbackAt, &l.MergedInto, &l.ProblemID, &l.PublicOutcome, &l.CreatedAt, &l.wrapped, &l.sealed, &l.receipt)
	l.Status = Status(status)
	return l, err
}

// late fills the timer marks as of today.
func (l *Lead) late(today string) {
	l.AckLate = l.AckedAt == 0 && l.Status == Received && l.AckDue < today
	l.FeedbackLate = l.RealName && l.FeedbackAt == 0 && l.FeedbackDue != "" && l.FeedbackDue < today
}

func (r *Reports) open(l *Lead) error {
	var s Sealed
	if err := r.openJSON(l.wrapped, l.sealed, l.receipt, "content", &s); err != nil {
		return err
	}
	l.Subject, l.Content, l.When, l.Where, l.Accused = s.Subject, s.Content, s.When, s.Where, s.Accused
	return nil
}

func namedOf(ctx context.Context, q store.Queryer, id int64) ([]org.Named, []string, error) {
	rows, err := q.QueryContext(ctx, `SELECT n.user_id, n.unit_path, u.username FROM report_named n
		JOIN users u ON u.id = n.user_id WHERE n.report_id = $1 ORDER BY u.username`, id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var named []org.Named
	var names []string
	for rows.Next() {
		var n org.Named
		var name string
		if err := rows.Scan(&n.UserID, &n.UnitPath, &name); err != nil {
			return nil, nil, err
		}
		named, names = append(named, n), append(names, name)
	}
	return named, names, rows.Err()
}

// load reads a report for p, who must be allowed a in its handling unit and
// not be recused from it; anything else is "not found", exactly as for a
// report that does not exist.
func (r *Reports) load(ctx context.Context, q store.Queryer, p *org.Principal, id int64, a org.Action) (Lead, error) {
	l, err := scanLead(q.QueryRowContext(ctx, `SELECT `+leadCols+leadFrom+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Lead{}, apperr.ErrNotFound
	}
	if err != nil {
		return Lead{}, err
	}
	if !org.Can(p, a, l.handlingPath) {
		return Lead{}, apperr.ErrNotFound
	}
	named, names, err := namedOf(ctx, q, id)
	if err != nil {
		return Lead{}, err
	}
	if org.Recused(p, named) {
		return Lead{}, apperr.ErrNotFound
	}
	l.Named = names
	l.late(calendar.FormatDay(r.today()))
	return l, nil
}

// Get reads one report with its timeline; the read is audited (a lead's
// content is sensitive).
func (r *Reports) Get(ctx context.Context, p *org.Principal, id int64) (Lead, error) {
	l, err := r.load(ctx, r.DB.Read, p, id, org.ClueRead)
	if err != nil {
		return l, err
	}
	if err := r.open(&l); err != nil {
		return l, err
	}
	if l.Timeline, err = r.timeline(ctx, l.ID, l.receipt, l.wrapped, false); err != nil {
		return l, err
	}
	err = audit.Record(ctx, r.DB, audit.Event{Actor: p.Actor(), Action: "report.read", ObjectType: "report",
		ObjectID: l.Number, UnitID: l.handlingID})
	return l, err
}

// Visible reports whether p may still see the report (a step can move it
// out of the actor's sight: an assignment naming them, a transfer).
func (r *Reports) Visible(ctx context.Context, p *org.Principal, id int64) bool {
	_, err := r.load(ctx, r.DB.Read, p, id, org.ClueRead)
	return err == nil
}

// ByNumber finds a report's id by its number, for p.
func (r *Reports) ByNumber(ctx context.Context, p *org.Principal, number string) (int64, error) {
	var id int64
	err := r.DB.Read.QueryRowContext(ctx, `SELECT id FROM reports WHERE number = $1`, strings.TrimSpace(number)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apperr.ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	if _, err := r.load(ctx, r.DB.Read, p, id, org.ClueRead); err != nil {
		return 0, err
	}
	return id, nil
}

// File opens a file of a report for staff who may read it (audited).
func (r *Reports) File(ctx context.Context, p *org.Principal, id, fileID int64) (File, []byte, error) {
	l, err := r.load(ctx, r.DB.Read, p, id, org.ClueRead)
	if err != nil {
		return File{}, nil, err
	}
	f, data, err := r.openFile(ctx, l.ID, l.receipt, l.wrapped, fileID)
	if err != nil {
		return f, nil, err
	}
	err = audit.Record(ctx, r.DB, audit.Event{Actor: p.Actor(), Action: "report.file_read", ObjectType: "report",
		ObjectID: l.Number, UnitID: l.handlingID, Detail: map[string]any{"file": fileID}})
	return f, data, err
}

// Filter selects reports in a list.
type Filter struct {
	Status  string // a Status, "open" (everything not finished) or ""
	Unit    string // a handling unit's subtree, by code
	Late    bool   // only missed timers
	Page    int
	PerPage int
}

// recusalSQL hides from p every report naming p, or naming someone in a unit p
// leads: the list counterpart of org.Recused.
func recusalSQL(p *org.Principal, arg func(any) string) string {
	cond := []string{"n.user_id = " + arg(p.UserID)}
	for _, s := range org.LeadScopes(p) {
		cond = append(cond, store.Subtree("n.unit_path", s, arg))
	}
	return ` AND NOT EXISTS (SELECT 1 FROM report_named n WHERE n.report_id = r.id AND (` + strings.Join(cond, " OR ") + `))`
}

// AuditRecusal is the audit trail's counterpart of recusalSQL: the entries
// about a report (object type "report", object id its number) that p is
// recused from, as an audit.Filter.Hide condition. Without it the trail (and
// the 工作台's latest entries) would show a named person the number of the
// lead against them.
func AuditRecusal(p *org.Principal) func(arg func(any) string) string {
	return func(arg func(any) string) string {
		cond := []string{"n.user_id = " + arg(p.UserID)}
		for _, s := range org.LeadScopes(p) {
			cond = append(cond, store.Subtree("n.unit_path", s, arg))
		}
		return `a.object_type = 'report' AND EXISTS (SELECT 1 FROM reports r JOIN report_named n ON n.report_id = r.id
			WHERE r.number = a.object_id AND (` + strings.Join(cond, " OR ") + `))`
	}
}

// scopeSQL restricts to the handling units p may perform a in, and applies recusal.
func scopeSQL(p *org.Principal, a org.Action, arg func(any) string) (string, bool) {
	scopes := org.ScopePaths(p, a)
	if len(scopes) == 0 {
		return "", false
	}
	var or []string
	for _, s := range scopes {
		or = append(or, store.Subtree("h.path", s, arg))
	}
	return "(" + strings.Join(or, " OR ") + ")" + recusalSQL(p, arg), true
}

// List returns a page of the reports p may see, newest first, and the total.
func (r *Reports) List(ctx context.Context, p *org.Principal, f Filter) ([]Lead, int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where, ok := scopeSQL(p, org.ClueRead, arg)
	if !ok {
		return nil, 0, nil
	}
	today := calendar.FormatDay(r.today())
	switch f.Status {
	case "":
	case "open":
		where += ` AND r.status IN ('received', 'registered', 'investigating', 'pending_prior')`
	default:
		if !slices.Contains(Statuses, Status(f.Status)) {
			return nil, 0, apperr.Invalidf("status", "err.report.status")
		}
		where += ` AND r.status = ` + arg(f.Status)
	}
	if f.Unit != "" {
		u, err := org.UnitByCode(ctx, r.DB.Read, f.Unit)
		if err != nil {
			return nil, 0, apperr.Invalidf("unit", "err.report.unit_code.unknown", f.Unit)
		}
		where += " AND " + store.Subtree("h.path", u.Path, arg)
	}
	if f.Late {
		t := arg(today)
		where += ` AND ((r.status = 'received' AND r.ack_due < ` + t + `) OR (r.real_name = 1 AND r.feedback_at IS NULL AND r.feedback_due < ` + t + `))`
	}
	var total int
	if err := r.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*)`+leadFrom+` WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	per := f.PerPage
	if per <= 0 || per > 200 {
		per = 50
	}
	page := max(f.Page, 1)
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT `+leadCols+leadFrom+` WHERE `+where+
		` ORDER BY r.id DESC LIMIT `+strconv.Itoa(per)+` OFFSET `+strconv.Itoa((page-1)*per), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Lead
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, 0, err
		}
		l.late(today)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		if err := r.open(&out[i]); err != nil {
			return nil, 0, err
		}
		out[i].Content = ""
	}
	return out, total, nil
}

// act runs one step on a report inside a transaction: load for p with a,
// check, write, and record the audit entry.
func (r *Reports) act(ctx context.Context, p *org.Principal, id int64, a org.Action, action string,
	fn func(tx *sql.Tx, l *Lead) (map[string]any, error)) error {
	return r.DB.Tx(ctx, func(tx *sql.Tx) error {
		l, err := r.load(ctx, tx, p, id, a)
		if err != nil {
			return err
		}
		detail, err := fn(tx, &l)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET updated_at = $1 WHERE id = $2`, r.now().UnixMilli(), id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: action, ObjectType: "report",
			ObjectID: l.Number, UnitID: l.handlingID, Detail: detail})
		return err
	})
}

func wrongState(l *Lead) error {
	return apperr.New(apperr.Conflict, "wrong_state", "", "err.report.state", l.Number)
}

func note(field, v string, required bool) (string, error) {
	v = clean(v)
	if required && v == "" {
		return "", apperr.Invalidf(field, "err.report.note.required")
	}
	if utf8.RuneCountInString(v) > MaxMessage {
		return "", apperr.Invalidf(field, "err.report.too_long", MaxMessage)
	}
	return v, nil
}

// ack marks the report acknowledged (受理) if it was not yet.
func (r *Reports) ack(ctx context.Context, tx *sql.Tx, p *org.Principal, l *Lead) error {
	if l.AckedAt != 0 {
		return nil
	}
	now := r.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET acked_at = $1, acked_by = $2 WHERE id = $3`, now, p.UserID, l.ID); err != nil {
		return err
	}
	_, err := r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "accepted", Stage: "accepted", Public: true, Actor: p.UserID})
	l.AckedAt = now
	return err
}

// Register accepts a report as a lead (登记为线索): the conclusion timer starts.
func (r *Reports) Register(ctx context.Context, p *org.Principal, id int64, text string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.register", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Received {
			return nil, wrongState(l)
		}
		n, err := note("note", text, false)
		if err != nil {
			return nil, err
		}
		if err := r.ack(ctx, tx, p, l); err != nil {
			return nil, err
		}
		due, err := r.due(ctx, concludeDays)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, conclude_due = $2 WHERE id = $3`,
			string(Registered), due, l.ID); err != nil {
			return nil, err
		}
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "registered", Actor: p.UserID, Note: n})
		return map[string]any{"status": string(Registered)}, err
	})
}

// AssignInput is a 分办: the unit to investigate (empty: the handling
// unit), the people the lead names, the category where the handler
// corrects it (empty: unchanged) and a note.
type AssignInput struct {
	UnitCode string
	Named    []string
	Category string
	Note     string
}

// Assign routes a lead (分办) to the unit that must investigate it, and records
// the people it names (they and their unit's leaders are recused at once).
// The unit must be in p's handling scope; a lead naming that unit's leader
// goes one level up instead. A corrected category is recorded on the
// timeline; the routing models learn the lead's category and unit as
// assigned, so a correction teaches them.
func (r *Reports) Assign(ctx context.Context, p *org.Principal, id int64, in AssignInput) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.assign", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Registered && l.Status != Investigating && l.Status != Received {
			return nil, wrongState(l)
		}
		n, err := note("note", in.Note, false)
		if err != nil {
			return nil, err
		}
		category := strings.TrimSpace(in.Category)
		if category != "" && !validCategory(category) {
			return nil, apperr.Invalidf("category", "err.report.category")
		}
		for _, name := range in.Named {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			var nm org.Named
			err := tx.QueryRowContext(ctx, `SELECT u.id, un.path FROM users u JOIN units un ON un.id = u.unit_id
				WHERE u.username = $1`, name).Scan(&nm.UserID, &nm.UnitPath)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, apperr.Invalidf("named_usernames", "err.report.named.unknown", name)
			}
			if err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_named (report_id, user_id, unit_path) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, l.ID, nm.UserID, nm.UnitPath); err != nil {
				return nil, err
			}
		}
		target := l.HandlingCode
		if c := strings.TrimSpace(in.UnitCode); c != "" {
			target = c
		}
		u, err := org.UnitByCode(ctx, tx, target)
		if err != nil || u.Closed || !org.Can(p, org.ClueHandle, u.Path) {
			return nil, apperr.Invalidf("unit_code", "err.report.assign.unit", target)
		}
		named, _, err := namedOf(ctx, tx, l.ID)
		if err != nil {
			return nil, err
		}
		if u, err = recuseLeaders(ctx, tx, u, named); err != nil {
			return nil, err
		}
		// The one who assigns may not name himself out of the case silently:
		// if he is now recused, the assignment still lands, and he loses sight of it.
		if err := r.ack(ctx, tx, p, l); err != nil {
			return nil, err
		}
		status := l.Status
		if status == Received {
			status = Registered
			due, err := r.due(ctx, concludeDays)
			if err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET conclude_due = $1 WHERE id = $2`, due, l.ID); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET handling_unit_id = $1, status = $2 WHERE id = $3`,
			u.ID, string(status), l.ID); err != nil {
			return nil, err
		}
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "assigned", Stage: "assigned", Public: true,
			Actor: p.UserID, Detail: u.Code})
		if err != nil {
			return nil, err
		}
		detail := map[string]any{"unit": u.Code, "named": len(named)}
		if category != "" && category != l.Category {
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET category = $1 WHERE id = $2`, category, l.ID); err != nil {
				return nil, err
			}
			// codes only in the clear detail: the old category, then the new
			if _, err := r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "recategorized", Actor: p.UserID,
				Detail: l.Category + " " + category}); err != nil {
				return nil, err
			}
			detail["category"], detail["category_was"] = category, l.Category
		}
		if n != "" {
			_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "note", Actor: p.UserID, Note: n})
		}
		return detail, err
	})
}

// Transfer hands a report to another unit (转办) with a reason; it lands in
// that unit's intake queue with a fresh acknowledgement timer.
func (r *Reports) Transfer(ctx context.Context, p *org.Principal, id int64, unitCode, reason string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.transfer", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Received && l.Status != Registered {
			return nil, wrongState(l)
		}
		why, err := note("reason", reason, true)
		if err != nil {
			return nil, err
		}
		u, err := org.UnitByCode(ctx, tx, strings.TrimSpace(unitCode))
		if err != nil || u.Closed {
			return nil, apperr.Invalidf("unit_code", "err.report.unit_code.unknown", unitCode)
		}
		if u.ID == l.handlingID {
			return nil, apperr.Invalidf("unit_code", "err.report.transfer.same")
		}
		named, _, err := namedOf(ctx, tx, l.ID)
		if err != nil {
			return nil, err
		}
		if u, err = recuseLeaders(ctx, tx, u, named); err != nil {
			return nil, err
		}
		due, err := r.due(ctx, ackDays)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET handling_unit_id = $1, status = $2, ack_due = $3,
			acked_at = NULL, acked_by = NULL, conclude_due = NULL WHERE id = $4`, u.ID, string(Received), due, l.ID); err != nil {
			return nil, err
		}
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "transferred", Stage: "assigned", Public: true,
			Actor: p.UserID, Note: why, Detail: u.Code})
		return map[string]any{"to": u.Code}, err
	})
}

// AnswerInput answers a report that is not a lead (a suggestion, or a problem
// in the organs' work): a reply to the reporter and, optionally, a ledger item.
type AnswerInput struct {
	Reply   string // to the reporter
	Problem bool   // create a linked ledger item (draft) in the reported unit
}

// Answer closes a report as a non-lead. With in.Problem it creates, in the same
// transaction, a draft ledger item (source citizen_report) linked to the
// report, for the reported unit to complete with the 三定.
func (r *Reports) Answer(ctx context.Context, p *org.Principal, l *ledger.Ledger, id int64, in AnswerInput) (int64, error) {
	var problemID int64
	err := r.act(ctx, p, id, org.ClueHandle, "report.answer", func(tx *sql.Tx, lead *Lead) (map[string]any, error) {
		if lead.Status != Received && lead.Status != Registered {
			return nil, wrongState(lead)
		}
		reply, err := note("reply", in.Reply, true)
		if err != nil {
			return nil, err
		}
		if err := r.ack(ctx, tx, p, lead); err != nil {
			return nil, err
		}
		if in.Problem {
			if err := r.open(lead); err != nil {
				return nil, err
			}
			pr, err := l.CreateLinked(ctx, tx, p, ledger.Input{Title: lead.Subject, Description: reply,
				Source: "citizen_report", Class: "deadline", UnitCode: lead.UnitCode, Draft: true,
				OriginType: "report", OriginRef: lead.Number})
			if err != nil {
				return nil, err
			}
			problemID = pr.ID
		}
		today := calendar.FormatDay(r.today())
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, problem_id = $2, concluded_at = $3, concluded_on = $4,
			feedback_at = $3 WHERE id = $5`, string(Answered), nullID(problemID), r.now().UnixMilli(), today, lead.ID); err != nil {
			return nil, err
		}
		_, err = r.addEvent(ctx, tx, lead.ID, lead.receipt, lead.wrapped, event{Kind: "answered", Stage: "feedback",
			Public: true, Actor: p.UserID, Note: reply})
		return map[string]any{"problem": problemID}, err
	})
	return problemID, err
}

// Merge files a report into an existing lead about the same matter (并案):
// it follows that lead from now on and is concluded with it.
func (r *Reports) Merge(ctx context.Context, p *org.Principal, id int64, into string, text string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.merge", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Received && l.Status != Registered {
			return nil, wrongState(l)
		}
		var intoID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM reports WHERE number = $1`, strings.TrimSpace(into)).Scan(&intoID)
		if errors.Is(err, sql.ErrNoRows) || intoID == l.ID {
			return nil, apperr.Invalidf("into", "err.report.merge.target", into)
		}
		if err != nil {
			return nil, err
		}
		target, err := r.load(ctx, tx, p, intoID, org.ClueHandle)
		if err != nil {
			return nil, apperr.Invalidf("into", "err.report.merge.target", into)
		}
		if target.Status != Registered && target.Status != Investigating {
			return nil, apperr.Invalidf("into", "err.report.merge.not_lead", into)
		}
		n, err := note("note", text, false)
		if err != nil {
			return nil, err
		}
		if err := r.ack(ctx, tx, p, l); err != nil {
			return nil, err
		}
		// The merged report's named people are recused from the lead too.
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_named (report_id, user_id, unit_path)
			SELECT $1, user_id, unit_path FROM report_named WHERE report_id = $2 ON CONFLICT DO NOTHING`, intoID, l.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, merged_into = $2, handling_unit_id = $3 WHERE id = $4`,
			string(Merged), intoID, target.handlingID, l.ID); err != nil {
			return nil, err
		}
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "merged", Stage: "assigned", Public: true,
			Actor: p.UserID, Note: n, Detail: target.Number})
		return map[string]any{"into": target.Number}, err
	})
}

// SetMethod records the handling method (处置方式) and starts the verification (核查).
func (r *Reports) SetMethod(ctx context.Context, p *org.Principal, id int64, method, text string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.method", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Registered && l.Status != Investigating {
			return nil, wrongState(l)
		}
		if !slices.Contains(Methods, method) {
			return nil, apperr.Invalidf("method", "err.report.method")
		}
		n, err := note("note", text, false)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, method = $2 WHERE id = $3`,
			string(Investigating), method, l.ID); err != nil {
			return nil, err
		}
		stage := ""
		if l.Status == Registered {
			stage = "investigating"
		}
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "method", Stage: stage, Public: stage != "",
			Actor: p.UserID, Note: n, Detail: method})
		return map[string]any{"method": method}, err
	})
}

// Record adds an investigation record (核查记录) with files.
func (r *Reports) Record(ctx context.Context, p *org.Principal, id int64, text string, files []Upload) error {
	cleaned, err := r.cleanFiles(files)
	if err != nil {
		return err
	}
	return r.act(ctx, p, id, org.ClueHandle, "report.record", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Investigating {
			return nil, wrongState(l)
		}
		n, err := note("note", text, true)
		if err != nil {
			return nil, err
		}
		eid, err := r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "record", Actor: p.UserID, Note: n})
		if err != nil {
			return nil, err
		}
		for _, f := range cleaned {
			if err := r.writeSealed(ctx, tx, l.wrapped, l.receipt, l.ID, eid, f); err != nil {
				return nil, err
			}
		}
		return map[string]any{"files": len(cleaned)}, nil
	})
}

// Conclusion is how a lead is concluded.
type Conclusion struct {
	Conclusion    string `json:"conclusion"`
	Form          int    `json:"form"`    // 四种形态 1..4, 0 for 了结 without sanction
	Measure       string `json:"measure"` // the measure taken, fitting the form
	Note          string `json:"note"`
	PriorCase     string `json:"prior_case"`     // for prior_handled: the earlier case number
	PublicOutcome string `json:"public_outcome"` // optional: an anonymized outcome for the transparency page
	Problem       bool   `json:"problem"`        // spawn a ledger item for the systemic fix (substantiated only)
}

// CheckConclusion validates a conclusion on its own (pure).
func CheckConclusion(c Conclusion) error {
	if !slices.Contains(Conclusions, c.Conclusion) {
		return apperr.Invalidf("conclusion", "err.report.conclusion")
	}
	if c.Form < 0 || c.Form > 4 {
		return apperr.Invalidf("form", "err.report.form")
	}
	if c.Form > 0 {
		if !Substantiated(c.Conclusion) {
			return apperr.Invalidf("form", "err.report.form.unsubstantiated")
		}
		if !slices.Contains(Measures[c.Form], c.Measure) {
			return apperr.Invalidf("measure", "err.report.measure")
		}
	} else if c.Measure != "" {
		return apperr.Invalidf("measure", "err.report.measure")
	}
	if c.Conclusion == "prior_handled" && (strings.TrimSpace(c.PriorCase) == "" || strings.TrimSpace(c.Note) == "") {
		return apperr.Invalidf("prior_case", "err.report.prior.required")
	}
	if c.Problem && !Substantiated(c.Conclusion) {
		return apperr.Invalidf("problem", "err.report.problem.unsubstantiated")
	}
	if utf8.RuneCountInString(c.PublicOutcome) > MaxShort*2 || utf8.RuneCountInString(c.PriorCase) > MaxShort {
		return apperr.Invalidf("public_outcome", "err.report.too_long", MaxShort*2)
	}
	return nil
}

// Conclude records the conclusion and disposition. It needs an investigation
// record. A conclusion of "already investigated" (已查过) waits for a second
// approver (Approve) instead of concluding.
func (r *Reports) Conclude(ctx context.Context, p *org.Principal, l *ledger.Ledger, id int64, c Conclusion) error {
	c.Note, c.PriorCase, c.PublicOutcome, c.Measure = clean(c.Note), clean(c.PriorCase), clean(c.PublicOutcome), clean(c.Measure)
	if err := CheckConclusion(c); err != nil {
		return err
	}
	if _, err := note("note", c.Note, false); err != nil {
		return err
	}
	return r.act(ctx, p, id, org.ClueHandle, "report.conclude", func(tx *sql.Tx, lead *Lead) (map[string]any, error) {
		if lead.Status != Investigating {
			return nil, wrongState(lead)
		}
		var records int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM report_events WHERE report_id = $1 AND kind = 'record'`,
			lead.ID).Scan(&records); err != nil {
			return nil, err
		}
		if records == 0 {
			return nil, apperr.Invalidf("note", "err.report.record.required")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET conclusion = $1, form = $2, measure = $3, prior_case = $4,
			public_outcome = $5 WHERE id = $6`, c.Conclusion, c.Form, c.Measure, c.PriorCase, c.PublicOutcome, lead.ID); err != nil {
			return nil, err
		}
		if c.Conclusion == "prior_handled" {
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, pending_by = $2 WHERE id = $3`,
				string(PendingPrior), p.UserID, lead.ID); err != nil {
				return nil, err
			}
			_, err := r.addEvent(ctx, tx, lead.ID, lead.receipt, lead.wrapped, event{Kind: "prior_requested", Actor: p.UserID,
				Note: c.Note, Detail: c.PriorCase})
			return map[string]any{"conclusion": c.Conclusion, "prior_case": c.PriorCase}, err
		}
		if err := r.finish(ctx, tx, p, l, lead, c); err != nil {
			return nil, err
		}
		return map[string]any{"conclusion": c.Conclusion, "form": c.Form, "measure": c.Measure}, nil
	})
}

// finish concludes a lead (and every report merged into it).
func (r *Reports) finish(ctx context.Context, tx *sql.Tx, p *org.Principal, l *ledger.Ledger, lead *Lead, c Conclusion) error {
	today := r.today()
	fbDue, err := r.due(ctx, feedbackDays)
	if err != nil {
		return err
	}
	now := r.now().UnixMilli()
	var problemID int64
	if c.Problem && l != nil {
		if err := r.open(lead); err != nil {
			return err
		}
		pr, err := l.CreateLinked(ctx, tx, p, ledger.Input{Title: lead.Subject, Source: "clue", Class: "deadline",
			UnitCode: lead.UnitCode, Draft: true, OriginType: "report", OriginRef: lead.Number})
		if err != nil {
			return err
		}
		problemID = pr.ID
	}
	ids := []int64{lead.ID}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM reports WHERE merged_into = $1`, lead.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, concluded_at = $2, concluded_on = $3,
			feedback_due = CASE WHEN real_name = 1 THEN $4 ELSE NULL END, conclusion = $5, form = $6, measure = $7,
			problem_id = COALESCE($8, problem_id), pending_by = NULL WHERE id = $9`,
			string(Concluded), now, calendar.FormatDay(today), fbDue, c.Conclusion, c.Form, c.Measure,
			nullID(problemID), id); err != nil {
			return err
		}
		var receipt string
		var wrapped []byte
		if i == 0 {
			receipt, wrapped = lead.receipt, lead.wrapped
		} else if err := tx.QueryRowContext(ctx, `SELECT receipt, wrapped_key FROM reports WHERE id = $1`, id).Scan(&receipt, &wrapped); err != nil {
			return err
		}
		if _, err := r.addEvent(ctx, tx, id, receipt, wrapped, event{Kind: "concluded", Stage: "concluded", Public: true,
			Actor: p.UserID, Note: c.Note, Detail: c.Conclusion}); err != nil {
			return err
		}
	}
	return nil
}

// Approve decides a pending "already investigated" conclusion: a second
// approver, never the one who proposed it, agrees (the lead is concluded) or
// sends it back to verification.
func (r *Reports) Approve(ctx context.Context, p *org.Principal, l *ledger.Ledger, id int64, approve bool, text string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.prior_decide", func(tx *sql.Tx, lead *Lead) (map[string]any, error) {
		if lead.Status != PendingPrior {
			return nil, wrongState(lead)
		}
		if lead.PendingBy == p.UserID {
			return nil, apperr.New(apperr.Forbidden, "second_approver", "approve", "err.report.prior.self")
		}
		n, err := note("note", text, !approve)
		if err != nil {
			return nil, err
		}
		if approve {
			c := Conclusion{Conclusion: lead.Conclusion, PriorCase: lead.PriorCase, Note: n}
			if err := r.finish(ctx, tx, p, l, lead, c); err != nil {
				return nil, err
			}
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET status = $1, pending_by = NULL, conclusion = '', prior_case = ''
				WHERE id = $2`, string(Investigating), lead.ID); err != nil {
				return nil, err
			}
			if _, err := r.addEvent(ctx, tx, lead.ID, lead.receipt, lead.wrapped, event{Kind: "prior_refused", Actor: p.UserID, Note: n}); err != nil {
				return nil, err
			}
		}
		return map[string]any{"approve": approve}, nil
	})
}

// Feedback records the result given to the reporter (反馈): shown on the
// reporter's page; for a real-name reporter it also stops the feedback timer.
func (r *Reports) Feedback(ctx context.Context, p *org.Principal, id int64, text string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.feedback", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status != Concluded {
			return nil, wrongState(l)
		}
		n, err := note("note", text, true)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET feedback_at = $1 WHERE id = $2`, r.now().UnixMilli(), l.ID); err != nil {
			return nil, err
		}
		late := l.FeedbackLate
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "feedback", Stage: "feedback", Public: true,
			Actor: p.UserID, Note: n})
		return map[string]any{"late": late}, err
	})
}

// Message sends the reporter a message (a question, a request for more information).
func (r *Reports) Message(ctx context.Context, p *org.Principal, id int64, text string) error {
	return r.act(ctx, p, id, org.ClueHandle, "report.message", func(tx *sql.Tx, l *Lead) (map[string]any, error) {
		if l.Status == Merged {
			return nil, wrongState(l)
		}
		n, err := note("message", text, true)
		if err != nil {
			return nil, err
		}
		_, err = r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "handler_message", Public: true, Actor: p.UserID, Note: n})
		return nil, err
	})
}

// RevealIdentity opens a real-name reporter's identity for a discipline user
// who states why. The reveal is in the audit trail and on the lead's own
// timeline, for oversight.
func (r *Reports) RevealIdentity(ctx context.Context, p *org.Principal, id int64, reason string) (*Identity, error) {
	reason = clean(reason)
	if utf8.RuneCountInString(reason) < 4 {
		return nil, apperr.Invalidf("reason", "err.report.reveal.reason")
	}
	if utf8.RuneCountInString(reason) > MaxShort {
		return nil, apperr.Invalidf("reason", "err.report.too_long", MaxShort)
	}
	var ident *Identity
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		l, err := r.load(ctx, tx, p, id, org.ClueReveal)
		if err != nil {
			return err
		}
		var sealed []byte
		if err := tx.QueryRowContext(ctx, `SELECT identity FROM reports WHERE id = $1`, l.ID).Scan(&sealed); err != nil {
			return err
		}
		if len(sealed) == 0 {
			return apperr.New(apperr.NotFound, "anonymous", "", "err.report.anonymous")
		}
		ident = &Identity{}
		if err := r.openJSON(l.wrapped, sealed, l.receipt, "identity", ident); err != nil {
			return err
		}
		if _, err := r.addEvent(ctx, tx, l.ID, l.receipt, l.wrapped, event{Kind: "identity_revealed", Actor: p.UserID, Note: reason}); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "report.identity_read", ObjectType: "report",
			ObjectID: l.Number, UnitID: l.handlingID, Detail: map[string]any{"reason": reason}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return ident, nil
}
