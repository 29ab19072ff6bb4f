package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/search"
)

// The staff search box (internal/search): a form in the page header, and
// the results page with highlighted snippets.

func (s *Server) registerSearchPages() {
	s.handle("GET /search", s.full(s.searchPage))
	s.handle("GET /hot-issues", s.full(s.hotIssuesPage))
	s.handle("GET /hot-issues/top", s.full(s.hotTopPart))
}

// hotTop is how many hot issues the dashboard lists.
const hotTop = 5

// hotTopPart is the dashboard's 热点问题 panel, fetched by htmx after the
// page is shown (grouping opens every report of the period: the ledger's
// figures must not wait for it). Without JavaScript the panel is a link to
// /hot-issues.
func (s *Server) hotTopPart(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.ClueRead) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.hot.title", "dashboard")
	d := hotData{Unit: r.URL.Query().Get("unit")}
	res, err := s.Search.HotIssues(r.Context(), p, search.HotParams{Unit: d.Unit}, time.Now())
	if e := apperr.As(err); e != nil {
		pg.Error = pg.T(e.Key, e.Args...)
	} else if err != nil {
		s.failPage(w, r, err)
		return
	}
	d.Res = res
	if len(d.Res.Issues) > hotTop {
		d.More = len(d.Res.Issues) - hotTop
		d.Res.Issues = d.Res.Issues[:hotTop]
	}
	pg.D = d
	s.renderPartial(w, "hot_top", pg)
}

type hotData struct {
	Unit string
	Res  search.HotResult
	More int // issues beyond the dashboard's first hotTop
}

// hotIssuesPage: 热点问题, for those who read leads.
func (s *Server) hotIssuesPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.ClueRead) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.hot.title", "hot")
	q := r.URL.Query()
	d := hotData{Unit: q.Get("unit")}
	status := http.StatusOK
	res, err := s.Search.HotIssues(r.Context(), p, search.HotParams{Unit: d.Unit, From: q.Get("from"), To: q.Get("to")}, time.Now())
	if err != nil {
		if apperr.As(err) == nil {
			s.failPage(w, r, err)
			return
		}
		status = s.formError(r, pg, "hot", err)
	}
	d.Res = res
	pg.D = d
	s.render(w, r, status, "hot_issues", pg)
}

// newSearch builds the index over the server's capabilities; report text is
// searchable only when the reporting channel seals with the vault (its key
// also makes the blind tokens).
func newSearch(s *Server) *search.Index {
	var blind func(string, []string) []string
	if vs, ok := s.Reports.Seal.(report.VaultSealer); ok {
		blind = vs.V.BlindTokens
	}
	ix := search.New(s.DB, s.Reports, blind)
	if c := s.Cfg.RoutingConfidence; c > 0 && c <= 100 {
		ix.Threshold = float64(c) / 100
	}
	return ix
}

type searchHit struct {
	search.Hit
	Segs []seg
	URL  string
}

type searchData struct {
	Q, Type, Unit string
	Searched      bool
	Hits          []searchHit
	More          bool
	SealedSkipped bool
}

// SearchKinds lists the kinds for the filter.
func (p *page) SearchKinds() []string { return search.Kinds }

// SearchKindName is a kind's display name.
func (p *page) SearchKindName(k string) string { return p.T(keySearchKind + k) }

const keySearchKind = "ui" + ".search.kind."

func hitURL(h search.Hit) string {
	id := strconv.FormatInt(h.ID, 10)
	switch h.Type {
	case "problem":
		return "/problems/" + id
	case "report":
		return "/clues/" + id
	case "project":
		return "/staff/projects/" + id
	default:
		return "/ratings/" + id
	}
}

// markSegments highlights a snippet's marks (segments, pages_study.go).
func markSegments(snippet string, marks [][2]int) []seg {
	iv := make([]interval, len(marks))
	for i, m := range marks {
		iv[i] = interval{m[0], m[1], 0}
	}
	return segments(snippet, iv)
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	pg := s.newPage(r, "ui.search.title", "search")
	q := r.URL.Query()
	d := searchData{Q: q.Get("q"), Type: q.Get("type"), Unit: q.Get("unit")}
	pg.Vals = q
	status := http.StatusOK
	if d.Q != "" {
		d.Searched = true
		res, err := s.Search.Search(r.Context(), p, search.Params{Q: d.Q, Type: d.Type, Unit: d.Unit, Limit: 50})
		if err != nil {
			if apperr.As(err) == nil {
				s.failPage(w, r, err)
				return
			}
			status = s.formError(r, pg, "search", err)
		}
		for _, h := range res.Hits {
			d.Hits = append(d.Hits, searchHit{Hit: h, Segs: markSegments(h.Snippet, h.Marks), URL: hitURL(h)})
		}
		d.More, d.SealedSkipped = res.More, res.SealedSkipped
	}
	pg.D = d
	s.render(w, r, status, "search", pg)
}

// routingHint is the 智能分办 suggestion for a lead still to be assigned,
// shown to whoever may handle it. A failure only costs the hint: the page
// is about the lead, so it is logged rather than shown.
func (s *Server) routingHint(r *http.Request, p *org.Principal, l report.Lead) *search.Suggestion {
	if l.Status != report.Registered && l.Status != report.Investigating && l.Status != report.Received {
		return nil
	}
	sg, err := s.Search.Routing(r.Context(), p, l.ID)
	if err != nil {
		if apperr.As(err) == nil {
			s.Log.Warn("routing suggestion", "report", l.Number, "err", err)
		}
		return nil
	}
	return &sg
}

// RoutingUnit is the suggested unit's code, to fill the assign form.
func (p *page) RoutingUnit(sg *search.Suggestion) string {
	if sg == nil {
		return ""
	}
	return sg.UnitCode
}

// RoutingCategory is the category to preselect in the assign form: the
// suggested one where there is a suggestion, else the lead's own.
func (p *page) RoutingCategory(sg *search.Suggestion, current string) string {
	if sg != nil && sg.Category != "" {
		return sg.Category
	}
	return current
}

// CategoryChange shows a recategorized event's detail ("old new" codes) as
// names.
func (p *page) CategoryChange(detail string) string {
	was, now, ok := strings.Cut(detail, " ")
	if !ok {
		return detail
	}
	return p.CategoryName(was) + " → " + p.CategoryName(now)
}

// Confidence shows a confidence as a percentage.
func (p *page) Confidence(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }
