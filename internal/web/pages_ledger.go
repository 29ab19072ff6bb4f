package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// The staff pages of the problem ledger (问题台账): the filtered list with
// saved filters, the create and draft-edit form, the item page with its
// timeline and the action forms the reader may use now, evidence downloads
// and the printable 督办单. Every rule is the ledger's; these handlers only
// translate forms into its calls.

func (s *Server) registerLedgerPages() {
	s.handle("GET /problems", s.full(s.problemsPage))
	s.handle("GET /problems/new", s.full(s.problemNewPage))
	s.handle("POST /problems", s.full(s.problemCreate))
	s.handle("GET /problems/people", s.full(s.problemPeople))
	s.handle("POST /problems/filters", s.full(s.problemFilterSave))
	s.handle("POST /problems/filters/{fid}/delete", s.full(s.problemFilterDelete))
	s.handle("GET /problems/{id}", s.full(s.problemPage))
	s.handle("GET /problems/{id}/edit", s.full(s.problemEditPage))
	s.handle("POST /problems/{id}/edit", s.full(s.problemUpdate))
	s.handle("GET /problems/{id}/notice", s.full(s.problemNotice))
	s.handle("GET /problems/{id}/files/{aid}", s.full(s.problemFile))
	s.handle("POST /problems/{id}/submit", s.full(s.problemAct("submit", s.actSubmit)))
	s.handle("POST /problems/{id}/progress", s.full(s.problemAct("progress", s.actProgress)))
	s.handle("POST /problems/{id}/close", s.full(s.problemAct("close", s.actClose)))
	s.handle("POST /problems/{id}/verify", s.full(s.problemAct("verify", s.actVerify)))
	s.handle("POST /problems/{id}/review", s.full(s.problemAct("review", s.actReview)))
	s.handle("POST /problems/{id}/extension", s.full(s.problemAct("extension", s.actExtension)))
	s.handle("POST /problems/{id}/extension/decide", s.full(s.problemAct("extension_decide", s.actExtensionDecide)))
	s.handle("POST /problems/{id}/supervise", s.full(s.problemAct("supervise", s.actSupervise)))
	s.handle("POST /problems/{id}/unsupervise", s.full(s.problemAct("unsupervise", s.actUnsupervise)))
	s.registerLedgerFilePages()
}

func init() {
	for k, v := range map[string]string{
		"problem_created":     "msg.problem.created",
		"problem_saved":       "msg.problem.saved",
		"problem_submitted":   "msg.problem.submitted",
		"problem_progress":    "msg.problem.progress",
		"problem_close":       "msg.problem.close_requested",
		"problem_approved":    "msg.problem.approved",
		"problem_rejected":    "msg.problem.rejected",
		"problem_reviewed":    "msg.problem.review_passed",
		"problem_recurred":    "msg.problem.review_recurred",
		"problem_ext":         "msg.problem.extension_requested",
		"problem_ext_ok":      "msg.problem.extension_approved",
		"problem_ext_refused": "msg.problem.extension_refused",
		"problem_supervised":  "msg.problem.supervised",
		"problem_lifted":      "msg.problem.supervision_lifted",
		"filter_saved":        "msg.problem.filter_saved",
		"filter_deleted":      "msg.problem.filter_deleted",
	} {
		flashMessages[k] = v
	}
}

// ---------------------------------------------------------------- labels

var (
	statusKeys = map[string]string{
		string(ledger.Draft): "ui.problem.status.draft", string(ledger.Open): "ui.problem.status.open",
		string(ledger.InProgress): "ui.problem.status.in_progress", string(ledger.Pending): "ui.problem.status.pending_verification",
		string(ledger.Closed): "ui.problem.status.closed", string(ledger.Reopened): "ui.problem.status.reopened",
		"review_due": "ui.problem.status.review_due",
	}
	classKeys = map[string]string{
		ledger.ClassImmediate: "ui.problem.class.immediate", ledger.ClassDeadline: "ui.problem.class.deadline",
		ledger.ClassLongterm: "ui.problem.class.longterm",
	}
	sourceKeys = map[string]string{
		"self_check": "ui.problem.source.self_check", "inspection": "ui.problem.source.inspection",
		"citizen_report": "ui.problem.source.citizen_report", "rating": "ui.problem.source.rating",
		"clue": "ui.problem.source.clue", "other": "ui.problem.source.other",
	}
	lightKeys = map[string]string{
		ledger.Green: "ui.problem.light.green", ledger.Yellow: "ui.problem.light.yellow", ledger.Red: "ui.problem.light.red",
	}
	severityKeys = map[string]string{
		"normal": "ui.problem.severity.normal", "serious": "ui.problem.severity.serious", "grave": "ui.problem.severity.grave",
	}
	originKeys = map[string]string{
		"report": "ui.problem.origin.report", "lead": "ui.problem.origin.lead",
		"rating": "ui.problem.origin.rating", "project": "ui.problem.origin.project",
	}
	sortKeys = map[string]string{
		"deadline": "ui.problem.sort.deadline", "-deadline": "ui.problem.sort.deadline_desc",
		"number": "ui.problem.sort.number", "-created": "ui.problem.sort.created", "light": "ui.problem.sort.light",
	}
	eventKeys = map[string]string{
		"created": "ui.problem.ev.created", "edited": "ui.problem.ev.edited", "submitted": "ui.problem.ev.submitted",
		"progress": "ui.problem.ev.progress", "close_requested": "ui.problem.ev.close_requested",
		"close_rejected": "ui.problem.ev.close_rejected", "closed": "ui.problem.ev.closed",
		"review_passed": "ui.problem.ev.review_passed", "review_recurred": "ui.problem.ev.review_recurred",
		"extension_requested": "ui.problem.ev.extension_requested", "extension_approved": "ui.problem.ev.extension_approved",
		"extension_refused": "ui.problem.ev.extension_refused", "supervised": "ui.problem.ev.supervised",
		"supervision_lifted": "ui.problem.ev.supervision_lifted",
	}
)

