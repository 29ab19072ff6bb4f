package i18n

// Search, hot issues, routing suggestions: messages and UI texts, in English.
func init() {
	add(en, map[string]string{
		"err.search.too_long": "A search is at most %d characters.",
		"err.search.type":     "There is no such kind of item to search.",
		"err.search.unit":     "No unit “%s” was found, or it is outside your scope.",

		"ui.search.title":          "Search",
		"ui.search.box":            "Search problems, leads, projects, ratings",
		"ui.search.q":              "Search for",
		"ui.search.type":           "Kind",
		"ui.search.any_type":       "All",
		"ui.search.unit":           "Unit code",
		"ui.search.go":             "Search",
		"ui.search.hint":           "Words separated by spaces must all occur; characters written together match together (拆迁补偿); quotes keep spaces inside a phrase. Two characters are enough (拆迁, 噪音); numbers, names and mixed terms work too (A3区 一米阳光).",
		"ui.search.empty":          "Nothing matches.",
		"ui.search.more":           "Many results: only the 50 most recently changed are shown. Add a word to narrow the search.",
		"ui.search.sealed_skipped": "Report text is stored encrypted and can only be searched by terms of two or more characters; only the other items were searched.",
		"ui.search.kind.problem":   "Ledger item",
		"ui.search.kind.report":    "Report / lead",
		"ui.search.kind.project":   "Project",
		"ui.search.kind.rating":    "Rating",

		"err.search.day":    "Write the date as 2026-12-01.",
		"err.search.period": "The first day cannot be after the last.",
		"ui.hot.title":      "Hot issues",
		"ui.hot.from":       "From",
		"ui.hot.to":         "to",
		"ui.hot.go":         "Show",
		"ui.hot.hint":       "The %d reports received in the period, grouped by similar content into matters; only matters raised two or more times are shown, most supported first. Grouping is a hint: merging stays the handler's decision.",
		"ui.hot.capped":     "Too many reports in the period: only the newest 3,000 were grouped.",
		"ui.hot.issue":      "Matter (representative title)",
		"ui.hot.count":      "Reports",
		"ui.hot.support":    "Support",
		"ui.hot.span":       "Time span",
		"ui.hot.units":      "Units",
		"ui.hot.reports":    "Reports",
		"ui.hot.empty":      "No matter was raised more than once in the period.",

		"ui.routing.unit":            "Routing suggestion: %s (%s), confidence %s.",
		"ui.routing.category":        "Category probably “%s” (%s).",
		"ui.routing.accept":          "It is filled in below: assign, or choose another unit or kind of matter; your assignment is learned from next time.",
		"ui.routing.unsure":          "Routing: not confident enough (below %s): please decide.",
		"ui.routing.no_model":        "Routing: too few assigned leads yet to suggest anything.",
		"err.search.train_forbidden": "Only administrators and discipline staff may retrain the routing models.",
	})
}
