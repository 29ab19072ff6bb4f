package text

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// ReplyHints are heuristic flags on an official reply (答复质量) for a
// reviewer to look at; none of them proves a bad reply. See docs/text.md
// for the shares flagged on the 2,816 real replies.
type ReplyHints struct {
	// OffTopic: few of the message's key terms (its highest TF-IDF
	// bigrams) appear in the reply outside quotation marks.
	OffTopic bool     `json:"off_topic"`
	Coverage float64  `json:"coverage"`  // share of key terms found in the reply
	KeyTerms []string `json:"key_terms"` // the key terms looked for
	Missing  []string `json:"missing"`   // those not found
	// Boilerplate: the reply is (nearly) the same text as several other
	// replies, or is little more than stock phrases.
	Boilerplate bool `json:"boilerplate"`
	Copies      int  `json:"copies"`    // other replies with 3-gram Jaccard >= 0.6
	Substance   int  `json:"substance"` // Han characters left once stock phrases and quotes are removed
	// NoBasis: no law, regulation or document is cited and no date or
	// figure is given.
	NoBasis bool `json:"no_basis"`
	// NoFollowUp: no phone number, contact, department to ask or next step.
	NoFollowUp bool `json:"no_follow_up"`
}

// Flagged reports whether any hint is set.
func (h ReplyHints) Flagged() bool { return h.OffTopic || h.Boilerplate || h.NoBasis || h.NoFollowUp }

// Thresholds of the hints.
const (
	replyKeyTerms     = 10
	replyMinCoverage  = 0.2
	replyCopyJaccard  = 0.6
	replyMaxCopies    = 3
	replyMinSubstance = 30
)

// functionChars are grammatical characters: a bigram holding one is
// rarely a word of the matter (的供 in 宿舍的供水, 理有 in 管理有问题).
const functionChars = "的了是在有和与及或对被把将从于为以其之也都就而但并且这那个些一么吗呢吧啊"

// messageStock are words of any message (courtesies, 反映, 问题) that a
// reply need not take up.
var messageStock = []string{"您好", "你好", "谢谢", "感谢", "希望", "领导", "书记", "市长", "尊敬", "请问", "反映", "投诉",
	"请求", "解决", "问题", "情况", "我们", "你们", "相关", "部门"}

// replyMinCohesion is the least cohesion of a key term (when the checker
// knows 100 messages or more).
var replyMinCohesion = 0.35

// ReplyChecker holds what the hints compare against: the document
// frequencies of the messages (for key terms) and the replies seen (for
// copies).
type ReplyChecker struct {
	df    map[string]int
	cdf   map[rune]int // messages holding each character
	ndocs int
	index *Index
	keys  map[uint64]bool // ExactKey of the indexed replies
}

// NewReplyChecker learns term weights from messages (subject and body
// texts of the same kind as those checked) and indexes replies for the
// boilerplate hint; both may be empty.
func NewReplyChecker(messages, replies []string) *ReplyChecker {
	c := &ReplyChecker{df: map[string]int{}, cdf: map[rune]int{}, ndocs: len(messages), index: NewIndex(), keys: map[uint64]bool{}}
	for _, m := range messages {
		seen := map[string]bool{}
		for _, t := range bigrams(m) {
			if !seen[t] {
				seen[t] = true
				c.df[t]++
			}
		}
		chars := map[rune]bool{}
		for _, r := range Normalize(m) {
			if !chars[r] {
				chars[r] = true
				c.cdf[r]++
			}
		}
	}
	for i, r := range replies {
		c.index.Add(itoa(i), r)
		c.keys[ExactKey(r)] = true
	}
	return c
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for ; i > 0; i /= 10 {
		p--
		b[p] = byte('0' + i%10)
	}
	return string(b[p:])
}

// keyTerms returns the message's top TF-IDF Han bigrams, the subject (the
// first line) counting three times. Latin/digit words (anonymised place
// codes) are skipped, and so are bigrams seen in no other message when the
// checker knows enough messages (100): without a segmenter many of those straddle two
// words (业公 in 物业公司).
func (c *ReplyChecker) keyTerms(message string, k int) []string {
	tf := map[string]float64{}
	count := func(s string, w float64) {
		for _, t := range bigrams(s) {
			if rs := []rune(t); len(rs) == 2 && kindOf(rs[0]) == kindHan && kindOf(rs[1]) == kindHan {
				tf[t] += w
			}
		}
	}
	subject, _, _ := strings.Cut(message, "\n")
	count(message, 1)
	count(subject, 2)
	w := make(map[string]float64, len(tf))
	for t, n := range tf {
		if c.ndocs >= 100 && (c.df[t] < 2 || c.cohesion(t) < replyMinCohesion) {
			continue
		}
		if rs := []rune(t); strings.ContainsRune(functionChars, rs[0]) || strings.ContainsRune(functionChars, rs[1]) ||
			slices.Contains(messageStock, t) {
			continue
		}
		w[t] = (1 + math.Log(n)) * (math.Log((1+float64(c.ndocs))/(1+float64(c.df[t]))) + 1)
	}
	return topTerms(w, k)
}

