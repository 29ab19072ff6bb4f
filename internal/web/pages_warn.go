package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/warn"
)

// 形式主义预警: the flags of a unit subtree for a period with their evidence,
// dismissal with a reason (kept visible), and the thresholds.

func (s *Server) registerWarnPages() {
	if s.Warn == nil {
		s.Warn = warn.New(s.DB)
	}
	s.handle("GET /warnings", s.full(s.warningsPage))
	s.handle("POST /warnings/dismiss", s.full(s.warningDismiss))
	s.handle("POST /warnings/thresholds", s.full(s.warningThresholds))
}

const (
	keyWarnKind    = "ui" + ".warn.kind."
	keyWarnSummary = "ui" + ".warn.summary."
	keyWarnTh      = "ui" + ".warn.th."
)

func (p *page) WarnKindName(k string) string { return p.T(keyWarnKind + k) }

// WarnSummary is a flag's one-line finding with its figures.
func (p *page) WarnSummary(f warn.Flag) string { return p.T(keyWarnSummary+f.Kind, f.Args...) }
func (p *page) WarnThName(k string) string     { return p.T(keyWarnTh + k) }

// warnThFields lists the threshold fields in form order, with their values.
type warnThField struct {
	Name  string
	Value int
}

func warnThFields(t warn.Thresholds) []warnThField {
	return []warnThField{
		{"bunch_days", t.BunchDays}, {"bunch_share", t.BunchShare}, {"bunch_factor", t.BunchFactor}, {"bunch_min", t.BunchMin},
		{"note_items", t.NoteItems}, {"note_similarity", t.NoteSimilarity},
		{"thin_chars", t.ThinChars}, {"thin_min", t.ThinMin}, {"thin_share", t.ThinShare},
		{"low_sat_closed", t.LowSatClosed}, {"low_sat_rate", t.LowSatRate}, {"low_sat_rated", t.LowSatRated},
		{"reopen_min", t.ReopenMin}, {"project_ratings", t.ProjectRatings}, {"project_bad", t.ProjectBad},
		{"prior_min", t.PriorMin}, {"prior_share", t.PriorShare},
	}
}

func parseThresholds(v url.Values) (warn.Thresholds, error) {
	var t warn.Thresholds
	ptrs := map[string]*int{
		"bunch_days": &t.BunchDays, "bunch_share": &t.BunchShare, "bunch_factor": &t.BunchFactor, "bunch_min": &t.BunchMin,
		"note_items": &t.NoteItems, "note_similarity": &t.NoteSimilarity,
		"thin_chars": &t.ThinChars, "thin_min": &t.ThinMin, "thin_share": &t.ThinShare,
		"low_sat_closed": &t.LowSatClosed, "low_sat_rate": &t.LowSatRate, "low_sat_rated": &t.LowSatRated,
		"reopen_min": &t.ReopenMin, "project_ratings": &t.ProjectRatings, "project_bad": &t.ProjectBad,
		"prior_min": &t.PriorMin, "prior_share": &t.PriorShare,
	}
	for _, f := range warnThFields(warn.Thresholds{}) {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get(f.Name)))
		if err != nil {
			return t, apperr.Invalidf(f.Name, "err.warn.number")
		}
		*ptrs[f.Name] = n
	}
	return t, t.Validate()
}

type warnData struct {
	UnitCode, PeriodKey string
	Flags               []warn.Flag
	Snapshot            *warn.Snapshot // nil: computed now
	CanRecompute        bool
	Active, Dismissed   int
	CanDismiss          map[string]bool // by unit code
	CanThresholds       bool
	Thresholds          []warnThField
}

func (s *Server) warningsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.warn.title", "warnings")
	switch r.URL.Query().Get("done") {
	case "dismissed":
		pg.Flash = pg.T("msg.warn.dismissed")
	case "thresholds":
		pg.Flash = pg.T("msg.warn.saved")
	case "recompute":
		pg.Flash = pg.T("msg.warn.recompute")
	}
	s.renderWarnings(w, r, p, pg, http.StatusOK)
}

func (s *Server) renderWarnings(w http.ResponseWriter, r *http.Request, p *org.Principal, pg *page, status int) {
	if !score.CanReadAnywhere(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	if s.Score == nil {
		s.Score = score.New(s.DB)
	}
	unit, period := s.scoreQuery(r, p)
	d := &warnData{UnitCode: unit, PeriodKey: period, CanDismiss: map[string]bool{}, CanThresholds: warn.CanSetThresholds(p),
		CanRecompute: warn.CanRecompute(p)}
	pg.D = d
	th, err := s.Warn.Thresholds(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	if d.CanThresholds {
		d.Thresholds = warnThFields(th)
		if len(pg.Vals) > 0 { // a refused form shows what was typed
			for i := range d.Thresholds {
				if n, err := strconv.Atoi(pg.Vals.Get(d.Thresholds[i].Name)); err == nil {
					d.Thresholds[i].Value = n
				}
			}
		}
	}
	flags, snap, err := s.Warn.ListSnapshot(r.Context(), p, unit, period)
	if err != nil {
		if e := apperr.As(err); e != nil && e.Kind == apperr.Invalid {
			status = s.formError(r, pg, "filter", err)
			s.render(w, r, status, "warnings", pg)
			return
		}
		s.failPage(w, r, err)
		return
	}
	d.Flags, d.Snapshot = flags, snap
	paths := map[string]bool{}
	for _, f := range flags {
		if f.Dismissed != nil {
			d.Dismissed++
		} else {
			d.Active++
		}
		if _, seen := paths[f.UnitCode]; !seen {
			paths[f.UnitCode] = true
			if u, err := org.UnitByCode(r.Context(), s.DB.Read, f.UnitCode); err == nil {
				d.CanDismiss[f.UnitCode] = warn.CanDismiss(p, u.Path)
			}
		}
	}
	pg.Title = pg.T("ui.warn.title_of", unit, period)
	s.render(w, r, status, "warnings", pg)
}

func (s *Server) warningDismiss(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	r.ParseForm()
	f := r.PostForm
	scope, period := strings.TrimSpace(f.Get("scope")), strings.TrimSpace(f.Get("period"))
	err := s.Warn.Dismiss(r.Context(), p, f.Get("unit"), period, f.Get("kind"), f.Get("subject"), f.Get("reason"))
	back := url.Values{"unit": {scope}, "period": {period}}
	if err == nil {
		redirect(w, r, "/warnings?"+back.Encode()+"&done=dismissed")
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	r.URL.RawQuery = back.Encode()
	pg := s.newPage(r, "ui.warn.title", "warnings")
	st := s.formError(r, pg, "dismiss:"+f.Get("unit")+"/"+f.Get("kind")+"/"+f.Get("subject"), err)
	pg.Vals = f
	s.renderWarnings(w, r, p, pg, st)
}

func (s *Server) warningThresholds(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !warn.CanSetThresholds(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	r.ParseForm()
	t, err := parseThresholds(r.PostForm)
	if err == nil {
		err = s.Warn.SetThresholds(r.Context(), p, t)
	}
	back := url.Values{"unit": {r.PostForm.Get("scope")}, "period": {r.PostForm.Get("period")}}
	if err == nil {
		redirect(w, r, "/warnings?"+back.Encode()+"&done=thresholds")
		return
	}
	if s.hardError(w, r, err) {
		return
	}
	r.URL.RawQuery = back.Encode()
	pg := s.newPage(r, "ui.warn.title", "warnings")
	st := s.formError(r, pg, "thresholds", err)
	pg.Vals = r.PostForm
	s.renderWarnings(w, r, p, pg, st)
}
