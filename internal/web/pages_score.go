package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/warn"
)

// 民标: a unit's scorecard with its inputs, drill-down links, sibling
// ranking, trend and history; the printable page and the .xlsx for the
// annual review; publishing a period; the formula settings.

func (s *Server) registerScorePages() {
	if s.Score == nil {
		s.Score = score.New(s.DB)
	}
	s.handle("GET /scorecards", s.full(s.scorecardPage))
	s.handle("GET /scorecards/print", s.full(s.scorecardPrint))
	s.handle("GET /scorecards/export.xlsx", s.full(s.scorecardXLSX))
	s.handle("POST /scorecards/publish", s.full(s.scorecardPublish))
	s.handle("GET /scorecards/formula", s.full(s.scoreFormulaPage))
	s.handle("POST /scorecards/formula", s.full(s.scoreFormulaSave))
	s.handle("POST /scorecards/recompute", s.full(s.scorecardRecompute))
}

// ClockMs shows a moment as HH:MM when it is today in China, else with its date.
func (p *page) ClockMs(ms int64) string {
	t := time.UnixMilli(ms).In(cst)
	if t.Format(time.DateOnly) == time.Now().In(cst).Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// scorecardRecompute asks the snapshot job to recompute the unpublished
// periods now (scorecards and warnings alike).
func (s *Server) scorecardRecompute(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !score.CanRecompute(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	r.ParseForm()
	err := s.Score.RequestRecompute(r.Context(), p)
	if err == nil && s.Warn != nil && warn.CanRecompute(p) {
		err = s.Warn.RequestRecompute(r.Context(), p)
	}
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	back := url.Values{"unit": {strings.TrimSpace(r.PostForm.Get("unit"))}, "period": {strings.TrimSpace(r.PostForm.Get("period"))}}
	target := "/scorecards?"
	if r.PostForm.Get("from") == "warnings" {
		target = "/warnings?"
	}
	redirect(w, r, target+back.Encode()+"&done=recompute")
}

// CanScorecards: the menu offers scorecards to whoever may read a unit's records.
func (p *page) CanScorecards() bool { return p.P != nil && score.CanReadAnywhere(p.P) }

func (p *page) ScorePartName(k string) string   { return p.T(score.KeyPart + k) }
func (p *page) ScoreFigureName(k string) string { return p.T(score.KeyFigure + k) }
func (p *page) ScoreParts() []string            { return score.Parts }

type scoreData struct {
	V          score.View
	UnitCode   string
	PeriodKey  string
	Kinds      []string
	Links      map[string]string // figure key → drill-down URL
	CanPublish bool
	CanFormula bool
	// CanRecompute: the button that asks the job to recompute now
	CanRecompute bool
	Print        bool
}

// scoreQuery reads unit and period, defaulting to the reader's own unit and
// the current quarter.
func (s *Server) scoreQuery(r *http.Request, p *org.Principal) (unit, period string) {
	q := r.URL.Query()
	unit, period = strings.TrimSpace(q.Get("unit")), strings.TrimSpace(q.Get("period"))
	if unit == "" {
		unit = p.UnitCode
		if !score.CanRead(p, p.UnitPath) {
			// a reader whose own unit is outside their reading scope (an
			// inspector granted elsewhere): the first subtree they may read
			if paths := append(org.ScopePaths(p, score.Read), org.ScopePaths(p, org.AuditRead)...); len(paths) > 0 {
				var code string
				if err := s.DB.Read.QueryRowContext(r.Context(), `SELECT code FROM units WHERE path = $1`, paths[0]).Scan(&code); err == nil {
					unit = code
				}
			}
		}
	}
	if period == "" {
		period = score.Containing(score.Quarter, s.Score.Today()).Key
	}
	return unit, period
}

// scoreLinks points each figure to the list of the items behind it, where
// a list can filter for them.
func scoreLinks(code string, per score.Period) map[string]string {
	from, to := per.FromDay(), per.ToDay()
	ledger := func(extra string) string {
		return "/problems?" + url.Values{"unit": {code}, "deadline_from": {from}, "deadline_to": {to}}.Encode() + extra
	}
	ratings := "/ratings?" + url.Values{"unit": {code}, "from": {from}, "to": {to}}.Encode()
	return map[string]string{
		"satisfaction":  ratings,
		"rectification": ratings + "&bad=1",
		"closed_ok":     ledger(""),
		"closed":        ledger("&status=closed"),
		"ack":           "/clues?" + url.Values{"unit": {code}}.Encode(),
		"conclude":      "/clues?" + url.Values{"unit": {code}}.Encode(),
		"feedback":      "/clues?" + url.Values{"unit": {code}}.Encode(),
		"longterm":      ledger("&class=longterm"),
		"milestones":    "/staff/projects?" + url.Values{"unit": {code}}.Encode(),
	}
}

func (s *Server) scoreView(w http.ResponseWriter, r *http.Request, p *org.Principal) (*page, *scoreData, bool) {
	if !score.CanReadAnywhere(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return nil, nil, false
	}
	pg := s.newPage(r, "ui.score.title", "scorecards")
	unit, period := s.scoreQuery(r, p)
	d := &scoreData{UnitCode: unit, PeriodKey: period, Kinds: []string{score.Month, score.Quarter, score.Year},
		CanPublish: score.CanPublish(p), CanFormula: score.CanEditFormula(p), CanRecompute: score.CanRecompute(p)}
	pg.D = d
	v, err := s.Score.View(r.Context(), p, unit, period)
	if err != nil {
		if e := apperr.As(err); e != nil && e.Kind == apperr.Invalid {
			st := s.formError(r, pg, "filter", err)
			s.render(w, r, st, "scorecard", pg)
			return nil, nil, false
		}
		s.failPage(w, r, err)
		return nil, nil, false
	}
	d.V = v
	d.Links = scoreLinks(v.Unit.Code, v.Period)
	pg.Title = pg.T("ui.score.title_of", v.Unit.Name, v.Period.Key)
	switch r.URL.Query().Get("done") {
	case "published":
		pg.Flash = pg.T("msg.score.published")
	case "formula":
		pg.Flash = pg.T("msg.score.formula_saved")
	case "recompute":
		pg.Flash = pg.T("msg.score.recompute")
	}
	return pg, d, true
}

func (s *Server) scorecardPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg, _, ok := s.scoreView(w, r, p)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "scorecard", pg)
}

