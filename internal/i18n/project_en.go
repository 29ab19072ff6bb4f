package i18n

// 我为群众办实事: messages and UI texts, in English.
func init() {
	add(en, map[string]string{
		"err.project.state":              "This step does not apply to the project now.",
		"err.project.title.required":     "Enter the project's title.",
		"err.project.unit_code.required": "Choose the responsible unit.",
		"err.project.leader.required":    "Enter the leading official (username).",
		"err.project.handler.required":   "Enter the person in charge (username).",
		"err.project.what.required":      "Say what the milestone is.",
		"err.project.too_long":           "At most %d characters.",
		"err.project.area":               "Choose the project's area.",
		"err.project.date":               "Write the date as 2026-12-01.",
		"err.project.end_before_start":   "The end cannot be before the start.",
		"err.project.weight":             "A milestone's weight is from 1 to 100.",
		"err.project.score":              "Scores are from 1 to 10.",
		"err.project.evaluation":         "Score both items: quality and effect.",
		"err.project.comment.required":   "Every score needs a comment.",
		"err.project.person":             "“%s” is not an active member of %s or a unit below it.",
		"err.project.unit_code.unknown":  "No unit “%s” within your reach.",
		"err.project.evidence.required":  "A milestone is marked done only with its evidence file.",
		"err.project.milestone_done":     "This milestone is already done.",
		"err.project.evaluate_instead":   "The project is done; the next step is the supervisor's evaluation.",
		"err.project.no_milestones":      "The project has no milestones yet and cannot be marked done.",
		"err.project.milestones_open":    "The milestone “%s” is not done with evidence yet; the project cannot be marked done.",
		"err.project.no_rating":          "The project has no public rating yet and cannot be evaluated.",
		"err.rating.token":               "This rating page has expired; reload it and rate again.",
		"err.rating.token_used":          "This rating has already been sent.",
	})
}
