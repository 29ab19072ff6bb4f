package i18n

func init() {
	add(en, map[string]string{
		"msg.notify.footer":     "Sent automatically by luoshi; sign in to deal with it.",
		"msg.notify.test_title": "luoshi · robot test message",
		"msg.notify.test_line":  "The notification robot of “%s” is set up correctly and will receive ledger reminders.",

		"err.notify.webhook.kind":         "Choose the robot type: DingTalk, WeCom or Feishu.",
		"err.notify.webhook.url":          "Enter the robot's full webhook address (starting with https://).",
		"err.notify.webhook.url_too_long": "The webhook address is too long: at most %d characters.",
		"err.notify.webhook.https":        "The webhook address must start with https://: it carries the robot's token, which must not travel in clear.",
		"err.notify.webhook.wecom_secret": "WeCom group robots have no signing secret; leave it empty.",
		"err.notify.webhook.secret":       "The signing secret may not contain spaces or line breaks and has at most %d characters.",
		"err.notify.webhook.limit":        "A unit may have at most %d robots; delete one you no longer use first.",
		"err.notify.webhook.test_failed":  "The test message was not delivered: %s",
		"err.notify.email":                "That email address is not valid; enter one like zhangsan@example.gov.cn, or leave it empty to receive no email reminders.",
	})
}
