package study

import (
	"sort"
	"sync"
)

// Kinds of source a reflection is compared with.
const (
	SourceReflection = "reflection" // another officer's reflection
	SourceReference  = "reference"  // a published template text (范文)
	SourceMaterial   = "material"   // the task's own study material
)

// Doc is a text a reflection is compared with.
type Doc struct {
	Kind  string
	ID    int64  // reflection or reference id; 0 for a built-in reference
	Key   string // "reflection:12", "reference:seed-000", "material:3"
	Title string
	Body  string

	once  sync.Once
	norm  Norm
	seeds seedIndex
}

func (d *Doc) prepare() {
	d.once.Do(func() {
		d.norm = Normalize(d.Body)
		d.seeds = indexSeeds(d.norm.Runes)
	})
}

// Match is one source's shared passages with a reflection.
type Match struct {
	Source string  `json:"source"` // Doc.Key
	Kind   string  `json:"kind"`
	Title  string  `json:"title"`
	Score  float64 `json:"score"` // share of the reflection found in this source, 0–1
	Spans  []Span  `json:"spans"`
}

// Result is the originality check of one text.
type Result struct {
	// Similarity is the share of the text (in compared characters) found in
	// any source: 0 is wholly original, 1 wholly copied.
	Similarity float64 `json:"similarity"`
	Matches    []Match `json:"matches"`
}

const (
	// minMatchScore keeps a source off the list when all it shares is a
	// stock phrase or two.
	minMatchScore = 0.03
	maxMatches    = 10
)

// Compare aligns a reduced text with each source and sums up.
func Compare(q Norm, docs []*Doc) Result {
	var res Result
	var all []Span
	for _, d := range docs {
		d.prepare()
		spans := align(q, d.norm, d.seeds)
		sc := coverage(q.Len(), spans)
		if sc < minMatchScore {
			continue
		}
		res.Matches = append(res.Matches, Match{Source: d.Key, Kind: d.Kind, Title: d.Title, Score: round3(sc), Spans: spans})
	}
	sort.SliceStable(res.Matches, func(a, b int) bool { return res.Matches[a].Score > res.Matches[b].Score })
	if len(res.Matches) > maxMatches {
		res.Matches = res.Matches[:maxMatches]
	}
	for _, m := range res.Matches {
		all = append(all, m.Spans...)
	}
	res.Similarity = round3(coverage(q.Len(), all))
	if res.Matches == nil {
		res.Matches = []Match{}
	}
	return res
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
