package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
)

// reportSeeds are invented citizen reports, one per kind of matter.
var reportSeeds = []struct {
	category, organ, dept, subject, content, accusedPost string
}{
	{"interfere", "fy", "2", "庭长打招呼要求对被告人从轻判决", "我是案件被害人家属。开庭前听说庭长给承办法官打过电话,要求对被告人从轻处理,后来判决确实明显偏轻。", "庭长"},
	{"business", "ga", "3", "派出所民警在辖区经营KTV", "城关派出所一名民警以亲戚名义在辖区开办KTV,派出所检查时从不去这家店。", "民警"},
	{"shares", "jc", "1", "检察官向案件当事人借款", "听说第一检察部一名检察官曾向正在办理案件的当事人借款二十万元,至今未还。", "检察官"},
	{"commutation", "sf", "1", "社区矫正对象长期不报到无人过问", "我们小区一名社区矫正人员经常外出打牌,从没见他去报到,社区矫正科的人也从不来。", ""},
	{"inaction", "ga", "2", "报案半年无人联系", "今年五月我被骗三万元后到刑侦大队报案,至今没有立案,也没有任何人联系我说明情况。", ""},
	{"contact", "fy", "1", "律师称与法官是老乡能搞定", "代理律师说他和立案庭法官是老乡,经常一起吃饭,交钱就能很快立案。", "法官"},
	{"misconduct", "ga", "1", "民警执法时态度恶劣", "在治安大队办理事项时,一名民警对群众大声呵斥,还摔了我的材料。", "民警"},
	{"work", "fy", "1", "立案窗口不一次性告知需要补的材料", "去立案庭三次,每次都说材料不全,但每次只说缺一样,希望能一次说清楚。", ""},
	{"work", "sf", "2", "法律援助审批太慢", "申请法律援助两周还没有结果,打电话也说不清楚进度。", ""},
	{"inaction", "jc", "2", "控告申诉没有回音", "我向检察院控告申诉部门寄了材料,一个多月没有任何回复。", ""},
}

