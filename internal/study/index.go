package study

import (
	"sort"
	"sync"

	"github.com/luoshi/luoshi/internal/text"
)

// LSH over text.Sign's 64 MinHash values, banded 32 × 2 rather than
// text.Index's 16 × 4: text.Index looks for near-identical messages
// (J ≥ 0.7), a reflection copy with 30% of its sentences rewritten has a
// 3-gram Jaccard near 0.5 and one that copies half of another near 0.33.
// A pair with Jaccard J shares a band with probability 1-(1-J²)³²:
// 0.95 at J=0.3, 0.9997 at J=0.5, while two independent reflections on one
// subject (J ≈ 0.03–0.08) share one in 3–19% of pairs, which the signature
// comparison then drops.
const (
	bands    = 32
	bandRows = 2
)

func bandKey(sig *text.Signature, b int) uint64 {
	h := uint64(b+1) * 0x9e3779b97f4a7c15
	for _, v := range sig[b*bandRows : (b+1)*bandRows] {
		h ^= uint64(v)
		h *= 0x100000001b3
		h ^= h >> 29
	}
	return h
}

// Index holds the signatures of stored reflections and finds the ones
// worth aligning with a new text. Postings are a linked list through next
// (head[key] is the last posting + 1), about 90 bytes per reflection on top
// of its 256-byte signature, so 100,000 reflections take some 35 MB. It is
// safe for concurrent use.
type Index struct {
	mu     sync.RWMutex
	sigs   []text.Signature
	docs   []DocRef
	head   map[uint64]int32
	next   []int32
	lastID int64
}

// DocRef names an indexed reflection: its id, author and task.
type DocRef struct {
	ID, Author, Task int64
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{head: map[uint64]int32{}} }

// Len is the number of reflections indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.docs)
}

// LastID is the highest reflection id added (reflections are added in id
// order, so a refresh reads only the rows above it).
func (x *Index) LastID() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.lastID
}

// Add indexes a reflection's signature.
func (x *Index) Add(d DocRef, sig text.Signature) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if d.ID <= x.lastID && d.ID != 0 {
		return // already there (two refreshes raced)
	}
	n := int32(len(x.docs))
	x.docs = append(x.docs, d)
	x.sigs = append(x.sigs, sig)
	for b := 0; b < bands; b++ {
		k := bandKey(&sig, b)
		x.next = append(x.next, x.head[k])
		x.head[k] = n*bands + int32(b) + 1
	}
	x.lastID = max(x.lastID, d.ID)
}

// Candidate is an indexed reflection with its estimated Jaccard similarity.
type Candidate struct {
	DocRef
	Est float64
}

// Candidates returns up to limit reflections sharing a band with sig whose
// estimated similarity is at least min, best first; skip drops some (the
// author's own earlier versions).
func (x *Index) Candidates(sig *text.Signature, min float64, limit int, skip func(DocRef) bool) []Candidate {
	x.mu.RLock()
	defer x.mu.RUnlock()
	seen := map[int32]struct{}{}
	var out []Candidate
	for b := 0; b < bands; b++ {
		for p := x.head[bandKey(sig, b)]; p != 0; p = x.next[p-1] {
			d := (p - 1) / bands
			if _, ok := seen[d]; ok {
				continue
			}
			seen[d] = struct{}{}
			if skip != nil && skip(x.docs[d]) {
				continue
			}
			if s := sig.Similarity(&x.sigs[d]); s >= min {
				out = append(out, Candidate{x.docs[d], s})
			}
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Est != out[b].Est {
			return out[a].Est > out[b].Est
		}
		return out[a].ID < out[b].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Sign is the MinHash signature of a reduced text.
func Sign(n Norm) text.Signature { return text.Sign(string(n.Runes)) }
