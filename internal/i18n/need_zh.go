package i18n

// 群众点单: messages and UI texts, in Chinese.
func init() {
	add(zh, map[string]string{
		"err.need.unit_required":      "请选择向哪个单位点单。",
		"err.need.unit_unknown":       "没有找到单位“%s”,请从列表中选择。",
		"err.need.body_required":      "请写明您的需求。",
		"err.need.status":             "状态筛选不正确。",
		"err.need.voted":              "这次支持已经记下了,谢谢。",
		"err.need.not_open":           "该需求已有答复,不再接受支持或接单。",
		"err.need.follow":             "查询编码或密钥不正确,请核对后重试。",
		"err.need.reason_required":    "请写明不予接单的理由,理由会向群众公开。",
		"err.project.body.required":   "请写明您的需求。",
		"err.project.place.required":  "请填写地点。",
		"err.project.answer.required": "请写明理由。",
	})
}
