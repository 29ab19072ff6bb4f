package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/study"
)

// Invented reflections (心得体会) of 东城区人民法院 on one study task: three
// written by their authors, one copied from a colleague with a few sentences
// changed, one pasted from a published speech of the reference corpus.
var studyReflections = []struct{ user, text string }{
	{"officer", `通过这次专题学习，我对“以人民为中心”有了更具体的认识。以前在立案窗口工作，我把“按规定办”当成最高标准，材料不齐就请当事人回去补，很少想他们为此要多跑几趟。
这次对照查摆，我翻看了自己上个月的登记本，发现有十一位当事人因为同一类材料问题来了两次以上，其中三位是从乡镇坐班车来的老人。
我准备做三件事：一是把立案常见的二十项材料要求整理成一页清单，放在窗口和网上，让群众来之前就知道要带什么；二是对能够当场补正的材料，当场指导补正，不再让人白跑；三是每周五下午梳理一次本周退回的材料，看看哪些要求可以简化，报给庭领导。
学习不是抄在本子上的几句话，要落在窗口前每一位群众身上。`},
	{"handler", `这次学习让我重新审视了自己承办案件时的“形式主义”。我过去常把卷宗装订整齐、文书格式规范当作工作做好的标志，但回访时一位当事人说，判决书他看不懂，也不知道下一步该去哪里申请执行。
这件事让我很受触动。文书写得规范，群众却看不明白，问题并没有真正解决。
今后我在送达裁判文书时，准备附一页用通俗语言写的说明：判了什么、为什么这样判、不服怎么上诉、胜诉后怎样申请执行、找哪个窗口、打哪个电话。
另外，对于追索劳动报酬、赡养费这类案件，我会在结案后一个月内电话回访一次，了解履行情况，需要执行的直接引导到执行立案。
我也认识到，作风问题往往藏在习以为常的做法里，只有从当事人的角度重新看一遍，才能发现。`},
	{"mc-dc-fy-2-o1", `参加这次教育整顿学习，我最大的收获是明白了纪律规矩不是挂在墙上的条文。刑事审判庭的工作直接关系当事人的人身自由，一次不规范的会见、一句不恰当的承诺，都可能损害司法公正。
对照自查，我发现自己在接听律师电话时，有时会顺口透露案件的合议进度，虽然没有违规的主观故意，但确实不够严谨。
下一步，我会严格执行过问案件登记制度，所有与案件有关的沟通都在办公电话和正式渠道进行，并如实记录。
同时，我计划利用每周的庭务会，和同事们一起学习典型案例，把“三个规定”落实到每一个环节，做到心中有戒、行有所止。`},
}

// LoadStudy issues one study task to 东城区人民法院 and fills it with
// reflections: originals, a disguised copy of a colleague's and a speech
// pasted from the reference corpus (both flagged), and people who have not
// submitted yet, so the completion by rank shows gaps.
func LoadStudy(ctx context.Context, db *store.DB, s *study.Service) (int, error) {
	real := time.Now()
	defer func() { s.Clock = time.Now }()
	at := func(daysAgo int, hour int) {
		t := real.AddDate(0, 0, -daysAgo).Truncate(time.Hour).Add(time.Duration(hour-real.Hour()) * time.Hour)
		s.Clock = func() time.Time { return t }
	}
	who := func(username string) (*org.Principal, error) { return principal(ctx, db, username) }
	leader, err := who("leader")
	if err != nil {
		return 0, err
	}
	at(6, 9)
	task, err := s.Create(ctx, leader, study.TaskInput{
		Title: "学习《政法队伍教育整顿应知应会》并撰写心得体会",
		Material: "请全院干警认真学习教育整顿应知应会内容，重点理解“刀刃向内、刮骨疗毒”的要求，结合本岗位实际查摆问题、提出整改措施。" +
			"心得体会须本人撰写，不少于200字，写清楚查摆出的具体问题和下一步的具体做法。",
		UnitCode: "mc-dc-fy", Due: real.AddDate(0, 0, 8).Format(time.DateOnly), MinLength: 200}, nil)
	if err != nil {
		return 0, fmt.Errorf("demo study task: %w", err)
	}
	n := 0
	submit := func(user, text string, daysAgo, hour int) error {
		p, err := who(user)
		if err != nil {
			return err
		}
		at(daysAgo, hour)
		if _, err := s.Submit(ctx, p, task.ID, text); err != nil {
			return fmt.Errorf("demo reflection of %s: %w", user, err)
		}
		n++
		return nil
	}
	for i, r := range studyReflections {
		if err := submit(r.user, r.text, 5-i, 10+i); err != nil {
			return n, err
		}
	}
	// a colleague copies the officer's reflection: two sentences rewritten,
	// the counter at the window swapped, punctuation changed
	copied := strings.NewReplacer(
		"以前在立案窗口工作", "以前在诉讼服务中心工作",
		"其中三位是从乡镇坐班车来的老人", "其中有几位是行动不便的老人",
		"，", ",", "。", "! ",
	).Replace(studyReflections[0].text)
	if err := submit("mc-dc-fy-1-o2", copied, 2, 16); err != nil {
		return n, err
	}
	// the deputy pastes a passage of a published speech, the unit renamed
	speech := []rune(study.Builtin()[1].Body)
	pasted := strings.ReplaceAll(string(speech[120:700]), "政法委", "人民法院")
	if err := submit("deputy", pasted, 1, 20); err != nil {
		return n, err
	}
	return n, nil
}