func (p *page) label(keys map[string]string, v string) string {
	if k, ok := keys[v]; ok {
		return p.T(k)
	}
	return v
}

// StatusName is the display name of an item status (or "review_due").
func (p *page) StatusName(s any) string { return p.label(statusKeys, toString(s)) }

// ClassName is the display name of a class (立行立改…).
func (p *page) ClassName(c string) string { return p.label(classKeys, c) }

// SourceName is the display name of a source (自查自纠…).
func (p *page) SourceName(s string) string { return p.label(sourceKeys, s) }

// LightName is the display name of a light (红灯…).
func (p *page) LightName(l string) string { return p.label(lightKeys, l) }

// SeverityName is the display name of a severity (一般…).
func (p *page) SeverityName(s string) string { return p.label(severityKeys, s) }

// OriginName is the display name of an origin record type.
func (p *page) OriginName(s string) string { return p.label(originKeys, s) }

// EventName is the display name of a timeline event.
func (p *page) EventName(k string) string { return p.label(eventKeys, k) }

func toString(v any) string {
	switch x := v.(type) {
	case ledger.Status:
		return string(x)
	case string:
		return x
	}
	return ""
}

// CanLedger: the menu offers the ledger to whoever may read it somewhere
// (responsible persons reach their items from the 工作台).
func (p *page) CanLedger() bool { return org.CanAnywhere(p.P, org.ProblemRead) }

// option is one choice of a select.
type option struct{ Value, Label string }

func (p *page) opts(values []string, keys map[string]string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{v, p.label(keys, v)}
	}
	return out
}

// StatusOpts lists the statuses for the list filter, with "look-back due".
func (p *page) StatusOpts() []option {
	var vs []string
	for _, s := range ledger.Statuses {
		vs = append(vs, string(s))
	}
	return p.opts(append(vs, "review_due", ledger.StatusActive), statusKeys)
}

// ClassOpts lists the classes.
func (p *page) ClassOpts() []option { return p.opts(ledger.Classes, classKeys) }

// SourceOpts lists the sources.
func (p *page) SourceOpts() []option { return p.opts(ledger.Sources, sourceKeys) }

// LightOpts lists the lights.
func (p *page) LightOpts() []option { return p.opts(ledger.Lights, lightKeys) }

// SeverityOpts lists the severities.
func (p *page) SeverityOpts() []option { return p.opts(ledger.Severities, severityKeys) }

// OriginOpts lists the origin record types.
func (p *page) OriginOpts() []option { return p.opts(ledger.OriginTypes, originKeys) }

// SortOpts lists the sort orders of the list.
func (p *page) SortOpts() []option { return p.opts(ledger.Sorts, sortKeys) }

// BuiltinTags are the 六大顽瘴痼疾.
func (p *page) BuiltinTags() []string { return ledger.BuiltinTags }

// IsBuiltinTag reports whether a tag is one of the 六大顽瘴痼疾.
func (p *page) IsBuiltinTag(t string) bool { return slices.Contains(ledger.BuiltinTags, t) }

// FormErr is a field's message when the error belongs to that form (the item
// page has several forms with a "note").
func (p *page) FormErr(form, field string) string {
	if p.Form != form {
		return ""
	}
	return p.Fields[field]
}

// FormVal is a submitted value kept for the form it was sent with.
func (p *page) FormVal(form, field string) string {
	if p.Form != form {
		return ""
	}
	return p.Vals.Get(field)
}

// DateType is "date" for an empty or ISO value, else "text": a hand-written
// date the ledger refused is shown as typed, next to the message.
func (p *page) DateType(v string) string {
	if v == "" || isoDay.MatchString(v) {
		return "date"
	}
	return "text"
}

