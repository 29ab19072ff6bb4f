package api

import (
	"net/http"
	"strconv"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
)

// The 晴雨表 (dashboard) of the problem ledger: the same figures as the page
// /dashboard, each with the query that lists its items.

func (s *server) registerProblemDashboard(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/problems/dashboard", s.problemDashboard)
}

func (s *server) problemDashboard(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	b, err := s.Ledger.Dashboard(r.Context(), p, r.URL.Query().Get("unit"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// dashboardDoc adds the dashboard to the OpenAPI document.
func dashboardDoc(paths, schemas obj) {
	paths["/api/v1/problems/dashboard"] = obj{
		"get": op("getProblemDashboard", "problems", "The 晴雨表 (dashboard) of a unit's subtree: counts by status, light, class and source, "+
			"the overdue ranking of the unit's direct children and recorded-vs-closed per ISO week, over the items the principal may list. "+
			"Every figure carries the query of GET /api/v1/problems that lists exactly its items",
			[]any{query("unit", "unit code; default: the top of the principal's ledger read scope (else their own unit)", obj{"type": "string"})},
			nil, obj{"200": ok("the figures", "ProblemDashboard")}, "404"),
	}
	figure := schemaRef("DashboardFigure")
	figures := obj{"type": "array", "items": figure}
	schemas["DashboardFigure"] = object([]string{"key", "count", "query"}, obj{
		"key":   str("what is counted: a status, light, class or source value, or total, active, overdue, supervised, created, closed"),
		"count": integer("number of items"),
		"query": str("query string for GET /api/v1/problems (and the page /problems) listing exactly these items"),
	})
	schemas["DashboardChild"] = object([]string{"unit_code", "unit_name", "own", "total", "active", "overdue"}, obj{
		"unit_code": str("the child unit (or, when own, the chosen unit)"),
		"unit_name": str("its name"),
		"own":       boolean("true: the chosen unit's own items, without its children's (the last row)"),
		"total":     figure,
		"active":    figure,
		"overdue":   figure,
	})
	schemas["DashboardWeek"] = object([]string{"week", "from", "to", "created", "closed"}, obj{
		"week":    str("ISO week, e.g. 2026-W45"),
		"from":    obj{"type": "string", "format": "date", "description": "its Monday"},
		"to":      obj{"type": "string", "format": "date", "description": "its Sunday"},
		"created": figure,
		"closed":  figure,
	})
	schemas["ProblemDashboard"] = object([]string{"unit_code", "unit_name", "today", "total", "active", "overdue", "supervised",
		"by_status", "by_light", "by_class", "by_source", "children", "weeks"}, obj{
		"unit_code":   str("the unit whose subtree is counted"),
		"unit_name":   str("its name"),
		"parent_code": str("the unit above, when the principal may see it"),
		"today":       obj{"type": "string", "format": "date", "description": "the day the figures are of (China time)"},
		"total":       figure,
		"active":      obj{"$ref": "#/components/schemas/DashboardFigure", "description": "items owing work: open, in_progress, reopened"},
		"overdue":     obj{"$ref": "#/components/schemas/DashboardFigure", "description": "active items with a red light"},
		"supervised":  obj{"$ref": "#/components/schemas/DashboardFigure", "description": "items under named supervision (挂牌督办)"},
		"by_status":   figures,
		"by_light":    obj{"type": "array", "items": figure, "description": "the active items by light"},
		"by_class":    figures,
		"by_source":   figures,
		"children":    obj{"type": "array", "items": schemaRef("DashboardChild"), "description": "direct child units, most overdue first, each counted over its subtree; the unit's own items last"},
		"weeks":       obj{"type": "array", "items": schemaRef("DashboardWeek"), "description": fmtWeeks},
	})
}

var fmtWeeks = "the last " + strconv.Itoa(ledger.Weeks) + " ISO weeks (China time), oldest first: items recorded in the week, and items closed (销号) in it that are still closed"
