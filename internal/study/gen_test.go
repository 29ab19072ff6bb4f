package study

import (
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
)

// The generator of test texts. Independent reflections are drawn from a
// first-order character Markov chain trained on the five reference texts
// (so they have the character statistics of official Chinese writing but
// copy no passage of it), with the stock phrases every reflection on these
// subjects repeats and unit names mixed in: independent texts share those
// phrases and short runs, as real ones on one subject do. Edited copies
// start from a stored text and apply the edits a copier makes.

var stockPhrases = []string{
	"以习近平新时代中国特色社会主义思想为指导", "不忘初心、牢记使命", "坚持以人民为中心的发展思想", "全面从严治党",
	"刀刃向内、刮骨疗毒", "学思践悟、知行合一", "增强“四个意识”、坚定“四个自信”、做到“两个维护”", "对党忠诚、服务人民、执法公正、纪律严明",
	"打造忠诚干净担当的政法铁军", "筑牢政治忠诚", "推进政法队伍教育整顿走深走实", "切实增强人民群众的获得感、幸福感、安全感",
	"树立正确的政绩观", "力戒形式主义、官僚主义", "我为群众办实事", "深入学习贯彻习近平法治思想", "把学习成果转化为推动工作的强大动力",
	"通过这次学习", "作为一名基层干警", "结合自身工作实际", "查摆问题、整改落实", "坚持问题导向",
}

var unitNames = []string{"市司法局", "县公安局", "区人民法院", "市中级人民法院", "县人民检察院", "市委政法委", "城关司法所", "东街派出所"}

type gen struct {
	r    *rand.Rand
	next map[rune][]rune
	keys []rune
	trad map[rune]rune
}

var chain = func() map[rune][]rune {
	m := map[rune][]rune{}
	for _, d := range Builtin() {
		var prev rune
		for _, r := range d.Body {
			if !unicode.Is(unicode.Han, r) {
				prev = 0
				continue
			}
			if prev != 0 {
				m[prev] = append(m[prev], r)
			}
			prev = r
		}
	}
	return m
}()

var chainKeys = func() []rune {
	var ks []rune
	for k := range chain {
		ks = append(ks, k)
	}
	slices.Sort(ks) // map order is random: sorted for determinism
	return ks
}()

// toTrad maps a simplified character to one traditional form.
var toTrad = func() map[rune]rune {
	m := map[rune]rune{}
	for t, s := range tradMap {
		if old, ok := m[s]; !ok || t < old {
			m[s] = t
		}
	}
	return m
}()

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), next: chain, keys: chainKeys, trad: toTrad}
}

func (g *gen) run(n int) string {
	var b strings.Builder
	c := g.keys[g.r.IntN(len(g.keys))]
	for i := 0; i < n; i++ {
		b.WriteRune(c)
		nx := g.next[c]
		if len(nx) == 0 {
			c = g.keys[g.r.IntN(len(g.keys))]
			continue
		}
		c = nx[g.r.IntN(len(nx))]
	}
	return b.String()
}

// sentence is 14–40 characters ending in a full stop, sometimes with a
// stock phrase or a unit name.
func (g *gen) sentence() string {
	var b strings.Builder
	if g.r.IntN(8) == 0 {
		b.WriteString("作为" + unitNames[g.r.IntN(len(unitNames))] + "的一员，")
	}
	b.WriteString(g.run(6 + g.r.IntN(14)))
	if g.r.IntN(3) == 0 {
		b.WriteString(stockPhrases[g.r.IntN(len(stockPhrases))])
	}
	b.WriteString("，")
	b.WriteString(g.run(6 + g.r.IntN(14)))
	b.WriteString("。")
	return b.String()
}

// text is an independent reflection of about n compared characters.
func (g *gen) text(n int) string {
	var b strings.Builder
	for c := 0; c < n; {
		if g.r.IntN(6) == 0 {
			b.WriteString("\n\n")
		}
		s := g.sentence()
		c += CountChars(s)
		b.WriteString(s)
	}
	return b.String()
}

func sentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == '。' || r == '！' || r == '？' || r == '；' {
			end := i + len(string(r))
			out = append(out, s[start:end])
			start = end
		}
	}
	if strings.TrimSpace(s[start:]) != "" {
		out = append(out, s[start:])
	}
	return out
}

// edit is how a copier disguises a text.
type edit struct {
	changed   float64 // share of sentences rewritten
	moved     float64 // share of sentences moved elsewhere
	inserted  int     // own sentences inserted
	units     bool    // unit names swapped
	punct     bool    // punctuation and spacing changed
	tradShare float64 // share of convertible characters put in traditional form
}

var thirty = edit{changed: 0.15, moved: 0.15, inserted: 2, units: true, punct: true, tradShare: 0.5}

func (g *gen) disguise(src string, e edit) string {
	ss := sentences(src)
	n := len(ss)
	for _, i := range g.r.Perm(n)[:int(float64(n)*e.changed+0.5)] {
		ss[i] = g.sentence()
	}
	if k := int(float64(n)*e.moved + 0.5); k > 1 {
		idx := g.r.Perm(n)[:k]
		moved := make([]string, k)
		for j, i := range idx {
			moved[(j+1)%k] = ss[i]
		}
		for j, i := range idx {
			ss[i] = moved[j]
		}
	}
	for range e.inserted {
		i := g.r.IntN(len(ss) + 1)
		ss = append(ss[:i], append([]string{g.sentence()}, ss[i:]...)...)
	}
	out := strings.Join(ss, "")
	if e.units {
		for i, u := range unitNames {
			out = strings.ReplaceAll(out, u, unitNames[(i+3)%len(unitNames)]+"X")
		}
		out = strings.ReplaceAll(out, "X", "")
		out = strings.ReplaceAll(out, "某市", "我县")
		out = strings.ReplaceAll(out, "司法局", "公安分局")
	}
	if e.punct {
		r := strings.NewReplacer("，", ", ", "。", "！ ", "、", " ", "“", "「", "”", "」", "：", ":")
		out = r.Replace(out)
	}
	if e.tradShare > 0 {
		rs := []rune(out)
		for i, c := range rs {
			if t, ok := g.trad[c]; ok && g.r.Float64() < e.tradShare {
				rs[i] = t
			}
		}
		out = string(rs)
	}
	return out
}

// excerpt is about n compared characters of a reference text, from a
// random sentence on.
func (g *gen) excerpt(body string, n int) string {
	ss := sentences(body)
	i := g.r.IntN(max(1, len(ss)/2))
	var b strings.Builder
	for c := 0; i < len(ss) && c < n; i++ {
		c += CountChars(ss[i])
		b.WriteString(ss[i])
	}
	return b.String()
}