var isoDay = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// FileSize writes a file size for people: 812 B, 35 KB, 4.2 MB.
func (p *page) FileSize(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatInt((n+1<<9)>>10, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

// Accepted lists the evidence file types, for accept=.
func (p *page) Accepted() string { return attach.Accepted }

// ---------------------------------------------------------------- list

// MoreFilters reports whether a secondary filter of the list is set (its
// section then starts open).
func (p *page) MoreFilters() bool {
	for _, k := range []string{"class", "source", "tag", "responsible", "deadline_from", "deadline_to", "sort", "supervised", "mine", "extension_pending",
		"created_from", "created_to", "closed_from", "closed_to", "direct"} {
		if p.Vals.Get(k) != "" || p.Fields[k] != "" {
			return true
		}
	}
	return false
}

// ListLink is the list's address for a filter's query string.
func (p *page) ListLink(query string) string {
	if query == "" {
		return "/problems"
	}
	return "/problems?" + query
}

type problemListData struct {
	Items     []ledger.Problem
	Pager     pager
	Query     string // the filter as a query string (saved filters, export)
	Export    string
	Saved     []ledger.SavedFilter
	CanCreate bool
	Filtered  bool
}

// filterFields are the list's query parameters kept on the filter form.
var filterFields = []string{"unit", "status", "light", "class", "source", "tag", "responsible", "supervised", "mine",
	"deadline_from", "deadline_to", "q", "sort", "extension_pending", "created_from", "created_to", "closed_from", "closed_to", "direct"}

func (s *Server) problemsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.problems.title", "problems")
	pg.flashFrom(r)
	s.showProblems(w, r, p, pg, http.StatusOK, r.URL.Query())
}

// showProblems renders the list for the filter in q (also after a failed
// filter save, with the error on pg).
func (s *Server) showProblems(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int, q url.Values) {
	ctx := r.Context()
	keep := pg.Vals
	pg.Vals = url.Values{}
	for _, k := range filterFields {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			pg.Vals.Set(k, v)
		}
	}
	for k, v := range keep { // values of a refused save form
		pg.Vals[k] = v
	}
	d := problemListData{CanCreate: org.CanAnywhere(p, org.ProblemWrite)}
	fq := url.Values{}
	for _, k := range filterFields {
		if v := pg.Vals.Get(k); v != "" {
			fq.Set(k, v)
		}
	}
	f, err := ledger.ParseFilter(fq)
	// paging links are the list's own, also when a refused save re-renders it
	lr := r.Clone(ctx)
	lr.URL = &url.URL{Path: "/problems", RawQuery: q.Encode()}
	off := pageOffset(lr)
	var items []ledger.Problem
	total := 0
	if err == nil {
		f.Offset, f.Limit = off, pageSize
		items, total, err = s.Ledger.List(ctx, p, f)
	}
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		// a bad filter (unknown unit or person, bad date) is shown on the filter form
		status = s.formError(r, pg, "filter", err)
		if status == http.StatusNotFound || status == http.StatusForbidden {
			status = http.StatusBadRequest
		}
	} else {
		d.Query = f.Values().Encode()
		d.Filtered = d.Query != ""
	}
	d.Items, d.Pager = items, newPager(lr, off, len(items), total)
	d.Export = "/api/v1/problems/export.xlsx"
	if d.Query != "" {
		d.Export += "?" + d.Query
	}
	if d.Saved, err = s.Ledger.SavedFilters(ctx, p); err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.D = d
	s.render(w, r, status, "problems", pg)
}

func (s *Server) problemFilterSave(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.ParseForm()
	q, _ := url.ParseQuery(r.PostFormValue("query"))
	f, err := ledger.ParseFilter(q)
	if err == nil {
		err = s.Ledger.SaveFilter(r.Context(), p, r.PostFormValue("name"), f)
	}
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.problems.title", "problems")
		pg.Vals = url.Values{"filter_name": {r.PostFormValue("name")}}
		st := s.formError(r, pg, "save_filter", err)
		s.showProblems(w, r, p, pg, st, q)
		return
	}
	target := "/problems?done=filter_saved"
	if enc := f.Values().Encode(); enc != "" {
		target = "/problems?" + enc + "&done=filter_saved"
	}
	redirect(w, r, target)
}

func (s *Server) problemFilterDelete(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, err := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	if err := s.Ledger.DeleteFilter(r.Context(), p, id); err != nil {
		s.failPage(w, r, err)
		return
	}
	redirect(w, r, "/problems?done=filter_deleted")
}

// ---------------------------------------------------------------- people picker

