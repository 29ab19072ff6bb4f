package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/store"
)

var needSeeds = []struct{ organ, area, title, body, place string }{
	{"fy", "worry", "希望法院周末也能立案", "上班族工作日请不出假,希望周六上午开放立案窗口。", "县法院诉讼服务中心"},
	{"ga", "safety", "学校门口上下学时段加强巡逻", "放学时校门口车多人多,常有电动车逆行,希望派警力疏导。", "城关第一小学"},
	{"sf", "benefit", "村里请律师定期来讲法律", "老人多,遇到赡养、土地纠纷不知道怎么办,希望每月有律师来村里坐班。", "东河村"},
	{"jc", "grievance", "公开公益诉讼线索的办理结果", "上次反映的河道排污问题,想知道检察院后来怎么处理的。", ""},
	{"ga", "enjoy", "户籍业务能不能网上预约", "办户口要排很久的队,希望可以在手机上预约时间。", "县公安局户政大厅"},
	{"fy", "benefit", "法院门口增设停车位", "来法院办事没地方停车。", "县法院门口"},
}

// LoadNeeds fills 群众点单 in the featured county: needs with public
// support, one taken into a project, one declined with a reason.
func LoadNeeds(ctx context.Context, db *store.DB, s *project.Projects, g *rating.Ratings) (int, error) {
	s.Tokens = g
	kc := cities[0].code + "-" + cities[0].counties[0].code
	n := 0
	var ids []int64
	for i, seed := range needSeeds {
		rc, err := s.ProposeNeed(ctx, project.NeedInput{UnitCode: kc + "-" + seed.organ, Area: seed.area, Title: seed.title,
			Body: seed.body, Place: seed.place}, "")
		if err != nil {
			return n, fmt.Errorf("demo need %d: %w", i, err)
		}
		n++
		ids = append(ids, rc.ID)
		for v := 0; v < 3+(len(needSeeds)-i)*4; v++ {
			tok, err := s.VoteToken(ctx, rc.ID)
			if err == nil {
				_, err = s.VoteNeed(ctx, rc.ID, tok, "")
			}
			if err != nil {
				return n, fmt.Errorf("demo need vote: %w", err)
			}
		}
	}
	u, err := org.UserByUsername(ctx, db.Read, "leader")
	if err != nil {
		return n, err
	}
	leader, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	if err != nil {
		return n, err
	}
	today := time.Now()
	if _, err := s.Create(ctx, leader, project.Input{Title: "周末立案服务", Area: "worry", UnitCode: "mc-dc-fy", Leader: "leader",
		Handler: "handler", Beneficiaries: "工作日无法请假的当事人", Plan: "每周六上午开放诉讼服务中心立案窗口。",
		Start: today.Format(time.DateOnly), End: today.AddDate(0, 3, 0).Format(time.DateOnly), Public: true, NeedID: ids[0]}); err != nil {
		return n, fmt.Errorf("demo need taken: %w", err)
	}
	if _, err := s.DeclineNeed(ctx, leader, ids[5], "法院门前道路停车位由县城管局规划,已将您的建议转交县城管局办理。"); err != nil {
		return n, fmt.Errorf("demo need declined: %w", err)
	}
	return n, nil
}
