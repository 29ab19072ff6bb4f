// Command texteval prints the figures of docs/text.md: routing
// cross-validation, training and prediction times, duplicate recall,
// grouping precision/recall, candidate search latency, a masking
// self-check and the reply-hint shares, on the TipDM 2020 C messages.
//
//	go run ./bench/texteval --data /work/shared/data/tipdm2020c
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/text"
	"github.com/luoshi/luoshi/internal/text/tipdm"
)

func main() {
	dir := flag.String("data", "/work/shared/data/tipdm2020c", "directory of the TipDM 2020 C CSV files")
	pairs := flag.String("pairs", filepath.Join("internal", "text", "testdata", "samematter_pairs.tsv"), "hand-checked same-matter pairs")
	gen := flag.Int("gen", 100000, "generated messages for the candidate-search benchmark (0 skips it)")
	flag.Parse()
	must := func(ms []tipdm.Message, err error) []tipdm.Message {
		if err != nil {
			fmt.Fprintln(os.Stderr, "texteval:", err)
			os.Exit(1)
		}
		return ms
	}
	labeled := must(tipdm.Load(*dir, tipdm.Labeled))
	votes := must(tipdm.Load(*dir, tipdm.Votes))
	replies := must(tipdm.Load(*dir, tipdm.Replies))
	fmt.Printf("texteval  %s  GOMAXPROCS=%d  %s\n", time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("data: %d labelled, %d with votes, %d with replies\n\n", len(labeled), len(votes), len(replies))

	model := routing(labeled, votes, replies)
	grouping(votes, model, *pairs)
	if *gen > 0 {
		candidates(votes, replies, labeled, *gen)
	}
	masking(votes, replies)
	replyHints(replies)
}

func docsOf(ms []tipdm.Message) []text.Doc {
	out := make([]text.Doc, len(ms))
	for i, m := range ms {
		out[i] = text.Doc{Text: m.Text(), Label: m.Label}
	}
	return out
}

func routing(labeled, votes, replies []tipdm.Message) *text.Model {
	fmt.Println("== Routing classifier (智能分办)")
	docs := docsOf(labeled)
	start := time.Now()
	r := text.CrossValidate(docs, 5, 1, text.Options{})
	fmt.Printf("5-fold stratified CV (seed 1), %d messages, %v\n", len(docs), time.Since(start).Round(time.Millisecond))
	for i, f := range r.FoldMacroF1 {
		fmt.Printf("  fold %d macro-F1 %.3f\n", i+1, f)
	}
	fmt.Printf("  pooled macro-F1 %.3f, accuracy %.3f\n", r.MacroF1, r.Accuracy)
	for _, c := range r.Classes {
		fmt.Printf("  %-8s\tn=%3d\tP=%.3f\tR=%.3f\tF1=%.3f\n", c.Label, c.Support, c.Precision, c.Recall, c.F1)
	}
	for _, seed := range []uint64{2, 3} {
		r2 := text.CrossValidate(docs, 5, seed, text.Options{})
		fmt.Printf("  other folds (seed %d): pooled macro-F1 %.3f\n", seed, r2.MacroF1)
	}
	fmt.Println("  confidence threshold: share routed automatically, accuracy of those")
	for _, th := range []float64{0, 0.4, 0.5, 0.6, 0.7, 0.8} {
		n, ok := 0, 0
		for i := range docs {
			if r.Conf[i] >= th {
				n++
				if r.Pred[i] == docs[i].Label {
					ok++
				}
			}
		}
		mark := ""
		if th == text.DefaultThreshold {
			mark = "  (DefaultThreshold)"
		}
		fmt.Printf("    >= %.1f: routed %.1f%%, accuracy %.1f%%%s\n", th, 100*float64(n)/float64(len(docs)), 100*float64(ok)/float64(max(n, 1)), mark)
	}

	model := text.Train(docs)
	// 10,000 training messages: all of attachments 2-4, labels of 3-4 from
	// the model trained on 2 (pseudo-labels: the figure is about time),
	// repeated in order up to 10,000
	big := append([]text.Doc(nil), docs...)
	for _, set := range [][]tipdm.Message{votes, replies} {
		for _, m := range set {
			l, _ := model.Predict(m.Text())
			big = append(big, text.Doc{Text: m.Text(), Label: l})
		}
	}
	distinct := len(big)
	for i := 0; len(big) < 10000; i++ {
		big = append(big, big[i])
	}
	big = big[:10000]
	runtime.GC()
	c0, w0 := cpuTime(), time.Now()
	m10k := text.Train(big)
	wall, cpu := time.Since(w0), cpuTime()-c0
	b, _ := m10k.Marshal()
	fmt.Printf("training on 10,000 messages (%d distinct): wall %.1f s, CPU %.1f s (user+sys, both cores), %d features, model %.1f MB\n",
		min(distinct, 10000), wall.Seconds(), cpu.Seconds(), len(m10k.Terms), float64(len(b))/1e6)

	// prediction latency over every labelled message, 5 rounds
	var lat []time.Duration
	for round := 0; round < 5; round++ {
		for _, d := range docs {
			t := time.Now()
			m10k.Predict(d.Text)
			lat = append(lat, time.Since(t))
		}
	}
	p50, p99, mean := percentiles(lat)
	fmt.Printf("prediction (10k model, labelled messages): mean %v, p50 %v, p99 %v\n\n", mean, p50, p99)
	return model
}

func percentiles(d []time.Duration) (p50, p99, mean time.Duration) {
	sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return d[len(d)/2], d[len(d)*99/100], sum / time.Duration(len(d))
}

func items(ms []tipdm.Message) []text.Item {
	out := make([]text.Item, len(ms))
	for i, m := range ms {
		out[i] = text.Item{ID: m.ID, Title: m.Subject, Body: m.Body, Time: m.Time, Votes: m.Votes}
	}
	return out
}

func grouping(votes []tipdm.Message, model *text.Model, pairsFile string) {
	fmt.Println("== Duplicates and same-matter grouping (重复件/热点问题), messages with votes")
	its := items(votes)
	exact := text.ExactPairs(its)
	inDup := map[string]bool{}
	for _, p := range exact {
		inDup[p.A], inDup[p.B] = true, true
	}
	fmt.Printf("exact duplicates (same body up to spacing/punctuation/width/case): %d pairs, %d messages\n", len(exact), len(inDup))

	// the index, fed in time order, asked about each new message
	order := make([]int, len(its))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return its[order[a]].Time.Before(its[order[b]].Time) })
	x := text.NewIndex()
	found := map[[2]string]bool{}
	for _, i := range order {
		for _, m := range x.Candidates(its[i].Body, 0.5) {
			found[[2]string{m.ID, its[i].ID}], found[[2]string{its[i].ID, m.ID}] = true, true
		}
		x.Add(its[i].ID, its[i].Body)
	}
	hit := 0
	for _, p := range exact {
		if found[[2]string{p.A, p.B}] {
			hit++
		}
	}
	fmt.Printf("candidate index (MinHash LSH, min 0.5): exact duplicate pairs found %d/%d\n", hit, len(exact))

	start := time.Now()
	issues := text.Group(its, text.GroupOptions{})
	el := time.Since(start)
	multi, inIssues := 0, 0
	for _, is := range issues {
		if is.Count > 1 {
			multi++
			inIssues += is.Count
		}
	}
	fmt.Printf("grouping (cosine >= 0.4 over title+body bigram TF-IDF, connected components): %v wall, %d issues of 2+ messages holding %d messages\n", el.Round(time.Millisecond), multi, inIssues)

	near, nearHit := 0, 0
	for _, p := range text.SimilarPairs(its, text.GroupOptions{}) {
		if text.NearDup(its[p.A].Body, its[p.B].Body) >= 0.7 {
			near++
			if found[[2]string{its[p.A].ID, its[p.B].ID}] {
				nearHit++
			}
		}
	}
	fmt.Printf("near-duplicate pairs (3-gram Jaccard >= 0.7 among grouped pairs): %d, found by the index %d\n", near, nearHit)

	s := text.ScorePairs(issues, exact)
	fmt.Printf("exact-duplicate pairs in one issue: recall %.3f (%d/%d)\n", s.Recall, s.TP, s.TP+s.FN)
	if jp, err := tipdm.LoadPairs(pairsFile); err == nil {
		var labels []text.PairLabel
		for _, p := range jp {
			labels = append(labels, text.PairLabel{A: p.A, B: p.B, Same: p.Same})
		}
		for _, th := range []float64{0.3, 0.4, 0.5, 0.6} {
			h := text.ScorePairs(text.Group(its, text.GroupOptions{Threshold: th}), labels)
			fmt.Printf("hand-checked pairs (%d), threshold %.1f: precision %.3f recall %.3f (TP %d FP %d FN %d TN %d)\n",
				len(labels), th, h.Precision, h.Recall, h.TP, h.FP, h.FN, h.TN)
		}
	} else {
		fmt.Println("hand-checked pairs:", err)
	}

	// class proxy: messages confidently routed to different classes are
	// different matters; a pair inside one issue with two such classes is
	// a false merge
	type pc struct {
		label string
		conf  float64
	}
	pred := map[string]pc{}
	for _, it := range its {
		l, c := model.Predict(it.Title + "\n" + it.Body)
		pred[it.ID] = pc{l, c}
	}
	within, crossed := 0, 0
	for _, is := range issues {
		for a := 0; a < len(is.IDs); a++ {
			for b := a + 1; b < len(is.IDs); b++ {
				pa, pb := pred[is.IDs[a]], pred[is.IDs[b]]
				if pa.conf >= 0.8 && pb.conf >= 0.8 {
					within++
					if pa.label != pb.label {
						crossed++
					}
				}
			}
		}
	}
	fmt.Printf("class proxy: of %d grouped pairs where both messages are routed with confidence >= 0.8, %d (%.1f%%) fall in different classes\n",
		within, crossed, 100*float64(crossed)/float64(max(within, 1)))
	fmt.Println("largest issues:")
	for _, is := range issues[:min(8, len(issues))] {
		fmt.Printf("  %3d messages, %4d votes, %s..%s  %s\n", is.Count, is.Votes, is.First.Format("2006-01-02"), is.Last.Format("2006-01-02"), is.Title)
	}
	fmt.Println()
}

