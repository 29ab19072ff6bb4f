package i18n

// 学习教育: messages and UI texts, in Chinese.
func init() {
	add(zh, map[string]string{
		"err.study.title.required": "请填写标题。",
		"err.study.too_long":       "最多%d字。",
		"err.study.unit.required":  "请选择下发单位。",
		"err.study.unit.unknown":   "没有找到单位“%s”,或您无权在该单位下发学习任务。",
		"err.study.role":           "“%s”不是可选的对象角色。",
		"err.study.min_length":     "最少字数须为0至10000。",
		"err.study.due":            "截止日期格式不正确,请按“2026-12-01”填写。",
		"err.study.not_assigned":   "您不在这项学习任务的对象范围内。",
		"err.study.too_short":      "心得体会至少%d字(不含标点和空格),现在%d字。",
		"err.study.threshold":      "相似度阈值须为1至1000(千分比)。",
		"err.study.decision":       "请选择认定结论:确属抄袭,或撤销标记。",
		"err.study.note.required":  "请写明认定理由。",
		"err.study.encoding":       "文本不是有效的UTF-8编码,请另存为UTF-8后再上传。",
		"err.study.ref_short":      "范文太短,至少%d字。",
	})
}
