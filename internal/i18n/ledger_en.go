package i18n

func init() {
	add(en, map[string]string{
		"err.attach.name":      "The file name is not valid; rename the file and upload it again.",
		"err.attach.type":      "Files like “%s” cannot be uploaded; accepted types: %s.",
		"err.attach.empty":     "The file “%s” is empty.",
		"err.attach.too_large": "The file “%s” is too large; each file may be at most %d MB.",
		"err.attach.content":   "The content of “%s” does not match its extension; upload the original file.",

		"err.problem.title.required":          "Enter a title for the problem.",
		"err.problem.measures.required":       "Enter the corrective measures (one of the three fixes).",
		"err.problem.responsible.required":    "Name the responsible person (one of the three fixes).",
		"err.problem.deadline.required":       "Enter the deadline (one of the three fixes).",
		"err.problem.unit_code.required":      "Choose the responsible unit.",
		"err.problem.note.required":           "Enter a note.",
		"err.problem.reason.required":         "Give the reason for the extension.",
		"err.problem.mech_title.required":     "Enter the title of the rule or system established.",
		"err.problem.mech_doc_no.required":    "Enter the document number of the rule.",
		"err.problem.origin_ref.required":     "Enter the number of the originating record.",
		"err.problem.filter_name.required":    "Give the filter a name.",
		"err.problem.description.required":    "Describe the problem.",
		"err.problem.close_standard.required": "Explain how the closing standard is met.",
		"err.problem.too_long":                "Too long: at most %d characters.",
		"err.problem.tag_too_long":            "A tag may have at most %d characters.",
		"err.problem.tags":                    "At most %d tags.",
		"err.problem.source":                  "Unknown source; choose self-check, inspection, citizen report, bad rating, lead or other.",
		"err.problem.class":                   "Unknown class; choose immediate, by deadline or long-term.",
		"err.problem.severity":                "Unknown severity; choose normal, serious or grave.",
		"err.problem.origin":                  "Unknown originating record type; choose report, lead, rating or project.",
		"err.problem.unit_code.unknown":       "Unit “%s” was not found, or you may not record problems for it.",
		"err.problem.responsible.unknown":     "User “%s” was not found.",
		"err.problem.responsible.disabled":    "User “%s” is disabled and cannot be responsible.",
		"err.problem.responsible.outside":     "%s does not belong to “%s” or a unit below it and cannot be responsible for this problem.",
		"err.problem.deadline.format":         "The deadline is not a date we can read; write it as 2026-03-01.",
		"err.problem.deadline.past":           "The deadline cannot be before today (%s).",
		"err.problem.deadline.far":            "The deadline cannot be more than 5 years away; split long work into stages.",
		"err.problem.state":                   "This step is not possible at the problem's current stage; reload the page to see its state.",
		"err.problem.verify_role":             "Only inspectors or the leader of a parent unit may decide closing and look-back reviews.",
		"err.problem.verify_own":              "You cannot verify a problem you are responsible for, reported progress on or asked to close.",
		"err.problem.decide_role":             "Only the deputy or the leader may decide an extension.",
		"err.problem.decide_own":              "You cannot decide your own extension request.",
		"err.problem.percent":                 "Progress must be a whole number from 0 to 100.",
		"err.problem.percent_down":            "Progress cannot go below the last reported %d%%.",
		"err.problem.no_evidence":             "Upload evidence (files, photos or documents) before asking to close.",
		"err.problem.mechanism.required":      "A long-term problem needs its lasting mechanism (rule title, document number, issue date) before it can close.",
		"err.problem.mech_issued_on.format":   "The rule's issue date is not a date we can read; write it as 2026-03-01.",
		"err.problem.mech_issued_on.future":   "The rule's issue date cannot be in the future.",
		"err.problem.reviewed":                "The look-back review of this problem is already done.",
		"err.problem.extension_pending":       "An extension request is already waiting for a decision.",
		"err.problem.extension_limit":         "This problem has been extended %d times, the limit; no further extension is possible.",
		"err.problem.extension_earlier":       "The new deadline must be after the current one (%s).",
		"err.problem.no_extension":            "There is no extension request to decide.",
		"err.problem.supervise_days":          "The supervision report interval must be 1 to 90 days.",
		"err.problem.not_supervised":          "This problem is not under named supervision.",
		"err.problem.too_many_files":          "At most %d files at a time.",
		"err.rules.range":                     "The value must be between %d and %d.",
		"err.filter.status":                   "Unknown status “%s”.",
		"err.filter.light":                    "Unknown light “%s”; use green, yellow or red.",
		"err.filter.date":                     "The date “%s” is not readable; write it as 2026-03-01.",
		"err.filter.sort":                     "Unknown sort order.",

		"msg.ledger.due_soon":     "%s %s: due on %s, %d working days left",
		"msg.ledger.due_today":    "%s %s: due today",
		"msg.ledger.overdue":      "%s %s: overdue by %d working days (deadline %s)",
		"msg.ledger.review_due":   "%s %s: look-back review due (%s)",
		"msg.ledger.more":         "%d more; see the problem ledger",
		"msg.ledger.digest_title": "Problem ledger reminders (%s): %d items need attention",
	})
}

func init() {
	add(en, map[string]string{
		"err.rules.number":               "Enter a whole number.",
		"ui.settings.ledger_rules":       "Problem ledger rules",
		"ui.settings.ledger_rules_intro": "Rules for the traffic lights, reminders and look-back reviews. Working days follow the working-day calendar (public holidays and swapped working days included).",
		"ui.rules.yellow_days":           "Yellow light within this many working days of the deadline",
		"ui.rules.lag_points":            "Yellow light when progress lags the time elapsed by more than this many points",
		"ui.rules.remind_days":           "Remind the responsible person this many working days ahead",
		"ui.rules.grace_days":            "Tell the parent unit's inspectors after this many working days late",
		"ui.rules.max_extensions":        "Most extensions per problem",
		"ui.rules.review_immediate":      "Immediate fixes: look-back this many days after closing",
		"ui.rules.review_deadline":       "Fixes by a deadline: look-back this many days after closing",
		"ui.rules.review_longterm":       "Long-term fixes: look-back this many days after closing",
	})
}

func init() {
	add(en, map[string]string{
		"err.date.format":   "“%s” is not a date we can read: write it as 2026-03-01 (not “end of next month”, “tomorrow” and the like).",
		"err.date.invalid":  "The date “%s” does not exist; check the year, month and day.",
		"err.calendar.name": "The name may have at most %d characters and no line breaks.",
	})
}
