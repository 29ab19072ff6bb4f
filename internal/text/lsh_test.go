package text

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/luoshi/luoshi/internal/text/tipdm"
)

func TestIndexSynthetic(t *testing.T) {
	x := NewIndex()
	x.Add("a", "A3区西湖街道茶场村五组何时才能启动拆迁？村民已经等了三年，一直没有消息。")
	x.Add("b", "丽发新城小区旁边搅拌站日夜施工，噪音和粉尘严重，请环保部门处理。")
	x.Add("c", "早高峰公交车要等四十分钟，请增加班次。")
	got := x.Candidates("Ａ３区西湖街道茶场村五组何时才能启动拆迁?村民已经等了三年,一直没有消息!", 0.5)
	if len(got) != 1 || got[0].ID != "a" || got[0].Score != 1 {
		t.Errorf("exact duplicate up to punctuation: %v", got)
	}
	got = x.Candidates("丽发新城小区旁边搅拌站日夜施工，噪音和粉尘都很严重，请环保部门尽快处理。", 0.3)
	if len(got) == 0 || got[0].ID != "b" {
		t.Errorf("near duplicate: %v", got)
	}
	if got := x.Candidates("学校食堂价格太贵", 0.1); len(got) != 0 {
		t.Errorf("unrelated text: %v", got)
	}
	if x.Len() != 3 {
		t.Errorf("Len %d", x.Len())
	}
}

// TestIndexFindsDuplicates adds the messages with votes in time order and
// asks, for each, which earlier messages it repeats: every exact duplicate
// must be found, and near-duplicates (3-gram Jaccard >= 0.7 among the
// same-matter pairs) nearly all.
func TestIndexFindsDuplicates(t *testing.T) {
	items := votesItems(t)
	x := NewIndex()
	found := map[[2]string]bool{}
	for _, it := range items {
		for _, m := range x.Candidates(it.Body, 0.5) {
			found[[2]string{m.ID, it.ID}], found[[2]string{it.ID, m.ID}] = true, true
		}
		x.Add(it.ID, it.Body)
	}
	missed := 0
	exact := ExactPairs(items)
	for _, p := range exact {
		if !found[[2]string{p.A, p.B}] {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("index missed %d of %d exact duplicate pairs", missed, len(exact))
	}
	near, nearFound := 0, 0
	for _, p := range SimilarPairs(items, GroupOptions{}) {
		if NearDup(items[p.A].Body, items[p.B].Body) >= 0.7 {
			near++
			if found[[2]string{items[p.A].ID, items[p.B].ID}] {
				nearFound++
			}
		}
	}
	t.Logf("exact pairs %d all found; near-duplicate pairs (Jaccard >= 0.7) %d, found %d", len(exact), near, nearFound)
	if near == 0 || float64(nearFound) < 0.95*float64(near) {
		t.Errorf("near-duplicates found %d of %d", nearFound, near)
	}
}

var (
	genOnce sync.Once
	genDocs []string
)

// generated returns n synthetic messages for the index benchmark: real
// messages of attachments 3 and 4 with their sentences rotated and a
// quarter of their Han characters replaced by others of the corpus, so
// most are not near-duplicates of each other but share the corpus's
// vocabulary and length.
func generated(b *testing.B, n int) []string {
	genOnce.Do(func() {
		var base []string
		for _, f := range []string{tipdm.Votes, tipdm.Replies} {
			for _, m := range load(b, f) {
				base = append(base, m.Body)
			}
		}
		var pool []rune
		for _, s := range base[:200] {
			for _, r := range s {
				if kindOf(r) == kindHan {
					pool = append(pool, r)
				}
			}
		}
		rng := rand.New(rand.NewPCG(11, 11))
		for i := 0; i < max(100000, lshBenchDocs()); i++ {
			sents := strings.Split(base[i%len(base)], "。")
			k := rng.IntN(len(sents))
			rs := []rune(strings.Join(append(sents[k:], sents[:k]...), "。"))
			for j := range rs {
				if kindOf(rs[j]) == kindHan && rng.IntN(4) == 0 {
					rs[j] = pool[rng.IntN(len(pool))]
				}
			}
			genDocs = append(genDocs, string(rs))
		}
	})
	if len(genDocs) == 0 {
		b.Skip("no data")
	}
	return genDocs[:n]
}

// lshBenchDocs is an extra size for BenchmarkIndexCandidates
// (LUOSHI_BENCH_LSH_DOCS, e.g. 1000000; 0: only 10,000 and 100,000).
func lshBenchDocs() int {
	n, _ := strconv.Atoi(os.Getenv("LUOSHI_BENCH_LSH_DOCS"))
	return n
}

func BenchmarkIndexCandidates(b *testing.B) {
	sizes := []int{10000, 100000}
	if n := lshBenchDocs(); n > 0 {
		sizes = []int{n}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			docs := generated(b, n)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			x := NewIndex()
			sigs := make([]Signature, len(docs))
			var wg sync.WaitGroup
			for w := range runtime.GOMAXPROCS(0) { // signing a million takes minutes
				wg.Go(func() {
					for i := w; i < len(docs); i += runtime.GOMAXPROCS(0) {
						sigs[i] = Sign(docs[i])
					}
				})
			}
			wg.Wait()
			for i := range sigs {
				x.AddSignature(fmt.Sprint(i), sigs[i])
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			queries := load(b, tipdm.Labeled)
			b.ResetTimer()
			cands, scanned := 0, 0
			i := 0
			for b.Loop() {
				cands += len(x.Candidates(queries[i%len(queries)].Text(), 0.5))
				i++
			}
			// bucket entries a query examines, which is what grows with N
			for _, q := range queries {
				sig := Sign(q.Text())
				for k := 0; k < numBands; k++ {
					scanned += len(x.buckets[sig.band(k)])
				}
			}
			b.ReportMetric(float64(cands)/float64(i), "matches/op")
			b.ReportMetric(float64(scanned)/float64(len(queries)), "scanned/op")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heapB/doc")
		})
	}
}

func BenchmarkSign(b *testing.B) {
	docs := load(b, tipdm.Labeled)
	i := 0
	for b.Loop() {
		Sign(docs[i%len(docs)].Body)
		i++
	}
}

func BenchmarkGroup4326(b *testing.B) {
	items := votesItems(b)
	for b.Loop() {
		Group(items, GroupOptions{})
	}
}