// LoadReports fills the reporting channel: reports in every state, with
// receipts, messages, investigation records, conclusions under the four
// forms, feedback, a merge, a transfer, an "already investigated" waiting for
// its second approver, and a self-report. It prints nothing secret: the demo
// receipts' keys are thrown away (submit a report yourself to follow one).
func LoadReports(ctx context.Context, db *store.DB, r *report.Reports, l *ledger.Ledger) (int, error) {
	real := time.Now()
	defer func() { r.Clock, l.Clock = time.Now, time.Now }()
	at := func(daysAgo int) {
		t := real.AddDate(0, 0, -daysAgo)
		r.Clock, l.Clock = func() time.Time { return t }, func() time.Time { return t }
	}
	who := func(username string) (*org.Principal, error) { return principal(ctx, db, username) }
	jj, err := who("discipline")
	if err != nil {
		return 0, err
	}
	b := &builder{}
	n := 0
	var firstLead string
	for i, c := 0, 0; i < len(reportSeeds)*3; i++ {
		s := reportSeeds[i%len(reportSeeds)]
		city := cities[i%2]
		county := city.counties[(i/2)%3]
		unit := fmt.Sprintf("%s-%s-%s-%s", city.code, county.code, s.organ, s.dept)
		in := report.Input{Category: s.category, UnitCode: unit, Subject: s.subject, Content: s.content,
			When: "2026年", Where: county.name}
		if s.accusedPost != "" {
			in.Accused = []report.Accused{{Name: b.name(), Post: s.accusedPost}}
		}
		if i%3 == 0 {
			in.Reporter = &report.Identity{Name: b.name(), Phone: fmt.Sprintf("1380000%04d", i)}
		}
		days := 80 - i*2
		at(days)
		rc, err := r.Submit(ctx, in, []report.Upload{{Name: "现场照片.png", Data: pngBytes(uint8(40 + i*5))}}, "")
		if err != nil {
			return n, fmt.Errorf("demo report %d: %w", i, err)
		}
		n++
		id, err := r.ByNumber(ctx, jj, rc.Number)
		if err != nil {
			return n, err
		}
		step := func(d int) { at(max(days-d, 0)) }
		stage := i % 9
		if days < 6 {
			continue // the newest wait in the intake queue
		}
		switch stage {
		case 0: // late in the intake queue: the timer is red
			continue
		case 1: // answered as a suggestion, with a ledger item
			step(2)
			if _, err := r.Answer(ctx, jj, l, id, report.AnswerInput{Reply: "您反映的情况已转被反映单位整改,整改情况将在台账中跟踪。", Problem: true}); err != nil {
				return n, err
			}
			continue
		case 2: // transferred to another organ
			step(1)
			to := "jc"
			if s.organ == "jc" {
				to = "ga"
			}
			if err := r.Transfer(ctx, jj, id, fmt.Sprintf("%s-%s-%s", city.code, county.code, to), "反映内容属其他机关管辖。"); err != nil {
				return n, err
			}
			continue
		}
		step(2)
		if err := r.Register(ctx, jj, id, "反映问题具体,有可查性。"); err != nil {
			return n, err
		}
		if firstLead == "" {
			firstLead = rc.Number
		}
		if stage == 3 {
			if c++; c == 1 || firstLead == rc.Number {
				continue // registered, waiting for a method
			}
			if err := r.Merge(ctx, jj, id, firstLead, "与在办线索反映同一事项。"); err != nil {
				// the first lead may have moved on; then this one just stays registered
				continue
			}
			continue
		}
		step(5)
		if err := r.SetMethod(ctx, jj, id, report.Methods[i%2], "安排两名纪检干部核实。"); err != nil {
			return n, err
		}
		if err := r.Message(ctx, jj, id, "请问您是否保留了相关的通话记录或照片?可以通过补充材料上传。"); err != nil {
			return n, err
		}
		if stage == 4 {
			continue // under verification
		}
		step(15)
		if err := r.Record(ctx, jj, id, "调取相关记录,与当事人谈话,形成核查报告。",
			[]report.Upload{{Name: "核查报告.txt", Data: demoText("核查")}}); err != nil {
			return n, err
		}
		var c report.Conclusion
		switch stage {
		case 5:
			c = report.Conclusion{Conclusion: "true", Form: 2, Measure: "warning", Note: "反映问题属实,给予警告处分。",
				PublicOutcome: "反映某单位干警违规问题属实,已给予相关人员党纪处分。", Problem: true}
		case 6:
			c = report.Conclusion{Conclusion: "partly_true", Form: 1, Measure: "talk_reminder", Note: "部分属实,进行谈话提醒。",
				PublicOutcome: "反映的工作作风问题部分属实,已对相关人员谈话提醒并督促整改。"}
		case 7:
			c = report.Conclusion{Conclusion: "no_evidence", Note: "经核查,未发现反映问题的证据。"}
		case 8:
			c = report.Conclusion{Conclusion: "prior_handled", PriorCase: "(2025)青纪初字第17号", Note: "同一事项已于2025年核查并作出结论,本次反映无新的事实。"}
		}
		if err := r.Conclude(ctx, jj, l, id, c); err != nil {
			return n, err
		}
		if stage == 8 {
			if i > 10 {
				step(17)
				second, err := who(city.code + "-discipline")
				if err != nil {
					return n, err
				}
				if err := r.Approve(ctx, second, l, id, true, "同意。"); err != nil {
					return n, err
				}
			}
			continue // the first waits for its second approver
		}
		if stage == 6 || days > 50 {
			step(20)
			if err := r.Feedback(ctx, jj, id, "已电话告知举报人核查结果和处理情况,举报人表示认可。"); err != nil {
				return n, err
			}
		}
	}
	// an officer's self-report (自查自纠)
	at(12)
	off, err := who("officer")
	if err != nil {
		return n, err
	}
	if _, err := r.SelfReport(ctx, off, report.Input{Category: "contact", UnitCode: off.UnitCode,
		Subject: "本人曾接受律师宴请", Content: "2026年春节前,本人接受过一名代理律师的宴请,现主动说明情况。"}, nil); err != nil {
		return n, err
	}
	return n + 1, nil
}

// pngBytes and demoText are small real files for the demo's evidence.
func pngBytes(shade uint8) []byte {
	b, _ := io.ReadAll(demoPNG(shade).R)
	return b
}

func demoText(title string) []byte {
	b, _ := io.ReadAll(demoReport(title).R)
	return b
}
