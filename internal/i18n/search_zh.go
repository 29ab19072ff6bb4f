package i18n

// 检索, 热点问题, 智能分办: messages and UI texts, in Chinese.
func init() {
	add(zh, map[string]string{
		"err.search.too_long": "检索词最多%d字。",
		"err.search.type":     "没有这种检索类别。",
		"err.search.unit":     "没有找到单位“%s”,或不在您的管理范围内。",

		"ui.search.title":          "检索",
		"ui.search.box":            "检索问题、线索、项目、评价",
		"ui.search.q":              "检索词",
		"ui.search.type":           "类别",
		"ui.search.any_type":       "全部",
		"ui.search.unit":           "单位代码",
		"ui.search.go":             "检索",
		"ui.search.hint":           "多个词用空格分开,须同时出现;连写的词按原样连续匹配(如“拆迁补偿”),加引号可包含空格。两个字即可检索(如“拆迁”“噪音”),也可输入编号、姓名、数字(如“A3区 一米阳光”)。",
		"ui.search.empty":          "没有找到匹配的内容。",
		"ui.search.more":           "结果较多,只显示最近更新的50条,请加词缩小范围。",
		"ui.search.sealed_skipped": "举报线索正文加密存储,只能按两个字及以上的词检索;本次只检索了其他内容。",
		"ui.search.kind.problem":   "问题台账",
		"ui.search.kind.report":    "举报线索",
		"ui.search.kind.project":   "办实事项目",
		"ui.search.kind.rating":    "好差评",

		"err.search.day":    "日期格式不正确,请按“2026-12-01”填写。",
		"err.search.period": "开始日期不能晚于结束日期。",
		"ui.hot.title":      "热点问题",
		"ui.hot.from":       "自",
		"ui.hot.to":         "至",
		"ui.hot.go":         "查看",
		"ui.hot.hint":       "按内容相似度把期间内收到的%d件举报归并为同一事项;只显示两件及以上的事项,按群众关注度排列。归并是提示,并案仍由承办人决定。",
		"ui.hot.capped":     "期间内举报过多,只归并了最近的3000件。",
		"ui.hot.issue":      "事项(代表性标题)",
		"ui.hot.count":      "件数",
		"ui.hot.support":    "关注度",
		"ui.hot.span":       "时间跨度",
		"ui.hot.units":      "涉及单位",
		"ui.hot.reports":    "举报",
		"ui.hot.empty":      "期间内没有重复反映的事项。",

		"ui.routing.unit":            "智能分办建议:交%s(%s)办理,置信度%s。",
		"ui.routing.category":        "类别可能为“%s”(%s)。",
		"ui.routing.accept":          "已预填在下方,可直接分办,也可改为其他单位或类别;您的分办结果会用于下次学习。",
		"ui.routing.unsure":          "智能分办:把握不足(低于%s),请人工判断。",
		"ui.routing.no_model":        "智能分办:已分办的线索还不够多,暂无建议。",
		"err.search.train_forbidden": "只有系统管理员或纪检人员可以重新训练分办模型。",
	})
}
