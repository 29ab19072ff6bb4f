package i18n

func init() {
	add(en, map[string]string{
		"err.scrub.pixels":   "The image “%s” has too many pixels to open safely; scale it down and upload it again.",
		"err.scrub.polyglot": "The file “%s” hides an archive or web page code inside it and cannot be uploaded; upload the original file.",
	})
}