// problemPeople answers htmx with the people of the chosen unit (and below)
// matching what was typed in the responsible field.
func (s *Server) problemPeople(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	field := r.URL.Query().Get("field")
	if field == "" {
		field = "responsible"
	}
	q := strings.TrimSpace(r.URL.Query().Get(field))
	unit := strings.TrimSpace(r.URL.Query().Get("unit_code"))
	if unit == "" { // the list's filter names the unit field "unit"
		unit = strings.TrimSpace(r.URL.Query().Get("unit"))
	}
	pg := s.newPage(r, "ui.problems.title", "problems")
	d := struct {
		People []org.User
		Q      string
		Err    string
	}{Q: q}
	if unit == "" && q == "" {
		s.renderFragment(w, "problem_form", "people_picker", pg)
		return
	}
	users, _, err := org.ListUsers(r.Context(), s.DB, p, org.UserFilter{UnitCode: unit, Q: q, Limit: 20})
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		d.Err = pg.T("err.problem.unit_code.unknown", unit)
	}
	for _, u := range users {
		if !u.Disabled {
			d.People = append(d.People, u)
		}
	}
	pg.D = d
	s.renderFragment(w, "problem_form", "people_picker", pg)
}

// renderFragment writes one named template of a page's set, without the layout.
func (s *Server) renderFragment(w http.ResponseWriter, pageName, name string, pg *page) {
	t := pageTemplate(pg.Lang, pageName)
	var buf bytes.Buffer
	if t == nil {
		s.Log.Error("no such template", "name", pageName)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, name, pg); err != nil {
		s.Log.Error("render", "fragment", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if checkStatic != nil {
		checkStatic(pageName, name, pg)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// ---------------------------------------------------------------- create, edit

type problemFormData struct {
	Action string // where the form posts
	Edit   bool
	Item   ledger.Problem
}

func (s *Server) problemNewPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.ProblemWrite) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.problems.new", "problems")
	pg.Vals.Set("source", "self_check")
	pg.Vals.Set("class", ledger.ClassDeadline)
	pg.Vals.Set("severity", "normal")
	if org.Can(p, org.ProblemWrite, p.UnitPath) {
		pg.Vals.Set("unit_code", p.UnitCode)
	}
	if u := r.URL.Query().Get("unit"); u != "" {
		pg.Vals.Set("unit_code", u)
	}
	pg.D = problemFormData{Action: "/problems"}
	s.render(w, r, http.StatusOK, "problem_form", pg)
}

// tagSplit separates the free-text tags people type.
var tagSplit = regexp.MustCompile(`[,，、;；\s]+`)

// problemInput reads the create/edit form.
func problemInput(form url.Values) ledger.Input {
	tags := append([]string(nil), form["tag"]...)
	for _, t := range tagSplit.Split(form.Get("tags_extra"), -1) {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return ledger.Input{Title: form.Get("title"), Description: form.Get("description"), Source: form.Get("source"),
		Class: form.Get("class"), Severity: form.Get("severity"), Tags: tags, UnitCode: form.Get("unit_code"),
		Responsible: form.Get("responsible"), Measures: form.Get("measures"), Deadline: form.Get("deadline"),
		OriginType: form.Get("origin_type"), OriginRef: form.Get("origin_ref"), Draft: form.Get("action") == "draft"}
}

func (s *Server) problemCreate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.ParseForm()
	pr, err := s.Ledger.Create(r.Context(), p, problemInput(r.PostForm))
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.problems.new", "problems")
		pg.Vals = r.PostForm
		pg.D = problemFormData{Action: "/problems"}
		s.render(w, r, s.formError(r, pg, "problem", err), "problem_form", pg)
		return
	}
	redirect(w, r, problemURL(pr.ID)+"?done=problem_created")
}

func problemURL(id int64) string { return "/problems/" + strconv.FormatInt(id, 10) }

// problemID reads the {id} of the path; a malformed one is a page that does not exist.
func problemID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) problemEditPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := problemID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	pr, err := s.Ledger.Get(r.Context(), p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	if pr.Status != ledger.Draft {
		redirect(w, r, problemURL(id))
		return
	}
	if !org.Can(p, org.ProblemWrite, pr.UnitPath) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.problem.edit", "problems")
	v := url.Values{}
	for k, x := range map[string]string{"title": pr.Title, "description": pr.Description, "source": pr.Source,
		"class": pr.Class, "severity": pr.Severity, "unit_code": pr.UnitCode, "responsible": pr.Responsible,
		"measures": pr.Measures, "deadline": pr.Deadline, "origin_type": pr.OriginType, "origin_ref": pr.OriginRef} {
		v.Set(k, x)
	}
	var extra []string
	for _, t := range pr.Tags {
		if slices.Contains(ledger.BuiltinTags, t) {
			v.Add("tag", t)
		} else {
			extra = append(extra, t)
		}
	}
	v.Set("tags_extra", strings.Join(extra, "，"))
	pg.Vals = v
	pg.D = problemFormData{Action: problemURL(id) + "/edit", Edit: true, Item: pr}
	s.render(w, r, http.StatusOK, "problem_form", pg)
}

