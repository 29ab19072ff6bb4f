package text

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Doc is one training example of the routing classifier.
type Doc struct {
	Text  string
	Label string
}

// Options tune training; the zero value means the defaults measured in
// docs/text.md.
type Options struct {
	C       float64 // SVM cost (default 2)
	MinDF   int     // drop features seen in fewer documents (default 2)
	MaxN    int     // longest character n-gram (default 3)
	Epochs  int     // most dual coordinate descent passes (default 50)
	Eps     float64 // stop when the projected gradient spreads less (default 0.1, as LIBLINEAR)
	Seed    uint64  // shuffling seed (default 1)
	Subject int     // extra weight of the first line, the subject (default 2: counted three times; <0 for none)
	Scale   float64 // softmax scale turning SVM scores into a confidence (default 5)
}

func (o Options) withDefaults() Options {
	if o.C == 0 {
		o.C = 2
	}
	if o.MinDF == 0 {
		o.MinDF = 2
	}
	if o.MaxN == 0 {
		o.MaxN = 3
	}
	if o.Epochs == 0 {
		o.Epochs = 50
	}
	if o.Eps == 0 {
		o.Eps = 0.1
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Subject == 0 {
		o.Subject = 2
	}
	if o.Scale == 0 {
		o.Scale = 5
	}
	return o
}

// Model is a trained routing classifier: TF-IDF over character n-grams
// (sublinear tf, l2-normalised) and one linear SVM per class (one-vs-rest),
// trained by dual coordinate descent as LIBLINEAR does. The fields are
// exported for Marshal (encoding/gob) only; treat them as read-only.
type Model struct {
	Version int
	Opts    Options
	Labels  []string
	Terms   map[string]int32
	IDF     []float32
	W       [][]float32 // per class: one weight per term, then the bias
}

const modelVersion = 1

// DefaultThreshold is the confidence below which a prediction should go to
// a person instead of being routed automatically; docs/text.md has the
// accuracy/coverage trade-off measured on the labelled sample.
const DefaultThreshold = 0.6

// ngrams counts the character n-grams (1..maxN inside Han runs) and whole
// latin/digit words of s into counts, each weighted w. Keys are substrings
// of the normalized text, so counting allocates no strings.
func ngrams(s string, maxN int, w float64, counts map[string]float64) {
	norm := Normalize(s)
	kind := kindSep
	runStart := 0
	// offs holds byte offsets of the runes in the current Han run
	var offs []int
	flush := func(end int) {
		switch kind {
		case kindWord:
			counts[norm[runStart:end]] += w
		case kindHan:
			offs = append(offs, end)
			nr := len(offs) - 1
			for n := 1; n <= maxN; n++ {
				for i := 0; i+n <= nr; i++ {
					counts[norm[offs[i]:offs[i+n]]] += w
				}
			}
		}
		offs = offs[:0]
	}
	for i, r := range norm {
		k := kindOf(r)
		if k != kind {
			flush(i)
			kind = k
			runStart = i
		}
		if k == kindHan {
			offs = append(offs, i)
		}
	}
	flush(len(norm))
}

func docCounts(text string, o Options) map[string]float64 {
	counts := make(map[string]float64, len(text)/2)
	ngrams(text, o.MaxN, 1, counts)
	if o.Subject > 0 {
		subj, _, _ := strings.Cut(text, "\n")
		ngrams(subj, o.MaxN, float64(o.Subject), counts)
	}
	return counts
}

// sparse is a feature vector: parallel sorted indices and values.
type sparse struct {
	idx []int32
	val []float32
}

func (m *Model) vector(text string) sparse {
	return m.vectorOf(docCounts(text, m.Opts))
}

func (m *Model) vectorOf(counts map[string]float64) sparse {
	var v sparse
	var norm float64
	for t, c := range counts {
		i, ok := m.Terms[t]
		if !ok {
			continue
		}
		x := (1 + math.Log(c)) * float64(m.IDF[i])
		v.idx = append(v.idx, i)
		v.val = append(v.val, float32(x))
		norm += x * x
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for k := range v.val {
			v.val[k] *= inv
		}
	}
	return v
}

// Train fits a model with the default options.
func Train(docs []Doc) *Model { return TrainWith(docs, Options{}) }

// TrainWith fits a model. Labels are sorted; with fewer than two labels the
// model predicts the only label (or "") with confidence 1.
func TrainWith(docs []Doc, o Options) *Model {
	o = o.withDefaults()
	m := &Model{Version: modelVersion, Opts: o, Terms: map[string]int32{}}
	labelIdx := map[string]int{}
	for _, d := range docs {
		if _, ok := labelIdx[d.Label]; !ok {
			labelIdx[d.Label] = 0
			m.Labels = append(m.Labels, d.Label)
		}
	}
	sort.Strings(m.Labels)
	for i, l := range m.Labels {
		labelIdx[l] = i
	}
	// document frequencies, then the vocabulary of terms with df >= MinDF
	counts := make([]map[string]float64, len(docs))
	df := map[string]int{}
	for i, d := range docs {
		counts[i] = docCounts(d.Text, o)
		for t := range counts[i] {
			df[t]++
		}
	}
	terms := make([]string, 0, len(df))
	for t, n := range df {
		if n >= o.MinDF {
			terms = append(terms, t)
		}
	}
	sort.Strings(terms) // deterministic indices
	m.IDF = make([]float32, len(terms))
	nd := float64(len(docs))
	for i, t := range terms {
		m.Terms[t] = int32(i)
		// smoothed idf as scikit-learn's TfidfVectorizer
		m.IDF[i] = float32(math.Log((1+nd)/(1+float64(df[t]))) + 1)
	}
	xs := make([]sparse, len(docs))
	ys := make([]int, len(docs))
	for i, d := range docs {
		xs[i] = m.vectorOf(counts[i])
		ys[i] = labelIdx[d.Label]
		counts[i] = nil
	}
	if len(m.Labels) < 2 {
		return m
	}
	dim := len(terms) + 1
	m.W = make([][]float32, len(m.Labels))
	// the classes are independent problems: train them on all cores
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for c := range m.Labels {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			m.W[c] = trainSVM(xs, ys, c, dim, o)
			<-sem
		}()
	}
	wg.Wait()
	return m
}

