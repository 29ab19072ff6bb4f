package i18n

// 群众点单: messages and UI texts, in English.
func init() {
	add(en, map[string]string{
		"err.need.unit_required":      "Choose the unit the need is for.",
		"err.need.unit_unknown":       "No unit \"%s\" was found; choose one from the list.",
		"err.need.body_required":      "Describe what you need.",
		"err.need.status":             "The status filter is not valid.",
		"err.need.voted":              "This support has already been counted, thank you.",
		"err.need.not_open":           "This need has been answered and takes no more support or orders.",
		"err.need.follow":             "The receipt or the key is not right; check them and try again.",
		"err.need.reason_required":    "Give the reason for not taking the need; the public will see it.",
		"err.project.body.required":   "Describe what you need.",
		"err.project.place.required":  "Give the place.",
		"err.project.answer.required": "Give the reason.",
	})
}