func candidates(votes, replies, labeled []tipdm.Message, n int) {
	fmt.Printf("== Candidate search for one new message against %d earlier ones\n", n)
	var base []string
	for _, set := range [][]tipdm.Message{votes, replies} {
		for _, m := range set {
			base = append(base, m.Body)
		}
	}
	var pool []rune
	for _, s := range base[:200] {
		for _, r := range s {
			if r >= 0x4e00 && r <= 0x9fff {
				pool = append(pool, r)
			}
		}
	}
	rng := rand.New(rand.NewPCG(11, 11))
	docs := make([]string, n)
	for i := range docs {
		sents := strings.Split(base[i%len(base)], "。")
		k := rng.IntN(len(sents))
		rs := []rune(strings.Join(append(sents[k:], sents[:k]...), "。"))
		for j := range rs {
			if rs[j] >= 0x4e00 && rs[j] <= 0x9fff && rng.IntN(4) == 0 {
				rs[j] = pool[rng.IntN(len(pool))]
			}
		}
		docs[i] = string(rs)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	c0, w0 := cpuTime(), time.Now()
	x := text.NewIndex()
	for i, d := range docs {
		x.Add(fmt.Sprint(i), d)
	}
	build, buildCPU := time.Since(w0), cpuTime()-c0
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(docs) // the texts are not part of the index's size
	var lat []time.Duration
	matches := 0
	for round := 0; round < 3; round++ {
		for _, m := range labeled {
			t := time.Now()
			matches += len(x.Candidates(m.Text(), 0.5))
			lat = append(lat, time.Since(t))
		}
	}
	p50, p99, mean := percentiles(lat)
	fmt.Printf("generated messages (real bodies, sentences rotated, 1 in 4 Han characters replaced), index build %.1f s wall / %.1f s CPU, heap %.0f B per message\n",
		build.Seconds(), buildCPU.Seconds(), float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n))
	fmt.Printf("query (sign + 16 band look-ups + verify): mean %v, p50 %v, p99 %v; %.3f matches per query\n\n", mean, p50, p99, float64(matches)/float64(len(lat)))
}

