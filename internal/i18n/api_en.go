package i18n

// Messages of the JSON API, in English.
func init() {
	add(en, map[string]string{
		"err.api.method_not_allowed":  "This endpoint does not support the %s method.",
		"err.api.no_route":            "There is no such endpoint; see /api/v1/openapi.json.",
		"err.api.import_rows":         "%d rows have errors; no unit was imported. Correct them and import again.",
		"err.api.bool_invalid":        "The parameter %s must be true or false.",
		"err.api.patch_empty":         "The request names no field to change.",
		"err.api.json_empty":          "the body is empty",
		"err.api.json_not_object":     "the body must be one JSON object {…}",
		"err.api.json_trailing":       "there is more data after the JSON object, from byte %d",
		"err.api.json_syntax":         "syntax error at byte %d",
		"err.api.json_eof":            "the JSON ends too early",
		"err.api.json_type":           "the field %q must be a JSON %s (at byte %d)",
		"err.api.json_invalid":        "it cannot be parsed",
		"err.api.json_duplicate":      "The field %q appears more than once.",
		"err.api.content_type":        "The body must be JSON: send Content-Type: application/json (UTF-8).",
		"err.api.file_too_large":      "The file is too large; at most %d MB.",
		"err.api.file_missing":        "Upload the .xlsx file in the form field \"file\".",
		"err.api.import_content_type": "Upload an .xlsx file: Content-Type application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, or the field \"file\" of a multipart/form-data body.",
		"err.api.before_invalid":      "The parameter before must be a positive whole number (an audit entry's seq).",
		"err.api.time_invalid":        "The parameter %s must be an RFC 3339 time, such as 2026-01-02T15:04:05+08:00.",
	})
}