func (s *Server) problemUpdate(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := problemID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	r.ParseForm()
	in := problemInput(r.PostForm)
	pr, err := s.Ledger.Get(r.Context(), p, id)
	if err == nil && pr.Status != ledger.Draft {
		err = apperr.New(apperr.Conflict, "invalid_state", "", "err.problem.state")
	}
	if err == nil {
		pr, err = s.Ledger.Update(r.Context(), p, id, in)
	}
	done := "problem_saved"
	if err == nil && !in.Draft {
		_, err = s.Ledger.Submit(r.Context(), p, id)
		done = "problem_submitted"
	}
	if err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.problem.edit", "problems")
		pg.Vals = r.PostForm
		pg.D = problemFormData{Action: problemURL(id) + "/edit", Edit: true, Item: pr}
		s.render(w, r, s.formError(r, pg, "problem", err), "problem_form", pg)
		return
	}
	redirect(w, r, problemURL(id)+"?done="+done)
}

// ---------------------------------------------------------------- the item

// eventRow is one line of the timeline as the page shows it.
type eventRow struct {
	ledger.Event
	Pct     int
	HasPct  bool
	Details []string // translated lines from the event's detail
}

// acts are the action forms the reader may use now.
type acts struct {
	Edit, Submit, Progress, Close, Verify, Review, Extend, ExtendLimit, DecideExt, Supervise, Lift bool
}

// Any reports whether any action form is offered.
func (a acts) Any() bool {
	return a.Edit || a.Submit || a.Progress || a.Close || a.Verify || a.Review || a.Extend || a.ExtendLimit ||
		a.DecideExt || a.Supervise || a.Lift
}

type problemData struct {
	Item          ledger.Problem
	Events        []eventRow
	Acts          acts
	MaxExt        int
	Today         string
	DaysLeft      int  // working days to the deadline (negative: overdue)
	HasDays       bool // the deadline clock runs
	ReviewDueNow  bool
	MechanismFile int64
	Notice        bool // the print layout
	Mine          bool // the reader is the responsible person
}

// Longterm reports whether the item must leave a lasting mechanism behind.
func (d problemData) Longterm() bool { return d.Item.Class == ledger.ClassLongterm }

// Overdue is the number of working days past the deadline.
func (d problemData) Overdue() int { return -d.DaysLeft }

func (s *Server) ledgerToday() time.Time {
	now := time.Now()
	if s.Ledger.Clock != nil {
		now = s.Ledger.Clock()
	}
	return calendar.Today(now)
}

// permitted computes the action forms p may use on pr now: the ledger's own
// checks (CanWork, CheckVerifier, CheckDecider, org.Can) and its state machine.
func permitted(p *org.Principal, pr *ledger.Problem, rules ledger.Rules) acts {
	can := func(a ledger.Action) bool { _, err := ledger.Next(pr.Status, a); return err == nil }
	var a acts
	write := org.Can(p, org.ProblemWrite, pr.UnitPath)
	a.Edit = pr.Status == ledger.Draft && write
	a.Submit = can(ledger.ActSubmit) && write
	work := ledger.CanWork(p, pr)
	a.Progress = work && can(ledger.ActProgress)
	a.Close = work && can(ledger.ActRequestClose)
	a.Verify = can(ledger.ActApprove) && ledger.CheckVerifier(p, pr) == nil
	a.Review = can(ledger.ActReviewPass) && pr.ReviewResult == "" && ledger.CheckVerifier(p, pr) == nil
	if work && can(ledger.ActExtendRequest) && pr.ExtDeadline == "" {
		if pr.Extensions < rules.MaxExtensions {
			a.Extend = true
		} else {
			a.ExtendLimit = true
		}
	}
	a.DecideExt = pr.ExtDeadline != "" && can(ledger.ActExtendDecide) && ledger.CheckDecider(p, pr) == nil
	if org.Can(p, org.ProblemSupervise, pr.UnitPath) && can(ledger.ActSupervise) {
		a.Supervise = !pr.Supervised
		a.Lift = pr.Supervised
	}
	return a
}