// trainSVM is LIBLINEAR's dual coordinate descent for the L2-regularised,
// squared-hinge-loss SVM (solver 1), with the bias as a constant feature.
func trainSVM(xs []sparse, ys []int, class, dim int, o Options) []float32 {
	n := len(xs)
	w := make([]float64, dim)
	bias := dim - 1
	alpha := make([]float64, n)
	qd := make([]float64, n)
	y := make([]float64, n)
	diag := 0.5 / o.C
	for i, x := range xs {
		var s float64
		for _, v := range x.val {
			s += float64(v) * float64(v)
		}
		qd[i] = s + 1 + diag
		if ys[i] == class {
			y[i] = 1
		} else {
			y[i] = -1
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(class)+1))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// with LIBLINEAR's shrinking: examples whose alpha sits at 0 with a
	// gradient beyond the last pass's range leave the active set until the
	// end, when all are checked once more
	active := n
	pgMaxOld := math.Inf(1)
	for epoch := 0; epoch < o.Epochs; epoch++ {
		rng.Shuffle(active, func(a, b int) { order[a], order[b] = order[b], order[a] })
		pgMax, pgMin := math.Inf(-1), math.Inf(1)
		for s := 0; s < active; s++ {
			i := order[s]
			x := xs[i]
			g := w[bias]
			for k, j := range x.idx {
				g += w[j] * float64(x.val[k])
			}
			g = y[i]*g - 1 + diag*alpha[i]
			pg := g
			if alpha[i] == 0 {
				if g > pgMaxOld {
					active--
					order[s], order[active] = order[active], order[s]
					s--
					continue
				}
				if g > 0 {
					pg = 0
				}
			}
			pgMax, pgMin = math.Max(pgMax, pg), math.Min(pgMin, pg)
			if math.Abs(pg) < 1e-12 {
				continue
			}
			old := alpha[i]
			alpha[i] = math.Max(old-g/qd[i], 0)
			d := (alpha[i] - old) * y[i]
			for k, j := range x.idx {
				w[j] += d * float64(x.val[k])
			}
			w[bias] += d
		}
		if pgMax-pgMin <= o.Eps {
			if active == n {
				break
			}
			active = n
			pgMaxOld = math.Inf(1)
			continue
		}
		// (no upper bound on alpha for the squared hinge: only the lower
		// bound shrinks)
		pgMaxOld = pgMax
		if pgMaxOld <= 0 {
			pgMaxOld = math.Inf(1)
		}
	}
	out := make([]float32, dim)
	for i, v := range w {
		out[i] = float32(v)
	}
	return out
}

func (m *Model) scores(v sparse) []float64 {
	s := make([]float64, len(m.Labels))
	for c, w := range m.W {
		bias := len(w) - 1
		acc := float64(w[bias])
		for k, j := range v.idx {
			acc += float64(w[j]) * float64(v.val[k])
		}
		s[c] = acc
	}
	return s
}

// softmax returns the largest class and its softmax probability at scale.
func softmax(s []float64, scale float64) (int, float64) {
	best := 0
	for c := range s {
		if s[c] > s[best] {
			best = c
		}
	}
	var z float64
	for _, v := range s {
		z += math.Exp(scale * (v - s[best]))
	}
	return best, 1 / z
}

// Predict returns the most likely label of text and a confidence in
// (0, 1]: the softmax of the SVM scores times Options.Scale. It is a
// ranking of certainty, not a calibrated probability: bench/texteval
// prints the held-out accuracy above each threshold. Compare it with a threshold (such
// as DefaultThreshold) to decide between routing automatically and asking a
// person.
func (m *Model) Predict(text string) (label string, confidence float64) {
	if len(m.Labels) == 0 {
		return "", 0
	}
	if len(m.W) == 0 {
		return m.Labels[0], 1
	}
	best, p := softmax(m.scores(m.vector(text)), m.Opts.Scale)
	return m.Labels[best], p
}

// Route is Predict with a threshold: ok is false when the confidence is
// below it and the message should be routed by a person.
func (m *Model) Route(text string, threshold float64) (label string, confidence float64, ok bool) {
	label, confidence = m.Predict(text)
	return label, confidence, confidence >= threshold && label != ""
}

// Marshal encodes the model for storage (e.g. a database BLOB).
func (m *Model) Marshal() ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrModel reports bytes that are not a model this version can read.
var ErrModel = errors.New("text: not a routing model")

// Unmarshal decodes a model written by Marshal and checks its shape.
func Unmarshal(data []byte) (*Model, error) {
	m := new(Model)
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if m.Version != modelVersion {
		return nil, fmt.Errorf("%w: version %d", ErrModel, m.Version)
	}
	if len(m.IDF) != len(m.Terms) || (len(m.W) != 0 && len(m.W) != len(m.Labels)) {
		return nil, fmt.Errorf("%w: inconsistent sizes", ErrModel)
	}
	for _, w := range m.W {
		if len(w) != len(m.IDF)+1 {
			return nil, fmt.Errorf("%w: inconsistent sizes", ErrModel)
		}
	}
	for _, i := range m.Terms {
		if i < 0 || int(i) >= len(m.IDF) {
			return nil, fmt.Errorf("%w: term index out of range", ErrModel)
		}
	}
	return m, nil
}
