package i18n

// 民标 and 形式主义预警 computed in the background (snapshots): texts, in Chinese.
func init() {
	add(zh, map[string]string{
		"ui.score.snapshot_at":       "按 %s 的数据计算(未发布;后台每%d分钟重算)",
		"ui.score.snapshot_formula":  "公式已改为第%d版,本期(未发布)将在一分钟内按新公式重算;此处仍为第%d版的结果。",
		"ui.score.recompute":         "立即重算",
		"ui.score.recompute_hint":    "未发布期间的评分卡由后台任务计算。需要立即反映最新记录时,可请求重算(一分钟内开始)。",
		"ui.score.recompute_pending": "已于 %s 请求重算,后台任务一分钟内开始,完成后刷新本页即可。",
		"msg.score.recompute":        "已请求重算,后台任务将在一分钟内开始。",
		"ui.warn.snapshot_at":        "按 %s 的数据计算(后台每%d分钟重算);撤销立即生效。",
		"ui.warn.live":               "实时计算。",
		"ui.warn.stale":              "预警阈值已修改,预警将在一分钟内按新阈值重算;此处仍为按原阈值计算的结果。",
		"ui.warn.recompute":          "立即重算",
		"ui.warn.recompute_pending":  "已于 %s 请求重算,后台任务一分钟内开始,完成后刷新本页即可。",
		"msg.warn.recompute":         "已请求重算,后台任务将在一分钟内开始。",
	})
}
