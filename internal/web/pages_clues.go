package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/search"
)

// Lead handling (线索处置) for discipline staff: the intake queue, a lead's
// page with the steps its state allows, and the figures of the subtree.

type cluesData struct {
	Items   []report.Lead
	Status  string
	Late    bool
	Metrics report.Metrics
	Pager   pager
}

func (s *Server) cluesPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.ClueRead) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" && !q.Has("status") {
		status = "open"
	}
	late := q.Get("late") == "1"
	unit := strings.TrimSpace(q.Get("unit"))
	off := pageOffset(r)
	pg := s.newPage(r, "ui.clues.title", "clues")
	items, total, err := s.Reports.List(r.Context(), p, report.Filter{Status: status, Late: late, Unit: unit, Page: off/pageSize + 1, PerPage: pageSize})
	var m report.Metrics
	if err == nil {
		m, err = s.Reports.Metrics(r.Context(), p, unit)
	}
	st := http.StatusOK
	if e := apperr.As(err); e != nil && e.Kind == apperr.Invalid {
		// an unknown unit in the filter: say so on the filter, show nothing
		st = s.formError(r, pg, "filter", err)
		items, total, err = nil, 0, nil
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	if q.Get("done") == "moved" {
		pg.Flash = pg.T("msg.clue.moved")
	}
	pg.Vals.Set("unit", unit)
	pg.D = cluesData{Items: items, Status: status, Late: late, Metrics: m, Pager: newPager(r, off-off%pageSize, len(items), total)}
	s.render(w, r, st, "clues", pg)
}

func clueID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

type clueData struct {
	L         report.Lead
	Similar   []report.Match // earlier reports that look like the same matter
	CanHandle bool
	CanReveal bool
	Identity  *report.Identity
	Forms     []int
	Routing   *search.Suggestion // 智能分办 (pages_search.go)
	Reply     *replyCheck        // 答复质量 hints on one form's text (pages_reply.go)
}

