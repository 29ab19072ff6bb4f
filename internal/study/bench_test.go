package study

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkCheck is the originality check of a new 2,000-character
// reflection against N stored ones and the reference corpus: signature,
// LSH look-up, loading the candidates' texts (regenerated here, a database
// read in the service) and the alignments. Half the queries are disguised
// copies, half independent texts.
//
//	go test -run XXX -bench Check -benchtime 200x -v ./internal/study/
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c := benchCorpus(b, n)
			g := newGen(7)
			queries := make([]string, 64)
			for i := range queries {
				if i%2 == 0 {
					queries[i] = g.disguise(c.body(int64(1+g.r.IntN(n))), thirty)
				} else {
					queries[i] = g.text(2000)
				}
			}
			cands := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := queries[i%len(queries)]
				res := c.check(q)
				cands += len(res.Matches)
			}
			b.StopTimer()
			b.ReportMetric(float64(cands)/float64(b.N), "matches/op")
		})
	}
}

var benchCorpora = map[int]*memCorpus{}

// benchCorpus builds the corpus of n stored texts once per process (the
// benchmark function runs several times with growing b.N).
func benchCorpus(b *testing.B, n int) *memCorpus {
	if c, ok := benchCorpora[n]; ok {
		return c
	}
	clear(benchCorpora) // keep one at a time in memory
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	c := newMemCorpus(n)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.Logf("N=%d: index built in %s (signing %d texts of 2,000 characters on 2 goroutines), %.0f bytes of heap per stored text",
		n, build.Round(time.Millisecond), n, float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n))
	benchCorpora[n] = c
	return c
}