// cohesion says how much more often the two characters of bigram t occur
// together in a message than they would by chance (messages with t ×
// messages / (messages with the first × messages with the second)). A
// bigram across two words (理有 in 管理有问题, 的刘) is made of characters
// common everywhere and scores low; a word (物业, 华苑) scores high.
func (c *ReplyChecker) cohesion(t string) float64 {
	rs := []rune(t)
	if len(rs) != 2 || c.cdf[rs[0]] == 0 || c.cdf[rs[1]] == 0 {
		return 0
	}
	return float64(c.df[t]) * float64(c.ndocs) / (float64(c.cdf[rs[0]]) * float64(c.cdf[rs[1]]))
}

// quoted restatements of the message title ("反映“…”的问题"): long quotes
// are dropped before looking for key terms; short ones (a place, a name)
// are kept.
var quoted = regexp.MustCompile(`“[^”]{8,}”|"[^"]{8,}"|「[^」]{8,}」`)

// stock phrases of replies that say nothing about the matter
var stockPhrases = []string{
	"网友", "您好", "你好", "感谢您对我们工作的信任和支持", "感谢您对我们工作的支持", "感谢您的支持", "感谢您的关注", "感谢您",
	"您反映的问题", "你反映的问题", "您在平台", "留言反映", "留言收悉", "已收悉", "来信收悉", "现将", "有关情况", "调查核实情况",
	"答复如下", "回复如下", "特此回复", "特此答复", "此复", "祝您", "生活愉快", "工作顺利", "身体健康", "谢谢", "欢迎继续关注",
	"问政西地省", "栏目", "平台", "书记", "市长", "留言", "关于", "向该网友", "首先", "我们", "收悉",
}

var (
	citation   = regexp.MustCompile(`《[^》]{2,60}》|第[一二三四五六七八九十百零〇\d]+条|[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号|(法|条例|规定|办法|细则|政策|文件|通知|标准|规范)(第|规定|要求|明确)`)
	figure     = regexp.MustCompile(`\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日|\d+(\.\d+)?\s*(元|万元|亿元|平方米|㎡|米|公里|千米|户|人|名|家|栋|套|辆|天|个工作日|个月|年|%|％|吨|分贝)`)
	followUp   = regexp.MustCompile(`\d{3,4}[\s-－]?\d{7,8}|\d{4}-\d{8}|1[3-9]\d{9}|12345|电话|热线|联系|咨询|来访|来电|信访|窗口|下一步|后续|跟踪|督促|限期|责令|复查|回访|持续关注|将继续|将进一步|办理|申请`)
	hanPattern = regexp.MustCompile(`\p{Han}`)
)

// Check computes the hints for one message (subject and body) and its
// reply. The reply itself, if it was given to NewReplyChecker, does not
// count as its own copy.
func (c *ReplyChecker) Check(message, reply string) ReplyHints { return c.check(message, reply, true) }

// CheckDraft is Check for a reply not yet sent, so not among those given
// to NewReplyChecker: every indexed reply like it is a copy.
func (c *ReplyChecker) CheckDraft(message, draft string) ReplyHints {
	return c.check(message, draft, false)
}

func (c *ReplyChecker) check(message, reply string, indexed bool) ReplyHints {
	var h ReplyHints
	body := quoted.ReplaceAllString(reply, " ")
	replyTerms := map[string]bool{}
	for _, t := range bigrams(body) {
		replyTerms[t] = true
	}
	h.KeyTerms = c.keyTerms(message, replyKeyTerms)
	found := 0
	for _, t := range h.KeyTerms {
		if replyTerms[t] {
			found++
		} else {
			h.Missing = append(h.Missing, t)
		}
	}
	if len(h.KeyTerms) > 0 {
		h.Coverage = float64(found) / float64(len(h.KeyTerms))
		h.OffTopic = h.Coverage < replyMinCoverage
	}
	h.Copies = len(c.index.Candidates(reply, replyCopyJaccard))
	if indexed && c.keys[ExactKey(reply)] && h.Copies > 0 {
		h.Copies-- // the reply itself, indexed by NewReplyChecker
	}
	rest := body
	for _, p := range stockPhrases {
		rest = strings.ReplaceAll(rest, p, "")
	}
	h.Substance = len(hanPattern.FindAllStringIndex(rest, -1))
	h.Boilerplate = h.Copies >= replyMaxCopies || h.Substance < replyMinSubstance
	norm := Normalize(reply)
	h.NoBasis = !citation.MatchString(norm) && !figure.MatchString(norm)
	h.NoFollowUp = !followUp.MatchString(norm)
	return h
}

// ReplyShares summarises hints over many replies.
type ReplyShares struct {
	N                                        int
	OffTopic, Boilerplate, NoBasis, NoFollow float64
	Any                                      float64
	MedianCoverage                           float64
}

// Shares computes the share of replies flagged per hint.
func Shares(hs []ReplyHints) ReplyShares {
	s := ReplyShares{N: len(hs)}
	if len(hs) == 0 {
		return s
	}
	cov := make([]float64, len(hs))
	for i, h := range hs {
		cov[i] = h.Coverage
		if h.OffTopic {
			s.OffTopic++
		}
		if h.Boilerplate {
			s.Boilerplate++
		}
		if h.NoBasis {
			s.NoBasis++
		}
		if h.NoFollowUp {
			s.NoFollow++
		}
		if h.Flagged() {
			s.Any++
		}
	}
	n := float64(len(hs))
	s.OffTopic, s.Boilerplate, s.NoBasis, s.NoFollow, s.Any = s.OffTopic/n, s.Boilerplate/n, s.NoBasis/n, s.NoFollow/n, s.Any/n
	sort.Float64s(cov)
	s.MedianCoverage = cov[len(cov)/2]
	return s
}
