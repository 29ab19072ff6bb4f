package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
)

// routedSeeds are invented reports about 东城区's organs, each assigned (分办)
// to the department that handled it. They are the history the routing
// models (智能分办) learn from, so that the demo's newer leads show a
// suggested category and department. Several wordings per department: the
// model must learn the matter, not one sentence.
var routedSeeds = []struct {
	dept, category, subject, content string
}{
	{"fy-1", "work", "立案窗口拒收起诉材料", "到区法院立案庭递交起诉状,窗口工作人员不说理由就拒收,也不出具书面凭证。"},
	{"fy-1", "inaction", "网上立案一个月没有审核", "通过网上诉讼服务平台提交立案申请已经一个多月,一直显示待审核,打立案庭电话没人接。"},
	{"fy-1", "work", "立案登记要求提供不必要的证明", "立案庭要求我提供居委会开具的证明才给登记立案,法律上并没有这个要求。"},
	{"fy-1", "work", "不调解就不给立案", "去法院起诉,立案庭工作人员一直劝我先去调解,说不调解就不给立案。"},
	{"fy-1", "inaction", "缓交诉讼费申请无人处理", "我是低保户,在立案时申请缓交诉讼费,交了材料后再没人理,案子也没有立上。"},
	{"fy-2", "interfere", "刑事案件开庭一再延期", "我父亲被打伤的刑事案件,刑事审判庭已经三次推迟开庭,被告人家属却说他们上面有人。"},
	{"fy-2", "misconduct", "审判长庭审时打断被害人陈述", "刑事案件庭审中,审判长多次打断被害人发言,不让我们把话说完就宣布休庭。"},
	{"fy-2", "contact", "刑庭法官私下会见被告人家属", "看见审理我们刑事案件的法官在饭店和被告人家属一起吃饭,之后判决明显偏轻。"},
	{"fy-2", "work", "刑事判决书送达超期", "刑事案件宣判两个多月了,一直没有收到判决书,耽误了我们申请抗诉。"},
	{"fy-2", "work", "判处缓刑没有通知被害人", "打人的被告人被判了缓刑,法院没有通知我们被害人,是在村里听别人说的。"},
	{"fy-3", "inaction", "执行案件两年没有进展", "胜诉两年,申请强制执行后执行局一直说被执行人没有财产,可他天天开着新车。"},
	{"fy-3", "inaction", "执行款迟迟不发放", "执行局已经扣划了被执行人的存款,但半年了执行款还没有转给我这个申请执行人。"},
	{"fy-3", "shares", "执行法官收受被执行人好处", "听说执行法官收了被执行人的烟酒,已经查封的房子又被解封了。"},
	{"fy-3", "work", "终结本次执行程序没有告知", "执行局没有告诉我就裁定终结本次执行程序,我事后查询才知道。"},
	{"fy-3", "interfere", "司法拍卖价格明显偏低", "执行局拍卖被执行人的房产,评估价远低于市场价,怀疑有人串通压价。"},
	{"ga-1", "inaction", "夜市噪音扰民报警无人处理", "小区楼下夜市每天吵到凌晨两点,多次报警,治安大队来了一次就再没管过。"},
	{"ga-1", "inaction", "棋牌室聚众赌博无人查处", "街口一家棋牌室长期聚众赌博,举报给治安大队以后照常营业。"},
	{"ga-1", "misconduct", "治安罚款不开票据", "因为一起邻里纠纷被治安大队罚款五百元,当场交的现金,没有给任何票据。"},
	{"ga-1", "contact", "治安调解偏袒一方", "邻里打架,治安大队民警调解时明显偏向对方,对方说民警是他的朋友。"},
	{"ga-1", "misconduct", "扣押电动车交了罚款不归还", "电动车被治安民警扣押,说交罚款后归还,交了钱车还是拿不回来。"},
	{"ga-2", "inaction", "被电信诈骗报案后没有立案", "我被网络刷单骗了四万元,到刑侦大队报案三个月,没有立案也没有给回执。"},
	{"ga-2", "interfere", "故意伤害嫌疑人抓了又放", "打伤我儿子的人被刑侦大队抓了又放了,说证据不足,但现场明明有监控。"},
	{"ga-2", "shares", "刑警向报案人索要办案经费", "刑警说要去外地抓捕嫌疑人,让我们先出差旅费,说不出钱就办不了。"},
	{"ga-2", "inaction", "盗窃案半年没有进展", "家里被盗已经半年,刑侦大队从没告诉过我们案件侦查进展。"},
	{"ga-2", "misconduct", "侦查民警泄露报案人信息", "我报案举报的事,对方第二天就知道是我报的,怀疑刑侦民警泄露了报案人信息。"},
	{"ga-3", "work", "户口迁移跑了五趟", "到城关派出所办户口迁入,材料齐全却让我跑了五趟,每次说法都不一样。"},
	{"ga-3", "misconduct", "派出所户籍窗口辅警态度粗暴", "在城关派出所户籍窗口,辅警对老人大声训斥,还不让我们拍照。"},
	{"ga-3", "business", "民警入股辖区洗浴中心", "城关派出所有民警入股辖区一家洗浴中心,那里常有违法活动却从不检查。"},
	{"ga-3", "inaction", "报警后四十分钟才出警", "夜里家门口有人打架,打110报警四十分钟后城关派出所才来人。"},
	{"ga-3", "work", "开无犯罪记录证明被刁难", "到城关派出所开无犯罪记录证明,民警说要单位介绍信,其他派出所都不需要。"},
	{"jc-1", "contact", "检察官私下会见被告人家属", "第一检察部的检察官在审查起诉期间多次和被告人家属私下见面吃饭。"},
	{"jc-1", "interfere", "不起诉决定没有说明理由", "打伤我的人被检察院决定不起诉,检察官没有向我们被害人说明任何理由。"},
	{"jc-1", "interfere", "打过招呼就不批捕", "嫌疑人家属说已经找人给检察院打过招呼,不会批准逮捕,结果真的没有批捕。"},
	{"jc-1", "shares", "检察官收受当事人红包", "听说办理我们审查起诉案件的检察官收过对方两万元红包。"},
	{"jc-1", "work", "被害人没有收到权利告知", "案件到了检察院审查起诉阶段,我作为被害人没有收到任何诉讼权利告知书。"},
	{"jc-2", "inaction", "申诉材料寄出两个月没有回复", "两个月前向区检察院控告申诉检察部寄了申诉材料,没有任何回复。"},
	{"jc-2", "work", "12309检察服务热线打不通", "连续一周拨打12309检察服务热线,一直无人接听。"},
	{"jc-2", "inaction", "检察院来访接待推诿", "到检察院来访接待室反映问题,接待人员说不归他们管,让我去找法院。"},
	{"jc-2", "inaction", "司法救助申请久拖不办", "向检察院申请国家司法救助半年了,控告申诉部门一直说还在审批。"},
	{"jc-2", "misconduct", "控告信到了被控告人手里", "我写给检察院的控告信,不知道怎么到了被控告人手里,现在对方找上门来。"},
	{"sf-1", "commutation", "社区矫正对象经常外出", "邻居是社区矫正对象,经常去外省做生意,司法所和社区矫正科从来不管。"},
	{"sf-1", "commutation", "矫正对象签到由别人代签", "社区矫正对象从来不参加社区服务,每周签到都是别人代签的。"},
	{"sf-1", "commutation", "监外执行人员天天打篮球", "一名以生病为由暂予监外执行的人天天在广场打篮球,身体好得很。"},
	{"sf-1", "shares", "收钱后不用戴定位手环", "听说社区矫正科有人收了矫正对象的钱,允许他不戴电子定位手环。"},
	{"sf-1", "commutation", "矫正期间又放高利贷", "社区矫正期间的人又在村里放高利贷,社区矫正科的人知道也不管。"},
	{"sf-2", "work", "法律援助律师不会见当事人", "法律援助中心指派的律师一次都没有会见我儿子,开庭前才匆匆看了材料。"},
	{"sf-2", "work", "法律援助被拒没有书面决定", "申请法律援助被口头拒绝,我要求给书面决定,工作人员说没有这个东西。"},
	{"sf-2", "inaction", "农民工讨薪法律援助拖延", "我们十几个农民工申请法律援助讨要工资,一个月了还没有指派律师。"},
	{"sf-2", "shares", "援助律师向受援人收费", "法律援助律师说是免费的,后来又以交通费的名义收了我三千元。"},
	{"sf-2", "work", "12348热线答复敷衍", "打12348公共法律服务热线咨询工伤赔偿,接线员说去问律师就挂了电话。"},
}