func (s *Server) showClue(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, id int64, status int) {
	l, err := s.Reports.Get(r.Context(), p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d := clueData{L: l, Forms: []int{1, 2, 3, 4}}
	if l.Status == report.Received || l.Status == report.Registered {
		if d.Similar, err = s.Reports.Similar(r.Context(), p, id, 5); err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	d.Routing = s.routingHint(r, p, l)
	if prev, ok := pg.D.(*report.Identity); ok {
		d.Identity = prev
	}
	if rc, ok := pg.D.(*replyCheck); ok {
		d.Reply = rc
	}
	d.CanHandle = true // Get succeeded with ClueRead; the steps check ClueHandle themselves
	d.CanReveal = org.CanAnywhere(p, org.ClueReveal) && l.RealName
	pg.Title = l.Number
	pg.D = d
	s.render(w, r, status, "clue", pg)
}

func (s *Server) cluePage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := clueID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	pg := s.newPage(r, "ui.clues.title", "clues")
	if k := r.URL.Query().Get("done"); k != "" {
		if msg, ok := clueFlash[k]; ok {
			pg.Flash = pg.T(msg)
		}
	}
	s.showClue(w, r, p, pg, id, http.StatusOK)
}

func (s *Server) clueFile(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := clueID(r)
	fid, err := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if !ok || err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	f, data, err := s.Reports.File(r.Context(), p, id, fid)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	sendFile(w, f, data)
}

// clueFlash maps a finished step to its success message.
var clueFlash = map[string]string{
	"register": "msg.clue.registered", "assign": "msg.clue.assigned", "transfer": "msg.clue.transferred",
	"answer": "msg.clue.answered", "merge": "msg.clue.merged", "method": "msg.clue.method",
	"record": "msg.clue.recorded", "conclude": "msg.clue.concluded", "approve": "msg.clue.approved",
	"feedback": "msg.clue.feedback", "message": "msg.clue.message",
}

// clueAct runs one step from the lead's page. The reveal of the reporter's
// identity renders the page with the identity instead of redirecting, so the
// identity is never in a URL or a cache.
func (s *Server) clueAct(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := clueID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	action := r.PathValue("action")
	vals, files, err := readPublicForm(w, r)
	pg := s.newPage(r, "ui.clues.title", "clues")
	if err == nil {
		ctx := r.Context()
		f := vals.Get
		switch action {
		case "register":
			err = s.Reports.Register(ctx, p, id, f("note"))
		case "assign":
			err = s.Reports.Assign(ctx, p, id, report.AssignInput{UnitCode: f("unit_code"), Category: f("category"), Note: f("note"),
				Named: strings.FieldsFunc(f("named_usernames"), func(c rune) bool {
					return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '、'
				})})
		case "transfer":
			err = s.Reports.Transfer(ctx, p, id, f("unit_code"), f("reason"))
		case "answer":
			_, err = s.Reports.Answer(ctx, p, s.Ledger, id, report.AnswerInput{Reply: f("reply"), Problem: f("problem") == "1"})
		case "merge":
			err = s.Reports.Merge(ctx, p, id, f("into"), f("note"))
		case "method":
			err = s.Reports.SetMethod(ctx, p, id, f("method"), f("note"))
		case "record":
			err = s.Reports.Record(ctx, p, id, f("note"), files)
		case "conclude":
			form, _ := strconv.Atoi(f("form"))
			err = s.Reports.Conclude(ctx, p, s.Ledger, id, report.Conclusion{Conclusion: f("conclusion"), Form: form,
				Measure: f("measure"), Note: f("note"), PriorCase: f("prior_case"), PublicOutcome: f("public_outcome"),
				Problem: f("problem") == "1"})
		case "approve":
			err = s.Reports.Approve(ctx, p, s.Ledger, id, f("decision") == "approve", f("note"))
		case "feedback":
			err = s.Reports.Feedback(ctx, p, id, f("note"))
		case "message":
			err = s.Reports.Message(ctx, p, id, f("message"))
		case "identity":
			var ident *report.Identity
			if ident, err = s.Reports.RevealIdentity(ctx, p, id, f("reason")); err == nil {
				privateAnswer(w)
				pg.D = ident
				s.showClue(w, r, p, pg, id, http.StatusOK)
				return
			}
		default:
			s.errorPage(w, r, http.StatusNotFound)
			return
		}
		if err == nil {
			if !s.Reports.Visible(ctx, p, id) {
				redirect(w, r, "/clues?done=moved")
				return
			}
			redirect(w, r, "/clues/"+strconv.FormatInt(id, 10)+"?done="+action)
			return
		}
	}
	if e := apperr.As(err); e != nil && (e.Kind == apperr.NotFound || e.Kind == apperr.Unauthorized) {
		s.hardError(w, r, err)
		return
	}
	if vals != nil {
		pg.Vals = vals
	}
	st := s.formError(r, pg, action, err)
	s.showClue(w, r, p, pg, id, st)
}

func (s *Server) selfReportForm(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.self.title", "self")
	s.render(w, r, http.StatusOK, "self_report", pg)
}

func (s *Server) selfReportSubmit(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	privateAnswer(w)
	pg := s.newPage(r, "ui.self.title", "self")
	vals, files, err := readPublicForm(w, r)
	if err == nil {
		in := inputFrom(vals)
		if in.UnitCode == "" {
			in.UnitCode = p.UnitCode
		}
		var rc report.Receipt
		if rc, err = s.Reports.SelfReport(r.Context(), p, in, files); err == nil {
			pg.Title = pg.T("ui.report.done_title")
			pg.D = struct{ Receipt, Key, RawReceipt, RawKey string }{report.FormatReceipt(rc.Receipt), report.FormatKey(rc.Key), rc.Receipt, rc.Key}
			s.render(w, r, http.StatusCreated, "report_done", pg)
			return
		}
	}
	if vals != nil {
		pg.Vals = vals
	}
	st := s.formError(r, pg, "report", err)
	s.render(w, r, st, "self_report", pg)
}

func init() { todoSources = append(todoSources, clueTodos) }

// clueTodos: the reports waiting for a discipline officer.
func clueTodos(ctx context.Context, s *Server, pg *page, p *org.Principal) ([]Todo, error) {
	if !org.CanAnywhere(p, org.ClueHandle) {
		return nil, nil
	}
	q, err := s.Reports.QueueOf(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []Todo
	if q.ToAccept > 0 {
		level := "info"
		if q.AckLate > 0 {
			level = "warn"
		}
		out = append(out, Todo{Level: level, Title: pg.T("ui.todo.clues_accept", q.ToAccept),
			Body: pg.T("ui.todo.clues_accept_body", q.AckLate), Link: "/clues?status=received", Label: pg.T("ui.todo.clues_link")})
	}
	if q.ToApprove > 0 {
		out = append(out, Todo{Level: "info", Title: pg.T("ui.todo.clues_approve", q.ToApprove),
			Body: pg.T("ui.todo.clues_approve_body"), Link: "/clues?status=pending_prior", Label: pg.T("ui.todo.clues_link")})
	}
	if q.FeedbackLate > 0 {
		out = append(out, Todo{Level: "warn", Title: pg.T("ui.todo.clues_feedback", q.FeedbackLate),
			Body: pg.T("ui.todo.clues_feedback_body"), Link: "/clues?status=concluded&late=1", Label: pg.T("ui.todo.clues_link")})
	}
	return out, nil
}
