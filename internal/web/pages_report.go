package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/api"
	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
)

// The public reporting channel (群众举报): no account, phone first. Nothing a
// reporter sends is logged, no cookie is set, and the client address is used
// only for a salted, daily-forgotten rate-limit bucket.

func (s *Server) registerReportPages() {
	s.handle("GET /report", s.reportForm)
	s.handle("POST /report", s.reportSubmit)
	s.handle("GET /report/units", s.reportUnits)
	s.handle("POST /report/slip", s.reportSlip)
	s.handle("GET /report/lookup", s.reportLookupForm)
	s.handle("POST /report/lookup", s.reportLookup)
	s.handle("POST /report/followup", s.reportFollowUp)
	s.handle("POST /report/file", s.reportFile)
	s.handle("GET /transparency", s.transparency)

	s.handle("GET /clues", s.full(s.cluesPage))
	s.handle("GET /clues/{id}", s.full(s.cluePage))
	s.handle("GET /clues/{id}/files/{fid}", s.full(s.clueFile))
	s.handle("POST /clues/{id}/{action}", s.full(s.clueAct))
	s.handle("POST /clues/{id}/reply-check", s.full(s.clueReplyCheck))
	s.handle("POST /settings/report-timers", s.full(s.settingsReportTimers))
	s.handle("GET /self-report", s.full(s.selfReportForm))
	s.handle("POST /self-report", s.full(s.selfReportSubmit))
}

// CanClues: the menu offers lead handling to whoever may read leads somewhere.
func (p *page) CanClues() bool { return org.CanAnywhere(p.P, org.ClueRead) }

// Catalogue key prefixes built at run time (see keyRole).
const (
	keyCategory   = "ui" + ".report.cat."
	keyStage      = "ui" + ".report.stage."
	keyClueStatus = "ui" + ".clue.status."
	keyMethod     = "ui" + ".clue.method."
	keyConclusion = "ui" + ".clue.conclusion."
	keyMeasure    = "ui" + ".clue.measure."
	keyEvent      = "ui" + ".clue.event."
)

func (p *page) CategoryName(c string) string   { return p.T(keyCategory + c) }
func (p *page) StageName(c string) string      { return p.T(keyStage + c) }
func (p *page) ClueStatusName(c string) string { return p.T(keyClueStatus + c) }
func (p *page) MethodName(c string) string {
	if c == "" {
		return ""
	}
	return p.T(keyMethod + c)
}
func (p *page) ConclusionName(c string) string {
	if c == "" {
		return ""
	}
	return p.T(keyConclusion + c)
}
func (p *page) MeasureName(c string) string {
	if c == "" {
		return ""
	}
	return p.T(keyMeasure + c)
}
func (p *page) ClueEventName(c string) string { return p.T(keyEvent + c) }

// Categories, Stages, Methods, Conclusions and Measures list codes for forms.
func (p *page) Categories() []string       { return report.Categories }
func (p *page) Stages() []string           { return report.Stages }
func (p *page) Methods() []string          { return report.Methods }
func (p *page) Conclusions() []string      { return report.Conclusions }
func (p *page) Measures(form int) []string { return report.Measures[form] }
func (p *page) Chronic(c string) bool      { return report.Chronic(c) }

// privateAnswer marks a public page with a reporter's data as never cached
// and never sent on as a referrer.
func privateAnswer(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.report.title", "report")
	pg.P = nil // the public form looks the same to a signed-in officer
	pg.Vals.Set("identity", "anonymous")
	s.render(w, r, http.StatusOK, "report_form", pg)
}

// reportUnits answers the public unit search (htmx).
func (s *Server) reportUnits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("unit_code")
	units, err := s.Reports.SearchUnits(r.Context(), q, 20)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg := s.newPage(r, "ui.report.title", "report")
	pg.D = struct {
		Units []report.PublicUnit
		Q     string
	}{units, q}
	s.renderPartial(w, "public_unit_picker", pg)
}

// readPublicForm reads a public form: multipart (with files) or urlencoded.
func readPublicForm(w http.ResponseWriter, r *http.Request) (url.Values, []report.Upload, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return api.ReadReportForm(w, r)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, nil, apperr.Invalidf("content", "err.report.too_long", report.MaxContent)
	}
	return r.PostForm, nil, nil
}

