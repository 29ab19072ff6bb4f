package i18n

// Hardening: limits and refusals, in English.
func init() {
	add(en, map[string]string{
		"ui.harden.too_large":       "Request too large",
		"err.harden.body_too_large": "What was sent is larger than allowed; it was not accepted.",
	})
}