// loadProblem gathers what the item page and the notice show.
func (s *Server) loadProblem(ctx context.Context, pg *page, p *org.Principal, id int64) (problemData, error) {
	var d problemData
	pr, err := s.Ledger.Get(ctx, p, id)
	if err != nil {
		return d, err
	}
	evs, err := s.Ledger.Events(ctx, p, id)
	if err != nil {
		return d, err
	}
	rules, err := s.Ledger.Rules(ctx)
	if err != nil {
		return d, err
	}
	today := s.ledgerToday()
	d.Item, d.Acts, d.MaxExt, d.Today = pr, permitted(p, &pr, rules), rules.MaxExtensions, calendar.FormatDay(today)
	d.Mine = pr.ResponsibleID != 0 && pr.ResponsibleID == p.UserID
	if pr.Status.Active() && pr.Deadline != "" {
		if dl, err := calendar.ParseDay(pr.Deadline); err == nil {
			cal, err := calendar.Load(ctx, s.DB)
			if err != nil {
				return d, err
			}
			d.DaysLeft, d.HasDays = cal.WorkdaysBetween(today, dl), true
		}
	}
	d.ReviewDueNow = pr.Status == ledger.Closed && pr.ReviewResult == "" && pr.ReviewDue != "" && pr.ReviewDue <= d.Today
	if pr.Mechanism != nil {
		d.MechanismFile = pr.Mechanism.AttachmentID
	}
	for _, e := range evs {
		row := eventRow{Event: e}
		if e.Percent != nil {
			row.Pct, row.HasPct = *e.Percent, true
		}
		row.Details = eventDetails(pg, e.Detail)
		d.Events = append(d.Events, row)
	}
	return d, nil
}

// eventDetails translates the facts an event's detail records.
func eventDetails(pg *page, detail string) []string {
	if detail == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(detail), &m) != nil {
		return nil
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	var out []string
	if d := str("deadline"); d != "" {
		if old := str("old_deadline"); old != "" {
			out = append(out, pg.T("ui.problem.evd.deadline_change", old, d))
		} else {
			out = append(out, pg.T("ui.problem.evd.deadline", d))
		}
	}
	if d := str("review_due"); d != "" {
		out = append(out, pg.T("ui.problem.evd.review_due", d))
	}
	if n, ok := m["interval_days"].(float64); ok {
		out = append(out, pg.T("ui.problem.evd.interval", int(n)))
	}
	if v := str("standard"); v != "" {
		out = append(out, pg.T("ui.problem.evd.standard", v))
	}
	if v := str("mechanism"); v != "" {
		out = append(out, pg.T("ui.problem.evd.mechanism", v))
	}
	return out
}

func (s *Server) problemPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.problems.title", "problems")
	pg.flashFrom(r)
	s.showProblem(w, r, p, pg, http.StatusOK)
}

