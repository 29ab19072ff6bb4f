package i18n

// 我为群众办实事: messages and UI texts, in Chinese.
func init() {
	add(zh, map[string]string{
		"err.project.state":              "项目当前状态下不能进行这一步。",
		"err.project.title.required":     "请填写项目名称。",
		"err.project.unit_code.required": "请选择责任单位。",
		"err.project.leader.required":    "请填写牵头领导(用户名)。",
		"err.project.handler.required":   "请填写具体经办人(用户名)。",
		"err.project.what.required":      "请填写节点内容。",
		"err.project.too_long":           "最多%d字。",
		"err.project.area":               "请选择项目领域。",
		"err.project.date":               "日期格式不正确,请按“2026-12-01”填写。",
		"err.project.end_before_start":   "结束日期不能早于开始日期。",
		"err.project.weight":             "节点权重须为1至100。",
		"err.project.score":              "评分须为1至10分。",
		"err.project.evaluation":         "请按质量、成效两项逐项评分。",
		"err.project.comment.required":   "每项评分都要写评价意见。",
		"err.project.person":             "“%s”不是%s或其下属单位的在岗人员。",
		"err.project.unit_code.unknown":  "没有找到单位“%s”,或不在您的管理范围内。",
		"err.project.evidence.required":  "标记节点完成必须上传佐证材料。",
		"err.project.milestone_done":     "该节点已经完成。",
		"err.project.evaluate_instead":   "项目已完成,下一步是督导评估。",
		"err.project.no_milestones":      "项目还没有任何节点,不能标记完成。",
		"err.project.milestones_open":    "节点“%s”尚未完成并上传佐证,项目不能标记完成。",
		"err.project.no_rating":          "项目还没有收到群众评价,不能评估。",
		"err.rating.token":               "评价页面已失效,请刷新页面后重新评价。",
		"err.rating.token_used":          "这次评价已经提交过了。",
	})
}
