package i18n

// Hardening: limits and refusals, in Chinese.
func init() {
	add(zh, map[string]string{
		"ui.harden.too_large":       "提交内容过大",
		"err.harden.body_too_large": "提交的内容超过了允许的大小,未被接收。",
	})
}
