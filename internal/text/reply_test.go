package text

import (
	"slices"
	"testing"

	"github.com/luoshi/luoshi/internal/text/tipdm"
)

func TestReplyHints(t *testing.T) {
	msgs := []string{
		"丽发新城小区附近搅拌站噪音扰民\n丽发新城小区旁边的搅拌站日夜施工，噪音和粉尘严重，影响居民休息。",
		"茶场村五组何时启动拆迁\n茶场村五组的拆迁规划一直没有消息，村民想知道拆迁时间。",
		"公交班次太少\n早高峰公交车要等四十分钟。",
		"学校食堂价格太贵\n某中学食堂饭菜价格上涨，学生吃不起。",
	}
	template := "网友您好！您的留言已收悉。对于您的意见和建议，相关部门将充分论证研究。感谢您对我们工作的支持、理解与监督！"
	good := "网友您好！经调查核实，丽发新城小区附近搅拌站为A2区重点工程配套，2019年11月20日区环保局对其噪音和粉尘进行了检测，" +
		"依据《中华人民共和国环境噪声污染防治法》第三十条责令其夜间停止施工，并限期整改。下一步将持续跟踪，如有问题请拨打0731-88886666。"
	c := NewReplyChecker(msgs, []string{template, template, template, template, good})
	h := c.Check(msgs[0], good)
	if h.OffTopic || h.Boilerplate || h.NoBasis || h.NoFollowUp || h.Flagged() {
		t.Errorf("a good reply is flagged: %+v", h)
	}
	h = c.Check(msgs[1], template)
	// three copies besides itself; "相关部门将充分论证研究" names no contact
	// or step a citizen can take
	if !h.OffTopic || !h.Boilerplate || !h.NoBasis || !h.NoFollowUp || h.Copies != 3 || h.Coverage != 0 {
		t.Errorf("a template reply: %+v", h)
	}
	h = c.Check(msgs[2], "您好，已收悉。")
	if !h.NoFollowUp || !h.Boilerplate || h.Substance > 5 {
		t.Errorf("a bare acknowledgement: %+v", h)
	}
	// a reply quoting the title back does not cover the matter by quoting
	h = c.Check(msgs[1], "关于您反映的“茶场村五组何时启动拆迁的问题”，我们已收悉，感谢您的支持。")
	if !h.OffTopic {
		t.Errorf("a quoted title counted as an answer: %+v", h)
	}
	// no corpus: the checker still works on its own
	h = NewReplyChecker(nil, nil).Check(msgs[3], "经核实，该中学食堂价格由学校膳食委员会确定，2020年起每餐不超过8元。如有疑问请联系区教育局。")
	if h.Flagged() {
		t.Errorf("good reply without corpus: %+v", h)
	}
}

// TestReplyHintsOnReplies runs the hints over the 2,816 real replies and
// logs the shares (the figures of docs/text.md); it fails only if a hint
// flags nothing or nearly everything, which would mean it is broken.
func TestReplyHintsOnReplies(t *testing.T) {
	ms := load(t, tipdm.Replies)
	msgs := make([]string, len(ms))
	reps := make([]string, len(ms))
	for i, m := range ms {
		msgs[i], reps[i] = m.Text(), m.Reply
	}
	c := NewReplyChecker(msgs, reps)
	hs := make([]ReplyHints, len(ms))
	for i := range ms {
		hs[i] = c.Check(msgs[i], reps[i])
	}
	s := Shares(hs)
	t.Logf("%d replies: off-topic %.1f%%, boilerplate %.1f%%, no basis %.1f%%, no follow-up %.1f%%, any %.1f%%, median coverage %.2f",
		s.N, 100*s.OffTopic, 100*s.Boilerplate, 100*s.NoBasis, 100*s.NoFollow, 100*s.Any, s.MedianCoverage)
	for name, v := range map[string]float64{"off-topic": s.OffTopic, "boilerplate": s.Boilerplate, "no basis": s.NoBasis, "no follow-up": s.NoFollow} {
		if v < 0.01 || v > 0.9 {
			t.Errorf("%s flags %.1f%% of the replies", name, 100*v)
		}
	}
}

// TestReplyCheckDraft: a draft is not among the indexed replies, so every
// indexed reply like it is a copy; a sent reply is not its own copy.
func TestReplyCheckDraft(t *testing.T) {
	r := "您好，您反映的问题已收悉，我们高度重视，已转相关部门认真研究处理，感谢您对我们工作的支持。"
	c := NewReplyChecker(nil, []string{r, r, r})
	if n := c.Check("停车收费不合理", r).Copies; n != 2 {
		t.Errorf("sent: %d copies, want 2", n)
	}
	if n := c.CheckDraft("停车收费不合理", r).Copies; n != 3 {
		t.Errorf("draft: %d copies, want 3", n)
	}
}

// BenchmarkReplyChecker measures what the product pays for 答复质量: building
// a checker from 2,000 messages and their replies (done once an hour per
// node, search.Index.replyChecker) and checking one draft against it.
func BenchmarkReplyChecker(b *testing.B) {
	ms := load(b, tipdm.Replies)
	n := min(2000, len(ms))
	msgs := make([]string, n)
	reps := make([]string, n)
	for i, m := range ms[:n] {
		msgs[i], reps[i] = m.Text(), m.Reply
	}
	b.Run("build-2000", func(b *testing.B) {
		for b.Loop() {
			NewReplyChecker(msgs, reps)
		}
	})
	c := NewReplyChecker(msgs, reps)
	b.Run("check-draft", func(b *testing.B) {
		i := 0
		for b.Loop() {
			c.CheckDraft(msgs[i%n], reps[(i+7)%n])
			i++
		}
	})
}

// TestReplyKeyTerms: a message's key terms are words of its matter, not
// bigrams across words (made of grammatical characters, or of characters
// common everywhere) nor the courtesies of any message.
func TestReplyKeyTerms(t *testing.T) {
	topics := []string{"噪音", "停车", "供水", "路灯", "学位", "公交", "垃圾", "拆迁", "燃气", "电梯"}
	var msgs []string
	for i := range 120 {
		x := topics[i%len(topics)]
		msgs = append(msgs, "关于"+x+"的问题\n您好，我们小区的"+x+"有问题，物品乱放，希望领导解决，谢谢。第"+itoa(i)+"号楼")
	}
	msg := "物业管理有问题\n您好，小区物业公司管理有问题，物业费太高，希望领导解决。"
	for _, c := range []struct {
		name string
		msgs []string
		junk []string
	}{
		// with 100 messages or more: 区物 joins two characters found
		// everywhere (小区, 物品), a bigram across words
		{"corpus", append(msgs, msg, msg), []string{"区物", "理有", "有问", "问题", "您好", "希望", "领导", "解决"}},
		// with none: grammatical characters and courtesies alone
		{"alone", nil, []string{"理有", "有问", "问题", "您好", "希望", "领导", "解决"}},
	} {
		got := NewReplyChecker(c.msgs, nil).keyTerms(msg, 10)
		if !slices.Contains(got, "物业") {
			t.Errorf("%s: key terms %q lack 物业", c.name, got)
		}
		for _, junk := range c.junk {
			if slices.Contains(got, junk) {
				t.Errorf("%s: key terms %q hold %s", c.name, got, junk)
			}
		}
	}
}