// showProblem renders the item page (also after a refused action, with the
// error on pg and the submitted values kept for that form).
func (s *Server) showProblem(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	id, ok := problemID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	d, err := s.loadProblem(r.Context(), pg, p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.Title = d.Item.Number + " " + d.Item.Title
	pg.D = d
	s.render(w, r, status, "problem", pg)
}

func (s *Server) problemNotice(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := problemID(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	pg := s.newPage(r, "ui.notice.title", "problems")
	d, err := s.loadProblem(r.Context(), pg, p, id)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Notice = true
	pg.Title = pg.T("ui.notice.title") + " " + d.Item.Number
	pg.D = d
	s.render(w, r, http.StatusOK, "problem_notice", pg)
}

// problemFile sends an evidence or mechanism file as a download: the stored
// content type (checked against the bytes on upload), never sniffed, never
// shown inline.
func (s *Server) problemFile(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	id, ok := problemID(r)
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if !ok || err != nil || aid <= 0 {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	f, err := s.Ledger.Attachment(r.Context(), p, id, aid)
	s.serveAttachment(w, r, s.Ledger.Files, f, err)
}

// downloadHeaders mark an answer as a file download: the type checked on
// upload, never sniffed, never shown inline, never cached.
func downloadHeaders(w http.ResponseWriter, mime, name string) {
	h := w.Header()
	h.Set("Content-Type", mime)
	h.Set("Content-Disposition", attachmentDisposition(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, no-store")
}

// attachmentDisposition names a download: an ASCII fallback for old clients
// and the real (often Chinese) name as RFC 5987 UTF-8 in filename*.
func attachmentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, c := range name {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '%' || c == ';' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(c)
		}
	}
	const hex = "0123456789ABCDEF"
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			enc.WriteByte(b)
		} else {
			enc.WriteByte('%')
			enc.WriteByte(hex[b>>4])
			enc.WriteByte(hex[b&15])
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// ---------------------------------------------------------------- actions

// actFunc performs one action from a posted form and names the flash message.
type actFunc func(r *http.Request, p *org.Principal, id int64, up *uploads) (done string, err error)

// problemAct wraps an action: success redirects to the item with a message
// (PRG); a refusal re-renders the item page with the message on that form.
func (s *Server) problemAct(form string, fn actFunc) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, p *org.Principal) {
		id, ok := problemID(r)
		if !ok {
			s.errorPage(w, r, http.StatusNotFound)
			return
		}
		up, err := s.readUploads(w, r)
		if err == nil {
			defer up.close()
			var done string
			done, err = fn(r, p, id, up)
			if err == nil {
				redirect(w, r, problemURL(id)+"?done="+done)
				return
			}
		}
		if e := apperr.As(err); e != nil && (e.Kind == apperr.NotFound || e.Kind == apperr.Unauthorized) {
			s.hardError(w, r, err)
			return
		}
		pg := s.newPage(r, "ui.problems.title", "problems")
		pg.Vals = r.PostForm
		if pg.Vals == nil {
			pg.Vals = url.Values{}
		}
		st := s.formError(r, pg, form, err)
		s.showProblem(w, r, p, pg, st)
	}
}

// uploads are the files of a multipart action form.
type uploads struct {
	form   *multipart.Form
	opened []multipart.File
}

// maxUploadFiles bounds the files of one action (the ledger's own limit).
const maxUploadFiles = 20

// readUploads parses an action form: multipart when it carries files,
// urlencoded otherwise. The body is bounded by the attachment size limit.
func (s *Server) readUploads(w http.ResponseWriter, r *http.Request) (*uploads, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.ParseForm()
		return &uploads{}, nil
	}
	max := int64(attach.DefaultMaxSize)
	if s.Ledger.Files != nil && s.Ledger.Files.MaxSize > 0 {
		max = s.Ledger.Files.MaxSize
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadFiles*max+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || errors.Is(err, multipart.ErrMessageTooLarge) {
			return nil, apperr.Invalidf("evidence", "err.web.problem.upload_too_large", maxUploadFiles, max>>20)
		}
		return nil, apperr.Invalidf("evidence", "err.web.problem.upload_bad")
	}
	return &uploads{form: r.MultipartForm}, nil
}

// files opens the files chosen in a field; an empty file input (no choice)
// sends a nameless empty part, which is skipped.
func (u *uploads) files(field string) ([]ledger.Upload, error) {
	if u == nil || u.form == nil {
		return nil, nil
	}
	var out []ledger.Upload
	for _, h := range u.form.File[field] {
		if h.Filename == "" && h.Size == 0 {
			continue
		}
		if len(out) == maxUploadFiles {
			return nil, apperr.Invalidf(field, "err.problem.too_many_files", maxUploadFiles)
		}
		f, err := h.Open()
		if err != nil {
			return nil, err
		}
		u.opened = append(u.opened, f)
		out = append(out, ledger.Upload{Name: h.Filename, R: f})
	}
	return out, nil
}

func (u *uploads) close() {
	if u == nil {
		return
	}
	for _, f := range u.opened {
		f.Close()
	}
	if u.form != nil {
		u.form.RemoveAll()
	}
}

func (s *Server) actSubmit(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	_, err := s.Ledger.Submit(r.Context(), p, id)
	return "problem_submitted", err
}

func (s *Server) actProgress(r *http.Request, p *org.Principal, id int64, up *uploads) (string, error) {
	pct, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("percent")))
	if err != nil {
		return "", apperr.Invalidf("percent", "err.problem.percent")
	}
	files, err := up.files("evidence")
	if err != nil {
		return "", err
	}
	_, err = s.Ledger.Progress(r.Context(), p, id, ledger.ProgressInput{Note: r.PostFormValue("note"), Percent: pct, Files: files})
	return "problem_progress", err
}

func (s *Server) actClose(r *http.Request, p *org.Principal, id int64, up *uploads) (string, error) {
	files, err := up.files("evidence")
	if err != nil {
		return "", err
	}
	mech, err := up.files("mech_file")
	if err != nil {
		return "", err
	}
	in := ledger.CloseInput{Note: r.PostFormValue("note"), Standard: r.PostFormValue("close_standard"), Files: files}
	title, docNo, issued := r.PostFormValue("mech_title"), r.PostFormValue("mech_doc_no"), r.PostFormValue("mech_issued_on")
	// the form sends every field, filled or not: the mechanism counts when something of it is
	if strings.TrimSpace(title+docNo+issued) != "" || len(mech) > 0 {
		in.Mechanism = &ledger.MechanismInput{Title: title, DocNo: docNo, IssuedOn: issued}
		if len(mech) > 0 {
			in.Mechanism.File = &mech[0]
		}
	}
	_, err = s.Ledger.RequestClose(r.Context(), p, id, in)
	return "problem_close", err
}

// decision reads the two-button choice of a decision form.
func decision(r *http.Request, yes, no string) (bool, error) {
	switch r.PostFormValue("decision") {
	case yes:
		return true, nil
	case no:
		return false, nil
	}
	return false, apperr.Invalidf("decision", "err.web.problem.decision")
}

