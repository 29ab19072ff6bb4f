package text

import (
	"sort"
)

// MinHash parameters: 64 hash functions in 16 bands of 4 rows. A pair with
// 3-gram Jaccard J becomes a candidate with probability 1-(1-J⁴)¹⁶: 0.64 at
// J=0.5, 0.98 at J=0.7, >0.999 at J=0.85.
const (
	numHashes = 64
	numBands  = 16
	bandRows  = numHashes / numBands
)

// Signature is the MinHash signature of a text's 3-gram set.
type Signature [numHashes]uint32

// hash coefficients: odd multipliers from a fixed splitmix64 stream, so
// signatures are stable across processes and versions.
var minhashA, minhashB = func() (a, b [numHashes]uint64) {
	x := uint64(0x6a09e667f3bcc908)
	next := func() uint64 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	for i := range a {
		a[i] = next() | 1
		b[i] = next()
	}
	return
}()

// Sign computes the MinHash signature of s.
func Sign(s string) Signature {
	var sig Signature
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	for h := range shingles(s) {
		for i := range sig {
			if v := uint32((minhashA[i]*h + minhashB[i]) >> 32); v < sig[i] {
				sig[i] = v
			}
		}
	}
	return sig
}

// Similarity estimates the Jaccard similarity of the texts of two signatures.
func (s *Signature) Similarity(o *Signature) float64 {
	n := 0
	for i := range s {
		if s[i] == o[i] {
			n++
		}
	}
	return float64(n) / numHashes
}

func (s *Signature) band(b int) uint64 {
	h := uint64(b+1) * 0x9e3779b97f4a7c15
	for _, v := range s[b*bandRows : (b+1)*bandRows] {
		h ^= uint64(v)
		h *= 0x100000001b3
		h ^= h >> 29
	}
	return h
}

// Index finds earlier messages that are near-duplicates of a new one
// (重复件) without comparing against all of them: MinHash LSH, an
// inverted index from each of 16 band hashes to the documents having it.
// It is not safe for concurrent Add; Candidates may run concurrently with
// each other.
type Index struct {
	sigs    []Signature
	ids     []string
	buckets map[uint64][]int32
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{buckets: map[uint64][]int32{}} }

// Len is the number of documents indexed.
func (x *Index) Len() int { return len(x.ids) }

// Add indexes a document's text under id.
func (x *Index) Add(id, text string) { x.AddSignature(id, Sign(text)) }

// AddSignature indexes a precomputed signature (signatures can be stored
// beside the message and reloaded without re-reading the text).
func (x *Index) AddSignature(id string, sig Signature) {
	n := int32(len(x.ids))
	x.ids = append(x.ids, id)
	x.sigs = append(x.sigs, sig)
	for b := 0; b < numBands; b++ {
		k := sig.band(b)
		x.buckets[k] = append(x.buckets[k], n)
	}
}

// Match is a candidate with its estimated Jaccard similarity.
type Match struct {
	ID    string
	Score float64
}

// Candidates returns the indexed documents sharing a band with text whose
// estimated similarity is at least min, best first.
func (x *Index) Candidates(text string, min float64) []Match {
	sig := Sign(text)
	return x.CandidatesOf(&sig, min)
}

// CandidatesOf is Candidates for a precomputed signature.
func (x *Index) CandidatesOf(sig *Signature, min float64) []Match {
	seen := map[int32]struct{}{}
	var out []Match
	for b := 0; b < numBands; b++ {
		for _, d := range x.buckets[sig.band(b)] {
			if _, ok := seen[d]; ok {
				continue
			}
			seen[d] = struct{}{}
			if s := sig.Similarity(&x.sigs[d]); s >= min {
				out = append(out, Match{x.ids[d], s})
			}
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score > out[b].Score
		}
		return out[a].ID < out[b].ID
	})
	return out
}