func masking(votes, replies []tipdm.Message) {
	fmt.Println("== Privacy masking self-check")
	rng := rand.New(rand.NewPCG(5, 5))
	var sentences []string
	for _, m := range votes[:500] {
		for _, s := range strings.Split(m.Body, "。") {
			if len([]rune(s)) > 8 {
				sentences = append(sentences, s)
			}
		}
	}
	digits := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		return b.String()
	}
	kinds := map[string]func() (string, string){
		"mobile": func() (string, string) {
			d := "1" + string(rune('3'+rng.IntN(7))) + digits(9)
			forms := []string{d, d[:3] + " " + d[3:7] + " " + d[7:], d[:3] + "-" + d[3:7] + "-" + d[7:], "+86 " + d, "0086" + d, toFull(d)}
			return forms[rng.IntN(len(forms))], d
		},
		"landline": func() (string, string) {
			areas := []string{"010", "021", "0731", "0755", "0311"}
			a := areas[rng.IntN(len(areas))]
			l := string(rune('2'+rng.IntN(7))) + digits(7)
			forms := []string{a + "-" + l, "(" + a + ")" + l, a + " " + l}
			return forms[rng.IntN(len(forms))], l
		},
		"ID": func() (string, string) {
			d := fmt.Sprintf("4301%02d%04d%02d%02d%03d", rng.IntN(99), 1950+rng.IntN(60), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(1000))
			w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
			sum := 0
			for i := 0; i < 17; i++ {
				sum += int(d[i]-'0') * w[i]
			}
			d += string("10X98765432"[sum%11])
			return d, d
		},
		"bank card": func() (string, string) {
			p := "62" + digits(15+rng.IntN(2))
			for c := 0; c < 10; c++ {
				if luhnOK(p + string(rune('0'+c))) {
					p += string(rune('0' + c))
					break
				}
			}
			return p, p
		},
		"e-mail": func() (string, string) {
			u := "user" + digits(5)
			return u + "@example.com", u
		},
	}
	names := []string{"mobile", "landline", "ID", "bank card", "e-mail"}
	for _, k := range names {
		hidden := 0
		const n = 1000
		for i := 0; i < n; i++ {
			form, secret := kinds[k]()
			s := sentences[rng.IntN(len(sentences))] + "，联系" + form + "。"
			if !strings.Contains(text.Mask(s), secret) {
				hidden++
			}
		}
		fmt.Printf("  %-9s generated in real sentences: %d/%d hidden\n", k, hidden, n)
	}
	changed, total := 0, 0
	var examples []string
	for _, set := range [][]tipdm.Message{votes, replies} {
		for _, m := range set {
			for _, s := range []string{m.Body, m.Reply} {
				if s == "" {
					continue
				}
				total++
				if out := text.Mask(s); out != s {
					changed++
					if len(examples) < 5 && !strings.Contains(s, "0000-00000000") {
						examples = append(examples, diffSnippet(s, out))
					}
				}
			}
		}
	}
	fmt.Printf("  real texts changed by Mask (the publisher replaced numbers by 0000-00000000, which masks as a landline): %d of %d\n", changed, total)
	for _, e := range examples {
		fmt.Println("   ", e)
	}
	fmt.Println()
}

