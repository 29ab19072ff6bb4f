package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/store"
)

// projectSeeds are invented 我为群众办实事 projects, one per kind of help.
var projectSeeds = []struct {
	area, title, beneficiaries, plan string
	milestones                       []string
}{
	{"worry", "诉讼服务中心延时服务", "上班族当事人", "工作日诉讼服务中心延时至19:00,周六上午开放。", []string{"制定延时服务方案", "延时窗口开放", "群众满意度回访"}},
	{"safety", "校园周边护学岗", "辖区中小学师生", "上下学时段在学校周边设置护学岗,增加巡逻频次。", []string{"排查校园周边隐患", "护学岗全覆盖", "家长座谈"}},
	{"grievance", "信访积案清零行动", "信访群众", "逐案包案化解三年以上信访积案。", []string{"积案梳理建档", "领导包案接访", "化解情况公示"}},
	{"benefit", "涉企案件快审快执", "辖区中小企业", "涉企案件开辟绿色通道,执行款两周内发放。", []string{"设立涉企绿色通道", "执行款发放提速", "企业回访"}},
	{"enjoy", "法律援助进村居", "农村困难群众", "每个村居每月一次法律援助咨询。", []string{"组建法律顾问团队", "村居巡回咨询"}},
	{"warmth", "社区矫正对象帮扶", "社区矫正对象及家属", "为有需要的社区矫正对象联系就业和技能培训。", []string{"需求摸底", "技能培训", "就业对接"}},
}

// LoadProjects fills 我为群众办实事: projects of the county organs in every
// state, milestones done with evidence, public ratings, and evaluations.
func LoadProjects(ctx context.Context, db *store.DB, s *project.Projects, g *rating.Ratings) (int, error) {
	real := time.Now()
	defer func() { s.Clock, g.Clock, g.Ledger.Clock = time.Now, time.Now, time.Now }()
	at := func(daysAgo int) {
		t := real.AddDate(0, 0, -daysAgo)
		clock := func() time.Time { return t }
		s.Clock, g.Clock, g.Ledger.Clock = clock, clock, clock // a 差评 opens its ledger item on the same day
	}
	who := func(username string) (*org.Principal, error) { return principal(ctx, db, username) }
	n := 0
	for i := 0; i < len(projectSeeds)*3; i++ {
		seed := projectSeeds[i%len(projectSeeds)]
		city := cities[i%2]
		county := city.counties[(i/2)%3]
		kc := city.code + "-" + county.code
		organ := kc + "-" + organs[i%len(organs)].code
		leaderName, handlerName := organ+"-leader", organ+"-h1"
		if organ == "mc-dc-fy" {
			leaderName, handlerName = "leader", "handler"
		}
		leader, err := who(leaderName)
		if err != nil {
			return n, err
		}
		inspector, err := who(kc + "-inspector")
		if err != nil {
			return n, err
		}
		days := 120 - i*3
		at(days)
		start := real.AddDate(0, 0, -days).Format(time.DateOnly)
		end := real.AddDate(0, 0, 90-days).Format(time.DateOnly)
		pr, err := s.Create(ctx, leader, project.Input{Title: seed.title, Area: seed.area, UnitCode: organ, Leader: leaderName,
			Handler: handlerName, Beneficiaries: seed.beneficiaries, Plan: seed.plan, Measures: "明确责任人和时间表,每月通报进展。",
			Start: start, End: end, Public: i%5 != 4})
		if err != nil {
			return n, fmt.Errorf("demo project %d: %w", i, err)
		}
		n++
		// 0 proposed, 1 adopted, 2–3 in progress, 4 done, 5 evaluated; shifted per round so
		// every county (the featured one too) shows public projects under way
		stage := (i + i/6) % 6
		if stage == 0 {
			continue
		}
		if pr, err = s.Advance(ctx, leader, pr.ID); err != nil {
			return n, err
		}
		for k, what := range seed.milestones {
			due := real.AddDate(0, 0, 30*(k+1)-days).Format(time.DateOnly)
			if pr, err = s.AddMilestone(ctx, leader, pr.ID, project.MilestoneInput{Due: due, What: what, Weight: k + 1}); err != nil {
				return n, err
			}
		}
		if stage == 1 {
			continue
		}
		if pr, err = s.Advance(ctx, leader, pr.ID); err != nil {
			return n, err
		}
		done := len(pr.Milestones)
		if stage == 2 || stage == 3 {
			done = stage - 1
		}
		for k := 0; k < done; k++ {
			at(days - 20*(k+1))
			if pr, err = s.MilestoneDone(ctx, leader, pr.ID, pr.Milestones[k].ID, "已按期完成。",
				&project.Upload{Name: "工作台账.png", R: bytes.NewReader(pngBytes(uint8(90 + i + k)))}); err != nil {
				return n, err
			}
		}
		if pr.Public {
			for k := 0; k < 2+i%3; k++ {
				tok, err := g.Token(ctx, pr.ID)
				if err != nil {
					return n, err
				}
				level := 5 - (i+k)%3
				if stage == 3 && k == 0 {
					level = 2 // a 差评 of a public project opens a ledger item like any other
				}
				if _, err := g.RateProject(ctx, pr.RatingRef(), tok, "", rating.Input{Level: level, Comment: "方便了群众。"}); err != nil {
					return n, err
				}
			}
		}
		if stage < 4 {
			continue
		}
		at(max(days-70, 0))
		if pr, err = s.Advance(ctx, leader, pr.ID); err != nil {
			return n, err
		}
		if stage == 5 && pr.Public {
			if _, err = s.Evaluate(ctx, inspector, pr.ID, []project.Check{{Item: "quality", Score: 8 + i%3, Comment: "按计划推进,资料齐全。"},
				{Item: "effect", Score: 7 + i%4, Comment: "群众评价较好。"}}); err != nil {
				return n, err
			}
		}
	}
	// pledges of the first county's organs: kept with evidence, open, and overdue
	for i, o := range organs {
		organ := "mc-dc-" + o.code
		leaderName := organ + "-leader"
		if organ == "mc-dc-fy" {
			leaderName = "leader"
		}
		leader, err := who(leaderName)
		if err != nil {
			return n, err
		}
		at(40)
		for k, c := range []string{"群众来信七个工作日内答复", "窗口服务“最多跑一次”", "每月第一个周五领导接访"} {
			due := real.AddDate(0, 0, 20*k-25+i).Format(time.DateOnly)
			g, err := s.Pledge(ctx, leader, project.PledgeInput{UnitCode: organ, Content: c, Due: due, Public: true})
			if err != nil {
				return n, err
			}
			if k == 0 {
				at(30)
				if _, err := s.KeepPledge(ctx, leader, g.ID, "本季度来信均已按期答复。",
					&project.Upload{Name: "答复台账.png", R: bytes.NewReader(pngBytes(uint8(150 + i)))}); err != nil {
					return n, err
				}
				at(40)
			}
		}
	}
	return n, nil
}