// waitingSeeds are newer reports about 东城区's organs, registered and
// waiting for their 分办: their pages show the suggestions. The second was
// filed under a category that fits it badly, so the suggestion corrects it.
var waitingSeeds = []struct {
	organ, category, subject, content string
}{
	{"fy", "inaction", "判决生效半年执行没有动静", "法院判决生效半年了,申请强制执行后执行法官一次也没有联系我,被执行人还在转移财产。"},
	{"ga", "misconduct", "办身份证来回跑了四趟", "到城关派出所户籍窗口给孩子办身份证,材料齐全却让我们跑了四趟,每次说法都不一样,希望能一次告知清楚。"},
	{"sf", "commutation", "矫正对象晚上常在外面喝酒", "我们楼里的社区矫正对象晚上经常在外面喝酒到半夜,矫正工作人员从来不来查。"},
}

// LoadRouting files routedSeeds against 东城区's organs months ago, and
// registers, assigns to the department, verifies and concludes each, so
// they are closed history; then files and registers waitingSeeds. It
// returns how many reports were filed.
func LoadRouting(ctx context.Context, db *store.DB, r *report.Reports, l *ledger.Ledger) (int, error) {
	real := time.Now()
	defer func() { r.Clock, l.Clock = time.Now, time.Now }()
	at := func(daysAgo int) {
		t := real.AddDate(0, 0, -daysAgo)
		r.Clock, l.Clock = func() time.Time { return t }, func() time.Time { return t }
	}
	jj, err := principal(ctx, db, "discipline")
	if err != nil {
		return 0, err
	}
	n := 0
	for i, s := range routedSeeds {
		dept := "mc-dc-" + s.dept
		days := 300 - i*3
		at(days)
		rc, err := r.Submit(ctx, report.Input{Category: s.category, UnitCode: dept[:len(dept)-2], Subject: s.subject,
			Content: s.content, When: "2026年", Where: "东城区"}, nil, "")
		if err != nil {
			return n, fmt.Errorf("demo routed report %d: %w", i, err)
		}
		n++
		id, err := r.ByNumber(ctx, jj, rc.Number)
		if err != nil {
			return n, err
		}
		at(days - 1)
		if err := r.Register(ctx, jj, id, "反映问题具体,有可查性。"); err != nil {
			return n, err
		}
		if err := r.Assign(ctx, jj, id, report.AssignInput{UnitCode: dept, Note: "按职责分办。"}); err != nil {
			return n, err
		}
		if err := r.SetMethod(ctx, jj, id, "verify", "安排核实。"); err != nil {
			return n, err
		}
		at(days - 12)
		if err := r.Record(ctx, jj, id, "调取记录并与当事人谈话。", nil); err != nil {
			return n, err
		}
		c := report.Conclusion{Conclusion: "no_evidence", Note: "经核查,未发现反映问题的证据。"}
		if i%2 == 0 {
			c = report.Conclusion{Conclusion: "partly_true", Form: 1, Measure: "talk_reminder", Note: "部分属实,已谈话提醒并督促整改。"}
		}
		if err := r.Conclude(ctx, jj, l, id, c); err != nil {
			return n, err
		}
	}
	for i, s := range waitingSeeds {
		at(5 - i)
		rc, err := r.Submit(ctx, report.Input{Category: s.category, UnitCode: "mc-dc-" + s.organ, Subject: s.subject,
			Content: s.content, When: "2026年", Where: "东城区"}, nil, "")
		if err != nil {
			return n, fmt.Errorf("demo waiting report %d: %w", i, err)
		}
		n++
		id, err := r.ByNumber(ctx, jj, rc.Number)
		if err != nil {
			return n, err
		}
		if err := r.Register(ctx, jj, id, "反映问题具体,有可查性。"); err != nil {
			return n, err
		}
	}
	return n, nil
}
