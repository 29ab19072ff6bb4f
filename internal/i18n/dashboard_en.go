package i18n

// UI texts of the dashboard (晴雨表) and the list filters it links with, in English.
func init() {
	add(en, map[string]string{
		"ui.nav.dashboard": "Dashboard",

		"err.dash.unit": "Unit “%s” was not found, or you may not see it.",

		"ui.dash.title":       "Dashboard",
		"ui.dash.hot_note":    "Received %s to %s: %d reports. Matters reported more than once, by public support:",
		"ui.dash.hot_item":    "%d reports · support %d",
		"ui.dash.hot_more":    "All hot issues (%d more)",
		"ui.dash.hot_all":     "All hot issues",
		"ui.dash.unit":        "Unit",
		"ui.dash.show":        "Show",
		"ui.dash.up":          "Units above",
		"ui.dash.note":        "Items of the chosen unit and the units below it that you may see, as of %s. Click any figure for its items.",
		"ui.dash.items":       "Items",
		"ui.dash.total":       "All items",
		"ui.dash.active":      "Active items",
		"ui.dash.overdue":     "Overdue (red)",
		"ui.dash.supervised":  "Under supervision",
		"ui.dash.by_status":   "By status",
		"ui.dash.by_light":    "Lights of the active items",
		"ui.dash.by_class":    "By class",
		"ui.dash.by_source":   "By source",
		"ui.dash.ranking":     "Overdue ranking of the units below",
		"ui.dash.rate":        "Overdue share",
		"ui.dash.sum":         "Total",
		"ui.dash.own_items":   "%s (own items)",
		"ui.dash.no_children": "This unit has no units below it and no items of its own.",
		"ui.dash.weekly":      "Recorded and closed, last 12 weeks",
		"ui.dash.week":        "Week",
		"ui.dash.created":     "Recorded",
		"ui.dash.closed":      "Closed",

		"ui.problem.status.active": "Active (not closed)",
		"ui.problems.created_from": "Recorded from",
		"ui.problems.created_to":   "Recorded to",
		"ui.problems.closed_from":  "Closed from",
		"ui.problems.closed_to":    "Closed to",
		"ui.problems.only_direct":  "This unit only (not the units below)",
	})
}
