package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
)

// ratingSeeds are invented comments, good and bad.
var ratingSeeds = []struct {
	level   int
	comment string
}{
	{5, "办理很及时,处理结果也告诉了我,非常满意。"},
	{4, "处理得比较认真,就是时间稍长。"},
	{3, "结果基本认可。"},
	{5, ""},
	{4, "纸质评价表:工作人员态度很好。"},
	{3, "电话回访:基本满意。"},
	{2, "办了一个多月才有结果,也没有人解释原因。"},
	{1, "接待人员态度生硬,问题没有解决。"},
	{2, "结论太简单,看不出查了什么。"},
	{1, "完全不满意。"},
	{1, "乱评:与举报无关的内容。"},
	{2, "整改说了很久没有动静。"},
}

// LoadRatings fills 好差评: concluded reports on the county organs rated
// online, on paper and by phone, and 差评 in every stage: just in (no 回访,
// some real-name, so the staff page shows the gap), visited with the work under
// way, visited and closed, appealed, appeal upheld (excluded from the figures),
// appeal rejected, and a rating changed within its 7 days.
func LoadRatings(ctx context.Context, db *store.DB, r *report.Reports, l *ledger.Ledger, g *rating.Ratings) (int, error) {
	real := time.Now()
	defer func() { r.Clock, l.Clock, g.Clock = time.Now, time.Now, time.Now }()
	at := func(daysAgo int) {
		t := real.AddDate(0, 0, -daysAgo)
		clock := func() time.Time { return t }
		r.Clock, l.Clock, g.Clock = clock, clock, clock
	}
	who := func(username string) (*org.Principal, error) { return principal(ctx, db, username) }
	jj, err := who("discipline")
	if err != nil {
		return 0, err
	}
	b := &builder{}
	n := 0
	for i := 0; i < len(ratingSeeds)*3; i++ {
		s := ratingSeeds[i%len(ratingSeeds)]
		seed := reportSeeds[i%len(reportSeeds)]
		city := cities[i%2]
		county := city.counties[(i/2)%3]
		kc := city.code + "-" + county.code
		organ := kc + "-" + seed.organ
		days := 60 - i
		at(days)
		in := report.Input{Category: seed.category, UnitCode: organ, Subject: seed.subject, Content: seed.content,
			When: "2026年", Where: county.name}
		if i%2 == 0 {
			in.Reporter = &report.Identity{Name: b.name(), Phone: fmt.Sprintf("1390000%04d", i)}
		}
		rc, err := r.Submit(ctx, in, nil, "")
		if err != nil {
			return n, fmt.Errorf("demo rated report %d: %w", i, err)
		}
		id, err := r.ByNumber(ctx, jj, rc.Number)
		if err != nil {
			return n, err
		}
		at(days - 1)
		if err := r.Register(ctx, jj, id, "反映问题具体,有可查性。"); err != nil {
			return n, err
		}
		if err := r.SetMethod(ctx, jj, id, "verify", "安排核实。"); err != nil {
			return n, err
		}
		at(days - 6)
		if err := r.Record(ctx, jj, id, "调取记录并与当事人谈话。", nil); err != nil {
			return n, err
		}
		if err := r.Conclude(ctx, jj, l, id, report.Conclusion{Conclusion: "partly_true", Form: 1, Measure: "talk_reminder",
			Note: "部分属实,已谈话提醒。"}); err != nil {
			return n, err
		}
		v, err := r.Lookup(ctx, rc.Receipt, rc.Key)
		if err != nil {
			return n, err
		}
		at(days - 8)
		input := rating.Input{Level: s.level, Comment: s.comment,
			Dimensions: rating.Dimensions{Efficiency: s.level, Attitude: min(5, s.level+1), Result: s.level}}
		stage := i % len(ratingSeeds)
		leader, err := who(organ + "-leader")
		if organ == "mc-dc-fy" {
			leader, err = who("leader")
		}
		if err != nil {
			return n, err
		}
		deputy, err := who(organ + "-deputy")
		if organ == "mc-dc-fy" {
			deputy, err = who("deputy")
		}
		if err != nil {
			return n, err
		}
		inspector, err := who(kc + "-inspector")
		if err != nil {
			return n, err
		}
		var rt rating.Rating
		switch stage {
		case 4:
			rt, err = g.Record(ctx, leader, rc.Receipt, rating.Paper, input)
		case 5:
			rt, err = g.Record(ctx, deputy, rc.Receipt, rating.Phone, input)
		case 11: // rated 满意 first, changed to a 差评 two days later
			if _, err = g.RateReport(ctx, v.Ref(), rating.Input{Level: 4}); err != nil {
				return n, err
			}
			at(days - 10)
			rt, err = g.RateReport(ctx, v.Ref(), input)
		default:
			rt, err = g.RateReport(ctx, v.Ref(), input)
		}
		if err != nil {
			return n, fmt.Errorf("demo rating %d: %w", i, err)
		}
		n++
		if !rt.Bad || days-12 < 0 {
			continue
		}
		visit := rating.Visit{Contact: "电话联系评价人", Said: "评价人反映办理时间长、说明不充分。",
			Reply: "已向评价人说明核查情况和处理结果,并就沟通不到位致歉。"}
		switch stage {
		case 6: // just in: no 回访 yet
		case 7, 8, 11:
			at(days - 11)
			if _, err := g.RecordVisit(ctx, deputy, rt.ID, visit); err != nil {
				return n, err
			}
			if stage == 11 || rt.ProblemID == 0 {
				continue
			}
			if _, err := l.Progress(ctx, leader, rt.ProblemID, ledger.ProgressInput{Note: "已约谈窗口人员,完善一次性告知制度。", Percent: 60}); err != nil {
				return n, err
			}
			if stage == 7 {
				continue // the work is under way
			}
			at(days - 12)
			if _, err := l.RequestClose(ctx, leader, rt.ProblemID, ledger.CloseInput{Note: "整改完成,已答复评价人。",
				Files: []ledger.Upload{demoPNG(uint8(60 + i))}}); err != nil {
				return n, err
			}
			if _, err := l.Verify(ctx, inspector, rt.ProblemID, true, "整改到位。"); err != nil {
				return n, err
			}
		case 9, 10:
			at(days - 9)
			if _, err := g.RequestAppeal(ctx, deputy, rt.ID, "评价内容与所办举报无关,属错误评价。"); err != nil {
				return n, err
			}
			if stage == 9 {
				continue // waiting for the inspector
			}
			at(days - 10)
			if _, err := g.DecideAppeal(ctx, inspector, rt.ID, (i/len(ratingSeeds))%2 == 0, "经核查,评价内容与该举报事项无关。"); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}
