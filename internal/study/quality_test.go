package study

import (
	"fmt"
	"sort"
	"strconv"
	"testing"
)

// memCorpus is N stored reflections held in memory, as the benchmark and
// the quality measurement use them; body regenerates a stored text from its
// id (deterministic), so 100,000 texts need no 600 MB of strings.
type memCorpus struct {
	idx  *Index
	body func(id int64) string
}

func storedText(id int64) string { return newGen(uint64(id)).text(2000) }

func newMemCorpus(n int) *memCorpus {
	c := &memCorpus{idx: NewIndex(), body: storedText}
	type signed struct {
		id  int64
		sig [64]uint32
	}
	// sign on two goroutines (the machine has two cores)
	out := make([]signed, n)
	done := make(chan struct{})
	for w := 0; w < 2; w++ {
		go func(w int) {
			for i := w; i < n; i += 2 {
				out[i] = signed{int64(i + 1), Sign(Normalize(storedText(int64(i + 1))))}
			}
			done <- struct{}{}
		}(w)
	}
	<-done
	<-done
	for _, s := range out {
		c.idx.Add(DocRef{ID: s.id, Author: s.id, Task: 1}, s.sig)
	}
	return c
}

func (c *memCorpus) check(body string) Result {
	n := Normalize(body)
	sig := Sign(n)
	res, err := CheckWith(n, &sig, c.idx, Builtin(), nil, func(cs []Candidate) ([]*Doc, error) {
		out := make([]*Doc, len(cs))
		for i, cd := range cs {
			out[i] = &Doc{Kind: SourceReflection, ID: cd.ID, Key: "reflection:" + strconv.FormatInt(cd.ID, 10), Body: c.body(cd.ID)}
		}
		return out, nil
	})
	if err != nil {
		panic(err)
	}
	return res
}

// TestOriginalityRecallAndFalseFlags measures, at the default threshold,
// the share of disguised copies flagged (recall) and of independent texts
// flagged (false flags). `go test -run Recall -v ./internal/study/` prints
// the figures.
func TestOriginalityRecallAndFalseFlags(t *testing.T) {
	stored, pos, neg := 3000, 300, 1000
	if testing.Short() {
		stored, pos, neg = 500, 60, 200
	}
	c := newMemCorpus(stored)
	th := float64(DefaultThreshold) / 1000
	g := newGen(424242)
	// the first four are the edited copies and must be flagged;
	// the last two show where detection ends (reported, not required)
	kinds := []struct {
		name string
		e    edit
		must bool
	}{
		{"30% rewritten", edit{changed: 0.3, inserted: 2, units: true, punct: true}, true},
		{"30% moved", edit{moved: 0.3, inserted: 2, units: true, punct: true}, true},
		{"15% rewritten + 15% moved, traditional", thirty, true},
		{"all traditional, punctuation", edit{units: true, punct: true, tradShare: 1}, true},
		{"50% rewritten", edit{changed: 0.5, inserted: 2, units: true, punct: true}, false},
		{"70% rewritten", edit{changed: 0.7, units: true, punct: true}, false},
	}
	var all []float64
	for _, k := range kinds {
		var scores []float64
		flagged := 0
		for i := 0; i < pos/4; i++ {
			var src, want string
			if i%3 == 2 { // a third from the reference corpus
				d := Builtin()[g.r.IntN(len(Builtin()))]
				src, want = g.excerpt(d.Body, 2000), d.Key
			} else {
				id := int64(1 + g.r.IntN(stored))
				src, want = c.body(id), "reflection:"+strconv.FormatInt(id, 10)
			}
			res := c.check(g.disguise(src, k.e))
			scores = append(scores, res.Similarity)
			if res.Similarity >= th && len(res.Matches) > 0 && res.Matches[0].Source == want {
				flagged++
			}
		}
		if k.must {
			all = append(all, scores...)
		}
		sort.Float64s(scores)
		rec := float64(flagged) / float64(len(scores))
		t.Logf("%-40s recall %.3f (%d/%d)  similarity min %.3f median %.3f", k.name, rec, flagged, len(scores), scores[0], scores[len(scores)/2])
		if k.must && rec < 0.95 {
			t.Errorf("%s: recall %.3f < 0.95", k.name, rec)
		}
	}
	var negs []float64
	falseFlags := 0
	for i := 0; i < neg; i++ {
		res := c.check(newGen(uint64(1_000_000 + i)).text(2000))
		negs = append(negs, res.Similarity)
		if res.Similarity >= th {
			falseFlags++
		}
	}
	sort.Float64s(negs)
	rate := float64(falseFlags) / float64(neg)
	t.Logf("independent texts: false flags %.4f (%d/%d)  similarity median %.3f p99 %.3f max %.3f",
		rate, falseFlags, neg, negs[len(negs)/2], negs[len(negs)*99/100], negs[len(negs)-1])
	fmt.Printf("originality at threshold %.2f over %d stored: %d copies, %d independent, false-flag rate %.4f\n", th, stored, len(all), neg, rate)
	if rate >= 0.01 {
		t.Errorf("false flags %.4f ≥ 1%%", rate)
	}
}