// inputFrom builds a submission from the form fields.
func inputFrom(v url.Values) report.Input {
	in := report.Input{Category: v.Get("category"), UnitCode: v.Get("unit_code"), Subject: v.Get("subject"),
		Content: v.Get("content"), When: v.Get("when"), Where: v.Get("where")}
	names, posts := v["accused_name"], v["accused_post"]
	for i, n := range names {
		a := report.Accused{Name: n}
		if i < len(posts) {
			a.Post = posts[i]
		}
		in.Accused = append(in.Accused, a)
	}
	if v.Get("identity") == "real" {
		in.Reporter = &report.Identity{Name: v.Get("reporter_name"), Phone: v.Get("reporter_phone"),
			IDNumber: v.Get("reporter_id_number"), Address: v.Get("reporter_address")}
	}
	return in
}

func (s *Server) reportSubmit(w http.ResponseWriter, r *http.Request) {
	privateAnswer(w)
	pg := s.newPage(r, "ui.report.title", "report")
	pg.P = nil
	vals, files, err := readPublicForm(w, r)
	if err == nil {
		var rc report.Receipt
		rc, err = s.Reports.Submit(r.Context(), inputFrom(vals), files, clientHost(r))
		if err == nil {
			pg.Title = pg.T("ui.report.done_title")
			pg.D = struct{ Receipt, Key, RawReceipt, RawKey string }{report.FormatReceipt(rc.Receipt), report.FormatKey(rc.Key), rc.Receipt, rc.Key}
			s.render(w, r, http.StatusCreated, "report_done", pg)
			return
		}
	}
	if vals != nil {
		pg.Vals = vals
	}
	if pg.Val("identity") == "" {
		pg.Vals.Set("identity", "anonymous")
	}
	st := s.formError(r, pg, "report", err)
	// field names of the identity block as the form has them
	for _, f := range []string{"reporter_name", "reporter_phone", "reporter_id_number"} {
		if m, ok := pg.Fields[f]; ok {
			pg.Fields[f] = m
		}
	}
	s.render(w, r, st, "report_form", pg)
}

func clientHost(r *http.Request) string {
	h := r.RemoteAddr
	if i := strings.LastIndexByte(h, ':'); i > 0 {
		h = h[:i]
	}
	return strings.Trim(h, "[]")
}

