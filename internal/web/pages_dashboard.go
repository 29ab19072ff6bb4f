package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// The 晴雨表 (barometer) of the problem ledger: the figures of a unit's
// subtree as tables with links (the page works without JavaScript) and, as an
// enhancement, ECharts charts drawn by static/dashboard.js from a JSON block.
// Every figure links to the ledger list showing exactly the items it counts.

// registerDashboardPages mounts the 晴雨表 dashboard.
func (s *Server) registerDashboardPages() {
	s.handle("GET /dashboard", s.full(s.dashboardPage))
}

func init() {
	statusKeys[ledger.StatusActive] = "ui.problem.status.active"
}

// dashboardData is the page's own data.
type dashboardData struct {
	B      *ledger.Board
	Crumbs []org.Unit // the units above, as far up as the reader may go
	Chart  chartData  // what dashboard.js draws
	Hot    bool       // the reader reads leads: the 热点问题 panel is shown
}

// series is one chart's values, labels and the address each value links to.
type series struct {
	Name   string   `json:"name,omitempty"`
	Labels []string `json:"labels"`
	Values []int    `json:"values"`
	Links  []string `json:"links"`
	Colors []string `json:"colors,omitempty"`
}

type chartData struct {
	Status   series `json:"status"`
	Lights   series `json:"lights"`
	Children series `json:"children"`
	Created  series `json:"created"`
	Closed   series `json:"closed"`
}

// FigLink is the ledger list showing a figure's items.
func (p *page) FigLink(f ledger.Figure) string { return p.ListLink(f.Query()) }

// DashLink is the dashboard of another unit.
func (p *page) DashLink(code string) string { return "/dashboard?unit=" + url.QueryEscape(code) }

// statusColors keep each status's colour whichever statuses are present.
var statusColors = map[string]string{string(ledger.Draft): "#9aa6b4", string(ledger.Open): "#1d4f91",
	string(ledger.InProgress): "#5b8fd1", string(ledger.Pending): "#e0a800", string(ledger.Closed): "#2e7d32",
	string(ledger.Reopened): "#c62828"}

// lightColors are the colours of the lights, as in app.css.
var lightColors = map[string]string{ledger.Green: "#2e7d32", ledger.Yellow: "#e0a800", ledger.Red: "#c62828"}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	ctx := r.Context()
	pg := s.newPage(r, "ui.dash.title", "dashboard")
	code := r.URL.Query().Get("unit")
	pg.Vals.Set("unit", code)
	b, err := s.Ledger.Dashboard(ctx, p, code)
	if err != nil {
		if e := apperr.As(err); e != nil && e.Kind == apperr.NotFound {
			// an unknown unit, or one outside the reader's scope: said on the picker
			pg.Form = "unit"
			pg.Error = pg.T("err.dash.unit", code)
			pg.Fields["unit"] = pg.Error
			s.render(w, r, http.StatusNotFound, "dashboard", pg)
			return
		}
		s.failPage(w, r, err)
		return
	}
	pg.Vals.Set("unit", b.UnitCode)
	d := dashboardData{B: &b, Hot: org.CanAnywhere(p, org.ClueRead)}
	if u, err := org.UnitByCode(ctx, s.DB.Read, b.UnitCode); err == nil {
		if all, err := org.Ancestors(ctx, s.DB, u); err == nil {
			for _, a := range all[:len(all)-1] {
				if org.Can(p, org.UnitRead, a.Path) {
					d.Crumbs = append(d.Crumbs, a)
				}
			}
		}
	}
	fill := func(sr *series, figs []ledger.Figure, label func(string) string) {
		for _, f := range figs {
			sr.Labels = append(sr.Labels, label(f.Key))
			sr.Values = append(sr.Values, f.Count)
			sr.Links = append(sr.Links, pg.FigLink(f))
		}
	}
	c := &d.Chart
	c.Status.Name = pg.T("ui.dash.items")
	fill(&c.Status, b.ByStatus, func(k string) string { return pg.StatusName(k) })
	for _, f := range b.ByStatus {
		c.Status.Colors = append(c.Status.Colors, statusColors[f.Key])
	}
	c.Lights.Name = pg.T("ui.dash.active")
	fill(&c.Lights, b.ByLight, pg.LightName)
	for _, f := range b.ByLight {
		c.Lights.Colors = append(c.Lights.Colors, lightColors[f.Key])
	}
	c.Children.Name = pg.T("ui.dash.overdue")
	for _, ch := range b.Children {
		name := ch.Name
		if ch.Own {
			name = pg.T("ui.dash.own_items", ch.Name)
		}
		c.Children.Labels = append(c.Children.Labels, name)
		c.Children.Values = append(c.Children.Values, ch.Overdue.Count)
		c.Children.Links = append(c.Children.Links, pg.FigLink(ch.Overdue))
	}
	c.Created.Name, c.Closed.Name = pg.T("ui.dash.created"), pg.T("ui.dash.closed")
	for _, wk := range b.Weeks {
		label := wk.From[5:] // MM-DD of the Monday: short enough for a phone
		c.Created.Labels = append(c.Created.Labels, label)
		c.Created.Values = append(c.Created.Values, wk.Created.Count)
		c.Created.Links = append(c.Created.Links, pg.FigLink(wk.Created))
		c.Closed.Labels = append(c.Closed.Labels, label)
		c.Closed.Values = append(c.Closed.Values, wk.Closed.Count)
		c.Closed.Links = append(c.Closed.Links, pg.FigLink(wk.Closed))
	}
	pg.D = d
	s.render(w, r, http.StatusOK, "dashboard", pg)
}

// Percent writes a share for people: "—" when there is nothing to share.
func (p *page) Percent(n, of int) string {
	if of == 0 {
		return "—"
	}
	return strconv.Itoa(n*100/of) + "%"
}
