package i18n

// UI texts of the 晴雨表 (dashboard) and the list filters it links with, in Chinese.
func init() {
	add(zh, map[string]string{
		"ui.nav.dashboard": "晴雨表",

		"err.dash.unit": "找不到单位“%s”,或您无权查看该单位。",

		"ui.dash.title":       "晴雨表",
		"ui.dash.hot_note":    "%s 至 %s 收到的 %d 件举报中,重复反映的事项(按群众关注度):",
		"ui.dash.hot_item":    "%d 件 · 关注度 %d",
		"ui.dash.hot_more":    "查看全部热点问题(另有 %d 项)",
		"ui.dash.hot_all":     "查看全部热点问题",
		"ui.dash.unit":        "单位",
		"ui.dash.show":        "查看",
		"ui.dash.up":          "上级单位",
		"ui.dash.note":        "统计范围:所选单位及其下级单位中您可查看的问题,截至 %s。点击任一数字可查看对应问题清单。",
		"ui.dash.items":       "问题",
		"ui.dash.total":       "问题总数",
		"ui.dash.active":      "在办问题",
		"ui.dash.overdue":     "超期(红灯)",
		"ui.dash.supervised":  "挂牌督办",
		"ui.dash.by_status":   "按状态",
		"ui.dash.by_light":    "在办问题亮灯情况",
		"ui.dash.by_class":    "按整改类别",
		"ui.dash.by_source":   "按问题来源",
		"ui.dash.ranking":     "下级单位超期排名",
		"ui.dash.rate":        "超期率",
		"ui.dash.sum":         "合计",
		"ui.dash.own_items":   "%s(本级)",
		"ui.dash.no_children": "该单位没有下级单位,也没有本级问题。",
		"ui.dash.weekly":      "近 12 周新增与销号",
		"ui.dash.week":        "周次",
		"ui.dash.created":     "新增",
		"ui.dash.closed":      "销号",

		"ui.problem.status.active": "在办(未销号)",
		"ui.problems.created_from": "登记日期 从",
		"ui.problems.created_to":   "登记日期 至",
		"ui.problems.closed_from":  "销号日期 从",
		"ui.problems.closed_to":    "销号日期 至",
		"ui.problems.only_direct":  "仅本级单位(不含下级)",
	})
}