// reportSlip sends the receipt slip as a text file to keep. The key passes
// through once more (the reporter has it on screen); it is not stored or logged.
func (s *Server) reportSlip(w http.ResponseWriter, r *http.Request) {
	privateAnswer(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	r.ParseForm()
	receipt, key := report.NormalizeReceipt(r.PostFormValue("receipt")), report.NormalizeKey(r.PostFormValue("key"))
	if receipt == "" || key == "" {
		s.errorPage(w, r, http.StatusBadRequest)
		return
	}
	pg := s.newPage(r, "ui.report.slip_title", "report")
	text := pg.T("ui.report.slip_text", report.FormatReceipt(receipt), report.FormatKey(key), s.publicURL(r)+"/report/lookup")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="report-receipt.txt"`)
	w.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
}

// publicURL is the base URL printed on slips.
func (s *Server) publicURL(r *http.Request) string {
	if s.Cfg.BaseURL != "" {
		return strings.TrimRight(s.Cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) reportLookupForm(w http.ResponseWriter, r *http.Request) {
	pg := s.newPage(r, "ui.report.lookup_title", "report")
	pg.P = nil
	s.render(w, r, http.StatusOK, "report_lookup", pg)
}

// lookupView opens the report named by the form's receipt and key, or renders
// the look-up form with the one error every failure gets.
func (s *Server) lookupView(w http.ResponseWriter, r *http.Request, vals url.Values) (*report.View, *page, bool) {
	pg := s.newPage(r, "ui.report.lookup_title", "report")
	pg.P = nil
	v, err := s.Reports.Lookup(r.Context(), vals.Get("receipt"), vals.Get("key"))
	if err != nil {
		pg.Vals.Set("receipt", vals.Get("receipt"))
		st := s.formError(r, pg, "lookup", err)
		s.render(w, r, st, "report_lookup", pg)
		return nil, nil, false
	}
	return v, pg, true
}

type reportViewData struct {
	V        *report.View
	Receipt  string
	Key      string
	CanRate  bool
	Followed bool
	Rating   *reportRating // the rating once concluded (pages_rating.go)
}

func (s *Server) showReport(w http.ResponseWriter, r *http.Request, pg *page, v *report.View, key string, status int) {
	pg.Title = pg.T("ui.report.view_title")
	d := reportViewData{V: v, Receipt: report.FormatReceipt(v.Receipt), Key: report.FormatKey(report.NormalizeKey(key))}
	if err := s.withRating(r, &d); err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.D = d
	s.render(w, r, status, "report_view", pg)
}

func (s *Server) reportLookup(w http.ResponseWriter, r *http.Request) {
	privateAnswer(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	r.ParseForm()
	v, pg, ok := s.lookupView(w, r, r.PostForm)
	if !ok {
		return
	}
	s.showReport(w, r, pg, v, r.PostFormValue("key"), http.StatusOK)
}

func (s *Server) reportFollowUp(w http.ResponseWriter, r *http.Request) {
	privateAnswer(w)
	vals, files, err := readPublicForm(w, r)
	if err != nil {
		pg := s.newPage(r, "ui.report.lookup_title", "report")
		pg.P = nil
		st := s.formError(r, pg, "lookup", err)
		s.render(w, r, st, "report_lookup", pg)
		return
	}
	v, pg, ok := s.lookupView(w, r, vals)
	if !ok {
		return
	}
	status := http.StatusOK
	if err := s.Reports.FollowUp(r.Context(), v, vals.Get("message"), files); err != nil {
		pg.Vals.Set("message", vals.Get("message"))
		status = s.formError(r, pg, "followup", err)
	} else {
		pg.Flash = pg.T("msg.report.followed_up")
		if v, err = s.Reports.Lookup(r.Context(), vals.Get("receipt"), vals.Get("key")); err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	s.showReport(w, r, pg, v, vals.Get("key"), status)
}

// reportFile sends one of the report's files to its reporter.
func (s *Server) reportFile(w http.ResponseWriter, r *http.Request) {
	privateAnswer(w)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	r.ParseForm()
	v, _, ok := s.lookupView(w, r, r.PostForm)
	if !ok {
		return
	}
	fid, err := strconv.ParseInt(r.PostFormValue("file"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusNotFound)
		return
	}
	f, data, err := s.Reports.ReporterFile(r.Context(), v, fid)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	sendFile(w, f, data)
}

// sendFile answers a download of a report's (decrypted) file.
func sendFile(w http.ResponseWriter, f report.File, data []byte) {
	downloadHeaders(w, f.MIME, f.Name)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func (s *Server) transparency(w http.ResponseWriter, r *http.Request) {
	t, err := s.Reports.PublicFigures(r.Context(), auth.PrincipalFrom(r.Context()))
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg := s.newPage(r, "ui.transparency.title", "transparency")
	pg.P = nil
	pg.D = t
	s.render(w, r, http.StatusOK, "transparency", pg)
}

// settingsReportTimers saves the reporting channel's deadlines.
func (s *Server) settingsReportTimers(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.IsRootAdmin(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	r.ParseForm()
	var t report.Timers
	var err error
	for _, f := range []struct {
		name string
		dst  *int
	}{{"ack_days", &t.AckDays}, {"conclude_days", &t.ConcludeDays}, {"feedback_days", &t.FeedbackDays}} {
		n, e := strconv.Atoi(strings.TrimSpace(r.PostFormValue(f.name)))
		if e != nil && err == nil {
			err = apperr.Invalidf(f.name, "err.rules.number")
		}
		*f.dst = n
	}
	if err == nil {
		err = s.Reports.SetTimers(r.Context(), p, t)
	}
	s.settingsSaved(w, r, "report_timers", err, func(d *settingsData) { d.Timers = t })
}
