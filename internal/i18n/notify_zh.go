package i18n

func init() {
	add(zh, map[string]string{
		"msg.notify.footer":     "此消息由落实平台自动发送,请登录平台处理。",
		"msg.notify.test_title": "落实平台 · 机器人测试消息",
		"msg.notify.test_line":  "“%s”的通知机器人配置正确,可以收到台账提醒。",

		"err.notify.webhook.kind":         "请选择机器人类型:钉钉、企业微信或飞书。",
		"err.notify.webhook.url":          "请填写机器人的完整 Webhook 地址(以 https:// 开头)。",
		"err.notify.webhook.url_too_long": "Webhook 地址过长,最多 %d 个字符。",
		"err.notify.webhook.https":        "Webhook 地址必须以 https:// 开头:地址中含有机器人的令牌,不能明文传输。",
		"err.notify.webhook.wecom_secret": "企业微信群机器人没有签名密钥,请留空。",
		"err.notify.webhook.secret":       "签名密钥不能含空格或换行,且不超过 %d 个字符。",
		"err.notify.webhook.limit":        "一个单位最多配置 %d 个机器人,请先删除不用的机器人。",
		"err.notify.webhook.test_failed":  "测试消息未送达:%s",
		"err.notify.email":                "邮箱地址格式不正确,请填写如 zhangsan@example.gov.cn 的地址;留空表示不接收邮件提醒。",
	})
}
