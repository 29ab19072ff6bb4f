package study

import "sort"

// Span is a passage shared by a text and a source, in character (rune)
// offsets of the two original texts, end exclusive.
type Span struct {
	Start       int `json:"start"`
	End         int `json:"end"`
	SourceStart int `json:"source_start"`
	SourceEnd   int `json:"source_end"`
	n, sn       int // start of the span in the reduced texts, for coverage
	len         int // length in reduced characters
}

// seedLen is the shortest shared passage that counts, in reduced
// characters. Shorter runs are common phrases any two texts on the same
// subject share (中国特色社会主义 is 8); a changed unit name or one edited
// character splits a copied sentence into two runs that still count.
const seedLen = 10

// maxSeedHits bounds the positions tried per seed in a very repetitive
// source, so alignment stays linear.
const maxSeedHits = 16

// seedIndex maps the hash of every seedLen-gram of a reduced source to its
// positions.
type seedIndex map[uint64][]int32

func gramHash(rs []rune) uint64 {
	h := uint64(14695981039346656037)
	for _, r := range rs {
		h ^= uint64(r)
		h *= 1099511628211
	}
	return h
}

func indexSeeds(rs []rune) seedIndex {
	if len(rs) < seedLen {
		return seedIndex{}
	}
	x := make(seedIndex, len(rs))
	for i := 0; i+seedLen <= len(rs); i++ {
		h := gramHash(rs[i : i+seedLen])
		if len(x[h]) < maxSeedHits {
			x[h] = append(x[h], int32(i))
		}
	}
	return x
}

// align finds the passages of q that occur in src: walking q left to right,
// at each position the longest exact match of at least seedLen characters
// starting there is taken and the walk jumps past it. Reordered sentences
// and inserted ones do not matter (each passage is found wherever it is in
// the source); an edit only cuts the passage around it.
func align(q, src Norm, x seedIndex) []Span {
	var out []Span
	qr, sr := q.Runes, src.Runes
	for i := 0; i+seedLen <= len(qr); {
		best, bestJ := 0, 0
		for _, j32 := range x[gramHash(qr[i:i+seedLen])] {
			j := int(j32)
			l := 0
			for i+l < len(qr) && j+l < len(sr) && qr[i+l] == sr[j+l] {
				l++
			}
			if l > best {
				best, bestJ = l, j
			}
		}
		if best < seedLen {
			i++
			continue
		}
		out = append(out, Span{
			Start: int(q.Pos[i]), End: int(q.Pos[i+best-1]) + 1,
			SourceStart: int(src.Pos[bestJ]), SourceEnd: int(src.Pos[bestJ+best-1]) + 1,
			n: i, sn: bestJ, len: best,
		})
		i += best
	}
	return out
}

// coverage is the share of q's reduced characters inside the spans (which
// may overlap when they come from several sources).
func coverage(qlen int, spans []Span) float64 {
	if qlen == 0 || len(spans) == 0 {
		return 0
	}
	ss := append([]Span(nil), spans...)
	sort.Slice(ss, func(a, b int) bool { return ss[a].n < ss[b].n })
	covered, end := 0, 0
	for _, s := range ss {
		a, b := s.n, s.n+s.len
		if b <= end {
			continue
		}
		if a < end {
			a = end
		}
		covered += b - a
		end = b
	}
	return float64(covered) / float64(qlen)
}