func luhnOK(d string) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

func toFull(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r + 0xFEE0)
	}
	return b.String()
}

// diffSnippet shows the first changed place of a masked text.
func diffSnippet(a, b string) string {
	ra, rb := []rune(a), []rune(b)
	i := 0
	for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
		i++
	}
	from := max(i-10, 0)
	return string(ra[from:min(i+20, len(ra))]) + "  →  " + string(rb[from:min(i+20, len(rb))])
}

func replyHints(replies []tipdm.Message) {
	fmt.Println("== Reply quality hints (答复质量), heuristic")
	msgs := make([]string, len(replies))
	reps := make([]string, len(replies))
	for i, m := range replies {
		msgs[i], reps[i] = m.Text(), m.Reply
	}
	c := text.NewReplyChecker(msgs, reps)
	hs := make([]text.ReplyHints, len(replies))
	for i := range replies {
		hs[i] = c.Check(msgs[i], reps[i])
	}
	s := text.Shares(hs)
	fmt.Printf("%d replies: off-topic %.1f%%, boilerplate %.1f%%, no basis %.1f%%, no follow-up %.1f%%, any hint %.1f%%; median key-term coverage %.2f\n",
		s.N, 100*s.OffTopic, 100*s.Boilerplate, 100*s.NoBasis, 100*s.NoFollow, 100*s.Any, s.MedianCoverage)
	show := func(name string, pick func(text.ReplyHints) bool) {
		fmt.Println("  examples,", name)
		n := 0
		for i, h := range hs {
			if !pick(h) || n >= 3 {
				continue
			}
			if i%7 != 0 { // spread the examples over the file
				continue
			}
			n++
			r := []rune(strings.ReplaceAll(reps[i], "\n", " "))
			fmt.Printf("    #%s %s | coverage %.1f copies %d | %s\n", replies[i].ID, replies[i].Subject, h.Coverage, h.Copies, string(r[:min(90, len(r))]))
		}
	}
	show("off-topic", func(h text.ReplyHints) bool { return h.OffTopic })
	show("boilerplate", func(h text.ReplyHints) bool { return h.Boilerplate })
	show("no basis", func(h text.ReplyHints) bool { return h.NoBasis })
	show("no follow-up", func(h text.ReplyHints) bool { return h.NoFollowUp })
}