// scorecardPrint is the card laid out for paper (述职评议考核): no menu, no forms.
func (s *Server) scorecardPrint(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg, d, ok := s.scoreView(w, r, p)
	if !ok {
		return
	}
	d.Print = true
	s.render(w, r, http.StatusOK, "scorecard_print", pg)
}

func (s *Server) scorecardXLSX(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	unit, period := s.scoreQuery(r, p)
	v, err := s.Score.View(r.Context(), p, unit, period)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := s.Score.WriteXLSX(r.Context(), p, v, langOf(r), &buf); err != nil {
		s.failPage(w, r, err)
		return
	}
	downloadHeaders(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"民标-"+v.Unit.Code+"-"+v.Period.Key+".xlsx")
	w.Write(buf.Bytes())
}

func (s *Server) scorecardPublish(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.ParseForm()
	period, unit := strings.TrimSpace(r.PostForm.Get("period")), strings.TrimSpace(r.PostForm.Get("unit"))
	_, err := s.Score.Publish(r.Context(), p, period, r.PostForm.Get("republish") == "1")
	back := "/scorecards?" + url.Values{"unit": {unit}, "period": {period}}.Encode()
	if err == nil {
		redirect(w, r, back+"&done=published")
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	// show the card again with the refusal (already published, a future period)
	r.URL.RawQuery = url.Values{"unit": {unit}, "period": {period}}.Encode()
	pg, _, ok := s.scoreView(w, r, p)
	if !ok {
		return
	}
	st := s.formError(r, pg, "publish", err)
	s.render(w, r, st, "scorecard", pg)
}

// ---------------------------------------------------------------- formula

type formulaData struct {
	Current  score.Formula
	Versions []score.Formula
	CanEdit  bool
}

// FormulaVal is the value a formula field shows: as submitted after an
// error, else the formula in force.
func (p *page) FormulaVal(name string, f score.Formula) string {
	if v, ok := p.Vals[name]; ok && len(v) > 0 {
		return v[0]
	}
	switch {
	case strings.HasPrefix(name, "weight_"):
		return strconv.Itoa(f.Weights[strings.TrimPrefix(name, "weight_")])
	case strings.HasPrefix(name, "min_"):
		if name == "min_coverage" {
			return strconv.Itoa(f.MinCoverage)
		}
		return strconv.Itoa(f.MinSample[strings.TrimPrefix(name, "min_")])
	case name == "rectify_share":
		return strconv.Itoa(f.RectifyShare)
	}
	return ""
}

func (s *Server) scoreFormulaPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	s.renderFormula(w, r, p, s.newPage(r, "ui.score.formula_title", "scorecards"), http.StatusOK)
}

func (s *Server) renderFormula(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	if !score.CanReadAnywhere(p) && !score.CanEditFormula(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	cur, err := s.Score.Formula(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	vs, err := s.Score.Formulas(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	if r.URL.Query().Get("done") == "formula" {
		pg.Flash = pg.T("msg.score.formula_saved")
	}
	pg.D = formulaData{Current: cur, Versions: vs, CanEdit: score.CanEditFormula(p)}
	s.render(w, r, status, "score_formula", pg)
}

func (s *Server) scoreFormulaSave(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !score.CanEditFormula(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	r.ParseForm()
	f := score.Formula{Weights: map[string]int{}, MinSample: map[string]int{}, Note: r.PostForm.Get("note")}
	num := func(name string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(name)))
		if err != nil {
			return 0, apperr.Invalidf(name, "err.score.number")
		}
		return n, nil
	}
	var err error
	for _, k := range score.Parts {
		if err == nil {
			f.Weights[k], err = num("weight_" + k)
		}
		if err == nil {
			f.MinSample[k], err = num("min_" + k)
		}
	}
	if err == nil {
		f.RectifyShare, err = num("rectify_share")
	}
	if err == nil {
		f.MinCoverage, err = num("min_coverage")
	}
	if err == nil {
		_, err = s.Score.SetFormula(r.Context(), p, f)
	}
	if err == nil {
		redirect(w, r, "/scorecards/formula?done=formula")
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	pg := s.newPage(r, "ui.score.formula_title", "scorecards")
	pg.Vals = r.PostForm
	st := s.formError(r, pg, "formula", err)
	s.renderFormula(w, r, p, pg, st)
}
