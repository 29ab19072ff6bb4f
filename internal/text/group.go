package text

import (
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// shingles returns the set of hashed character 3-grams of s's letters,
// digits and Han characters, with punctuation and spacing removed: the unit
// of near-duplicate comparison.
func shingles(s string) map[uint64]struct{} {
	var rs []rune
	for _, r := range runs(Normalize(s)) {
		rs = append(rs, r.runes...)
	}
	set := make(map[uint64]struct{}, len(rs))
	if len(rs) < 3 {
		if len(rs) > 0 {
			set[hashRunes(rs)] = struct{}{}
		}
		return set
	}
	for i := 0; i+3 <= len(rs); i++ {
		set[hashRunes(rs[i:i+3])] = struct{}{}
	}
	return set
}

// hashRunes is FNV-1a over the runes (as 32-bit values), without building
// a string.
func hashRunes(rs []rune) uint64 {
	h := uint64(14695981039346656037)
	for _, r := range rs {
		for k := 0; k < 32; k += 8 {
			h ^= uint64(byte(r >> k))
			h *= 1099511628211
		}
	}
	return h
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// NearDup scores how much two messages are the same text: the Jaccard
// similarity of their character 3-gram sets, from 0 (nothing shared) to 1
// (the same text up to punctuation, spacing, width and case).
func NearDup(a, b string) float64 {
	sa, sb := shingles(a), shingles(b)
	if len(sa) == 0 && len(sb) == 0 {
		return 1
	}
	inter := 0
	for h := range sa {
		if _, ok := sb[h]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(sa)+len(sb)-inter)
}

// ExactKey identifies a message body up to white space, punctuation, width
// and case: equal keys are exact duplicates (重复件).
func ExactKey(s string) uint64 {
	var b strings.Builder
	for _, r := range runs(Normalize(s)) {
		b.WriteString(string(r.runes))
		b.WriteByte(0)
	}
	return hashString(b.String())
}

// Item is a message to group.
type Item struct {
	ID    string
	Title string
	Body  string
	Time  time.Time
	Votes int
}

// Issue is a group of messages about one matter (热点问题).
type Issue struct {
	IDs         []string // in time order
	Count       int
	First, Last time.Time
	Title       string // the title of the most central message
	Votes       int    // summed
}

// GroupOptions tune Group; the zero value means the defaults of docs/text.md.
type GroupOptions struct {
	// Threshold is the cosine similarity (TF-IDF over character bigrams of
	// title and body) at or above which two messages are the same matter
	// (default 0.4).
	Threshold float64
	// Window is the longest time between two messages linked directly
	// (default 0: no limit).
	Window time.Duration
	// TopTerms is how many of a message's highest-weighted bigrams index it
	// for candidate pairs (default 16).
	TopTerms int
}

// Pair is two items (indices into the Group input) and their similarity.
type Pair struct {
	A, B  int
	Score float64
}

// vectors builds l2-normalised TF-IDF vectors over the character bigrams
// (and words) of title (counted twice) and body, with the idf of the set.
func vectors(items []Item) []map[string]float64 {
	tf := make([]map[string]float64, len(items))
	df := map[string]int{}
	for i, it := range items {
		m := map[string]float64{}
		for _, t := range bigrams(it.Title) {
			m[t] += 2
		}
		for _, t := range bigrams(it.Body) {
			m[t]++
		}
		tf[i] = m
		for t := range m {
			df[t]++
		}
	}
	n := float64(len(items))
	for _, m := range tf {
		var norm float64
		for t, c := range m {
			w := (1 + math.Log(c)) * (math.Log((1+n)/(1+float64(df[t]))) + 1)
			m[t] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for t := range m {
			m[t] /= norm
		}
	}
	return tf
}

// bigrams is Tokens without the run-end single characters of multi-character
// runs, which carry no meaning of their own.
func bigrams(s string) []string {
	var out []string
	for _, r := range runs(Normalize(s)) {
		if r.kind == kindWord || len(r.runes) == 1 {
			out = append(out, string(r.runes))
			continue
		}
		for i := 0; i+1 < len(r.runes); i++ {
			out = append(out, string(r.runes[i:i+2]))
		}
	}
	return out
}

func cosine(a, b map[string]float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	var s float64
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

// SimilarPairs returns the pairs of items that are the same matter: exact
// duplicates (ExactKey) always, and pairs whose cosine reaches the
// threshold. Candidates are pairs sharing at least two of their TopTerms
// highest-weighted bigrams, so the work grows with the items sharing rare
// terms rather than with all pairs.
func SimilarPairs(items []Item, o GroupOptions) []Pair {
	o = o.withDefaults()
	vec := vectors(items)
	seen := map[[2]int]bool{}
	var out []Pair
	add := func(a, b int, s float64) {
		if a > b {
			a, b = b, a
		}
		if seen[[2]int{a, b}] {
			return
		}
		seen[[2]int{a, b}] = true
		out = append(out, Pair{a, b, s})
	}
	byKey := map[uint64][]int{}
	for i, it := range items {
		k := ExactKey(it.Body)
		for _, j := range byKey[k] {
			add(j, i, 1)
		}
		byKey[k] = append(byKey[k], i)
	}
	posting := map[string][]int{}
	for i, v := range vec {
		for _, t := range topTerms(v, o.TopTerms) {
			posting[t] = append(posting[t], i)
		}
	}
	for i, v := range vec {
		shared := map[int]int{}
		for _, t := range topTerms(v, o.TopTerms) {
			for _, j := range posting[t] {
				if j > i {
					shared[j]++
				}
			}
		}
		for j, n := range shared {
			if n < 2 {
				continue
			}
			if o.Window > 0 && absDur(items[i].Time.Sub(items[j].Time)) > o.Window {
				continue
			}
			if s := cosine(v, vec[j]); s >= o.Threshold {
				add(i, j, s)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].A != out[b].A {
			return out[a].A < out[b].A
		}
		return out[a].B < out[b].B
	})
	return out
}

// SimilarTo returns the pairs of SimilarPairs(items, o) that involve
// items[0] (A is 0, B the other item), without comparing the other items
// with each other: a handler asking which earlier reports are about the
// same matter as one (report.Similar) compared all 500 with all (18 ms of
// 24). The rule and the weights (the idf of the whole set) are the same.
func SimilarTo(items []Item, o GroupOptions) []Pair {
	if len(items) == 0 {
		return nil
	}
	o = o.withDefaults()
	vec := vectors(items)
	mine := map[string]bool{}
	for _, t := range topTerms(vec[0], o.TopTerms) {
		mine[t] = true
	}
	key := ExactKey(items[0].Body)
	var out []Pair
	for j := 1; j < len(items); j++ {
		if ExactKey(items[j].Body) == key {
			out = append(out, Pair{0, j, 1})
			continue
		}
		n := 0
		for _, t := range topTerms(vec[j], o.TopTerms) {
			if mine[t] {
				n++
			}
		}
		if n < 2 || (o.Window > 0 && absDur(items[0].Time.Sub(items[j].Time)) > o.Window) {
			continue
		}
		if s := cosine(vec[0], vec[j]); s >= o.Threshold {
			out = append(out, Pair{0, j, s})
		}
	}
	return out
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func (o GroupOptions) withDefaults() GroupOptions {
	if o.Threshold == 0 {
		o.Threshold = 0.4
	}
	if o.TopTerms == 0 {
		o.TopTerms = 16
	}
	return o
}

// topTerms is the k highest-weighted terms of v (ties: the smaller term
// first), highest first: kept in a small sorted slice as v is read, since
// sorting every term of every vector was most of a comparison's time.
func topTerms(v map[string]float64, k int) []string {
	type tw struct {
		t string
		w float64
	}
	above := func(a, b tw) bool { return a.w > b.w || (a.w == b.w && a.t < b.t) }
	top := make([]tw, 0, k+1)
	for t, w := range v {
		x := tw{t, w}
		if len(top) == k && !above(x, top[k-1]) {
			continue
		}
		i := len(top)
		for i > 0 && above(x, top[i-1]) {
			i--
		}
		top = slices.Insert(top, i, x)
		if len(top) > k {
			top = top[:k]
		}
	}
	out := make([]string, len(top))
	for i, x := range top {
		out[i] = x.t
	}
	return out
}

// Group clusters items into issues: the connected components of
// SimilarPairs. Issues come largest first (then most votes, then earliest);
// an item similar to nothing is an issue of one.
func Group(items []Item, o GroupOptions) []Issue {
	parent := make([]int, len(items))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	pairs := SimilarPairs(items, o)
	central := make([]float64, len(items)) // summed similarity to linked items
	for _, p := range pairs {
		central[p.A] += p.Score
		central[p.B] += p.Score
		if ra, rb := find(p.A), find(p.B); ra != rb {
			parent[ra] = rb
		}
	}
	members := map[int][]int{}
	for i := range items {
		r := find(i)
		members[r] = append(members[r], i)
	}
	out := make([]Issue, 0, len(members))
	for _, ms := range members {
		sort.Slice(ms, func(a, b int) bool {
			ta, tb := items[ms[a]].Time, items[ms[b]].Time
			if !ta.Equal(tb) {
				return ta.Before(tb)
			}
			return items[ms[a]].ID < items[ms[b]].ID
		})
		is := Issue{Count: len(ms), First: items[ms[0]].Time, Last: items[ms[len(ms)-1]].Time}
		best := ms[0]
		for _, i := range ms {
			is.IDs = append(is.IDs, items[i].ID)
			is.Votes += items[i].Votes
			if central[i] > central[best] {
				best = i
			}
		}
		is.Title = items[best].Title
		out = append(out, is)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count > out[b].Count
		}
		if out[a].Votes != out[b].Votes {
			return out[a].Votes > out[b].Votes
		}
		return out[a].First.Before(out[b].First)
	})
	return out
}