func (s *Server) actVerify(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	approve, err := decision(r, "approve", "reject")
	if err != nil {
		return "", err
	}
	_, err = s.Ledger.Verify(r.Context(), p, id, approve, r.PostFormValue("note"))
	if approve {
		return "problem_approved", err
	}
	return "problem_rejected", err
}

func (s *Server) actReview(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	recurred, err := decision(r, "recurred", "passed")
	if err != nil {
		return "", err
	}
	_, err = s.Ledger.Review(r.Context(), p, id, recurred, r.PostFormValue("note"), r.PostFormValue("deadline"))
	if recurred {
		return "problem_recurred", err
	}
	return "problem_reviewed", err
}

func (s *Server) actExtension(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	if strings.TrimSpace(r.PostFormValue("deadline")) == "" {
		return "", apperr.Invalidf("deadline", "err.problem.deadline.required")
	}
	_, err := s.Ledger.RequestExtension(r.Context(), p, id, r.PostFormValue("deadline"), r.PostFormValue("reason"))
	return "problem_ext", err
}

func (s *Server) actExtensionDecide(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	approve, err := decision(r, "approve", "refuse")
	if err != nil {
		return "", err
	}
	_, err = s.Ledger.DecideExtension(r.Context(), p, id, approve, r.PostFormValue("note"))
	if approve {
		return "problem_ext_ok", err
	}
	return "problem_ext_refused", err
}

func (s *Server) actSupervise(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("interval_days")))
	if err != nil || days < 1 {
		return "", apperr.Invalidf("interval_days", "err.problem.supervise_days")
	}
	_, err = s.Ledger.Supervise(r.Context(), p, id, days, r.PostFormValue("note"))
	return "problem_supervised", err
}

func (s *Server) actUnsupervise(r *http.Request, p *org.Principal, id int64, _ *uploads) (string, error) {
	_, err := s.Ledger.Supervise(r.Context(), p, id, 0, r.PostFormValue("note"))
	return "problem_lifted", err
}

// ---------------------------------------------------------------- 工作台

// ledgerHome is the ledger's block on the 工作台.
type ledgerHome struct {
	Mine       []ledger.Problem // responsible, active, by deadline
	Verify     []ledger.Problem // closing requests I may decide
	Reviews    []ledger.Problem // look-backs due that I may record
	Extensions []ledger.Problem // extension requests I may decide
	ShowVerify bool
	ShowExt    bool
}

const homeItems = 10

// ledgerWorkbench gathers the ledger's part of the 工作台; nil when the
// person has nothing to do with the ledger. A failure is logged and the block
// left out: the rest of the 工作台 still serves.
func (s *Server) ledgerWorkbench(ctx context.Context, p *org.Principal) *ledgerHome {
	h, err := s.ledgerHomeData(ctx, p)
	if err != nil {
		s.Log.Error("workbench ledger", "err", err)
		return nil
	}
	return h
}

func (s *Server) ledgerHomeData(ctx context.Context, p *org.Principal) (*ledgerHome, error) {
	h := &ledgerHome{}
	// one list of the active states (open, in progress, reopened): an active
	// item always has its deadline, so the order needs no help with blanks
	mine, _, err := s.Ledger.List(ctx, p, ledger.Filter{Mine: true, Status: "active", Sort: "deadline", Limit: homeItems})
	if err != nil {
		return nil, err
	}
	h.Mine = mine
	pick := func(f ledger.Filter, ok func(*ledger.Problem) bool) ([]ledger.Problem, error) {
		f.Limit = ledger.MaxPage
		items, _, err := s.Ledger.List(ctx, p, f)
		var out []ledger.Problem
		for i := range items {
			if len(out) < homeItems && ok(&items[i]) {
				out = append(out, items[i])
			}
		}
		return out, err
	}
	verifier := func(pr *ledger.Problem) bool { return ledger.CheckVerifier(p, pr) == nil }
	if h.ShowVerify = org.CanAnywhere(p, org.ProblemVerify) || p.Has(org.RoleLeader); h.ShowVerify {
		if h.Verify, err = pick(ledger.Filter{Status: string(ledger.Pending), Sort: "deadline"}, verifier); err != nil {
			return nil, err
		}
		if h.Reviews, err = pick(ledger.Filter{Status: "review_due", Sort: "deadline"}, verifier); err != nil {
			return nil, err
		}
	}
	if h.ShowExt = org.CanAnywhere(p, org.ProblemDecide); h.ShowExt {
		if h.Extensions, err = pick(ledger.Filter{ExtensionPending: true, Sort: "deadline"},
			func(pr *ledger.Problem) bool { return ledger.CheckDecider(p, pr) == nil }); err != nil {
			return nil, err
		}
	}
	if len(h.Mine) == 0 && !h.ShowVerify && !h.ShowExt && !org.CanAnywhere(p, org.ProblemRead) {
		return nil, nil
	}
	return h, nil
}
