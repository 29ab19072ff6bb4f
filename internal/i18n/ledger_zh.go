package i18n

func init() {
	add(zh, map[string]string{
		"err.attach.name":      "文件名不正确,请改名后重新上传。",
		"err.attach.type":      "文件“%s”的类型不能上传;可上传的类型:%s。",
		"err.attach.empty":     "文件“%s”是空文件。",
		"err.attach.too_large": "文件“%s”太大,单个文件不能超过 %d MB。",
		"err.attach.content":   "文件“%s”的内容与扩展名不符,请上传原始文件。",

		"err.problem.title.required":          "请填写问题标题。",
		"err.problem.measures.required":       "请填写整改措施(“三定”之一:定整改措施)。",
		"err.problem.responsible.required":    "请指定责任人(“三定”之一:定责任人)。",
		"err.problem.deadline.required":       "请填写完成时限(“三定”之一:定完成时限)。",
		"err.problem.unit_code.required":      "请选择责任单位。",
		"err.problem.note.required":           "请填写说明。",
		"err.problem.reason.required":         "请填写延期理由。",
		"err.problem.mech_title.required":     "请填写所建立制度的名称。",
		"err.problem.mech_doc_no.required":    "请填写制度的文号。",
		"err.problem.origin_ref.required":     "选择了来源记录类型时,请填写来源记录编号。",
		"err.problem.filter_name.required":    "请给筛选条件起个名字。",
		"err.problem.description.required":    "请填写问题描述。",
		"err.problem.close_standard.required": "请说明销号标准如何达到。",
		"err.problem.too_long":                "内容过长,不能超过 %d 个字。",
		"err.problem.tag_too_long":            "标签不能超过 %d 个字。",
		"err.problem.tags":                    "标签最多 %d 个。",
		"err.problem.source":                  "问题来源无效,可选:自查自纠、督查巡察、群众反映、差评、线索转办、其他。",
		"err.problem.class":                   "整改类别无效,可选:立行立改、限期整改、长期整改。",
		"err.problem.severity":                "严重程度无效,可选:一般、较重、严重。",
		"err.problem.origin":                  "来源记录类型无效,可选:举报、线索、评价、项目。",
		"err.problem.unit_code.unknown":       "找不到责任单位“%s”,或您无权在该单位登记问题。",
		"err.problem.responsible.unknown":     "找不到用户“%s”。",
		"err.problem.responsible.disabled":    "用户“%s”已停用,不能作为责任人。",
		"err.problem.responsible.outside":     "%s 不在“%s”及其下级单位,不能作为该问题的责任人。",
		"err.problem.deadline.format":         "完成时限格式无法识别,请写成 2026-03-01 或 2026年3月1日。",
		"err.problem.deadline.past":           "完成时限不能早于今天(%s)。",
		"err.problem.deadline.far":            "完成时限不能超过 5 年,长期任务请分阶段登记。",
		"err.problem.state":                   "该问题当前所处的阶段不能进行此操作,请刷新页面查看最新状态。",
		"err.problem.verify_role":             "只有督察人员或上级单位的第一责任人可以审核销号和回头看。",
		"err.problem.verify_own":              "不能审核自己负责、自己报告进展或自己申请销号的问题。",
		"err.problem.decide_role":             "只有直接负责人或第一责任人可以审批延期。",
		"err.problem.decide_own":              "不能审批自己提出的延期申请。",
		"err.problem.percent":                 "整改进度应为 0 到 100 之间的整数。",
		"err.problem.percent_down":            "整改进度不能低于上次报告的 %d%%。",
		"err.problem.no_evidence":             "申请销号前必须上传整改佐证材料(文件、照片或文档)。",
		"err.problem.mechanism.required":      "长期整改问题须先录入建立的长效机制(制度名称、文号、印发日期)才能申请销号。",
		"err.problem.mech_issued_on.format":   "制度印发日期格式无法识别,请写成 2026-03-01 或 2026年3月1日。",
		"err.problem.mech_issued_on.future":   "制度印发日期不能晚于今天。",
		"err.problem.reviewed":                "该问题已经完成回头看。",
		"err.problem.extension_pending":       "已有一个延期申请等待审批。",
		"err.problem.extension_limit":         "该问题已延期 %d 次,达到上限,不能再申请延期。",
		"err.problem.extension_earlier":       "新的完成时限应晚于现在的完成时限(%s)。",
		"err.problem.no_extension":            "没有待审批的延期申请。",
		"err.problem.supervise_days":          "督办报告周期应为 1 到 90 天。",
		"err.problem.not_supervised":          "该问题没有挂牌督办。",
		"err.problem.too_many_files":          "一次最多上传 %d 个文件。",
		"err.rules.range":                     "该值应在 %d 到 %d 之间。",
		"err.filter.status":                   "状态“%s”无效。",
		"err.filter.light":                    "灯色“%s”无效,可选 green、yellow、red。",
		"err.filter.date":                     "日期“%s”无法识别,请写成 2026-03-01。",
		"err.filter.sort":                     "排序方式无效。",

		"msg.ledger.due_soon":     "%s %s:%s 到期,还剩 %d 个工作日",
		"msg.ledger.due_today":    "%s %s:今天到期",
		"msg.ledger.overdue":      "%s %s:已逾期 %d 个工作日(完成时限 %s)",
		"msg.ledger.review_due":   "%s %s:回头看已到期(%s)",
		"msg.ledger.more":         "另有 %d 项,请在问题台账中查看",
		"msg.ledger.digest_title": "问题台账提醒(%s):%d 项需要关注",
	})
}

func init() {
	add(zh, map[string]string{
		"err.rules.number":               "请填写整数。",
		"ui.settings.ledger_rules":       "问题台账规则",
		"ui.settings.ledger_rules_intro": "红黄绿灯、提醒和回头看的规则。工作日按工作日历计算(含法定节假日和调休)。",
		"ui.rules.yellow_days":           "距完成时限几个工作日内亮黄灯",
		"ui.rules.lag_points":            "进度落后于时间进度多少个百分点亮黄灯",
		"ui.rules.remind_days":           "提前几个工作日提醒责任人",
		"ui.rules.grace_days":            "逾期几个工作日后通报上级单位督察",
		"ui.rules.max_extensions":        "每个问题最多延期次数",
		"ui.rules.review_immediate":      "立行立改:销号后几天回头看",
		"ui.rules.review_deadline":       "限期整改:销号后几天回头看",
		"ui.rules.review_longterm":       "长期整改:销号后几天回头看",
	})
}

func init() {
	add(zh, map[string]string{
		"err.date.format":   "日期“%s”无法识别:请写成 2026-03-01 或 2026年3月1日(不能写“下月底”“明天”等说法)。",
		"err.date.invalid":  "日期“%s”不存在,请检查年月日。",
		"err.calendar.name": "名称不能超过 %d 个字,且不能换行。",
	})
}
