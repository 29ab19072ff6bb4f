package i18n

// 民标 and 形式主义预警 computed in the background (snapshots): texts, in English.
func init() {
	add(en, map[string]string{
		"ui.score.snapshot_at":       "Computed from the records as of %s (not published; recomputed every %d minutes)",
		"ui.score.snapshot_formula":  "The formula is now version %d: this unpublished period is recomputed with it within a minute; what you see still comes from version %d.",
		"ui.score.recompute":         "Recompute now",
		"ui.score.recompute_hint":    "The cards of unpublished periods are computed by a background job. To see the latest records now, ask for a recompute (it starts within a minute).",
		"ui.score.recompute_pending": "Recompute requested at %s: the job starts within a minute; reload this page when it is done.",
		"msg.score.recompute":        "Recompute requested: the background job starts within a minute.",
		"ui.warn.snapshot_at":        "Computed from the records as of %s (recomputed every %d minutes); dismissals apply at once.",
		"ui.warn.live":               "Computed now.",
		"ui.warn.stale":              "The thresholds changed: the flags are recomputed with them within a minute; what you see still uses the previous thresholds.",
		"ui.warn.recompute":          "Recompute now",
		"ui.warn.recompute_pending":  "Recompute requested at %s: the job starts within a minute; reload this page when it is done.",
		"msg.warn.recompute":         "Recompute requested: the background job starts within a minute.",
	})
}
