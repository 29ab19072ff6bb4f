package i18n

// Study (学习教育): messages and UI texts, in English.
func init() {
	add(en, map[string]string{
		"err.study.title.required": "Please enter a title.",
		"err.study.too_long":       "At most %d characters.",
		"err.study.unit.required":  "Please choose the issuing unit.",
		"err.study.unit.unknown":   "Unit %q was not found, or you may not issue study tasks there.",
		"err.study.role":           "%q is not a role a task can be limited to.",
		"err.study.min_length":     "The minimum length must be between 0 and 10000.",
		"err.study.due":            "The due date is not valid; write it as 2026-12-01.",
		"err.study.not_assigned":   "You are not in this study task's audience.",
		"err.study.too_short":      "A reflection needs at least %d characters (punctuation and spaces not counted); this one has %d.",
		"err.study.threshold":      "The similarity threshold must be between 1 and 1000 (per mille).",
		"err.study.decision":       "Please choose a decision: a copy, or clear the flag.",
		"err.study.note.required":  "Please give the reason for the decision.",
		"err.study.encoding":       "The text is not valid UTF-8; save it as UTF-8 and upload again.",
		"err.study.ref_short":      "The reference text is too short: at least %d characters.",
	})
}
