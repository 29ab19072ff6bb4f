package text

import (
	"math/rand/v2"
	"sort"
)

// ClassScore is the precision, recall and F1 of one class.
type ClassScore struct {
	Label                 string
	Support               int
	Precision, Recall, F1 float64
}

// CVResult is the outcome of a k-fold cross-validation.
type CVResult struct {
	FoldMacroF1 []float64
	MacroF1     float64 // over the pooled predictions of all folds
	Accuracy    float64
	Classes     []ClassScore
	// Pred and Conf are the held-out prediction and confidence of each doc.
	Pred []string
	Conf []float64
}

// Folds assigns each doc to one of k stratified folds, deterministically
// for a seed: within each label, docs are shuffled and dealt round robin.
func Folds(docs []Doc, k int, seed uint64) []int {
	byLabel := map[string][]int{}
	var labels []string
	for i, d := range docs {
		if _, ok := byLabel[d.Label]; !ok {
			labels = append(labels, d.Label)
		}
		byLabel[d.Label] = append(byLabel[d.Label], i)
	}
	sort.Strings(labels)
	rng := rand.New(rand.NewPCG(seed, 7))
	fold := make([]int, len(docs))
	next := 0
	for _, l := range labels {
		idx := byLabel[l]
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for _, i := range idx {
			fold[i] = next % k
			next++
		}
	}
	return fold
}

// CrossValidate trains on k-1 folds and predicts the held-out fold, k times.
func CrossValidate(docs []Doc, k int, seed uint64, o Options) CVResult {
	fold := Folds(docs, k, seed)
	res := CVResult{Pred: make([]string, len(docs)), Conf: make([]float64, len(docs))}
	for f := 0; f < k; f++ {
		var train []Doc
		var test []int
		for i, d := range docs {
			if fold[i] == f {
				test = append(test, i)
			} else {
				train = append(train, d)
			}
		}
		m := TrainWith(train, o)
		gold := make([]string, len(test))
		pred := make([]string, len(test))
		for j, i := range test {
			res.Pred[i], res.Conf[i] = m.Predict(docs[i].Text)
			gold[j], pred[j] = docs[i].Label, res.Pred[i]
		}
		macro, _ := Score(gold, pred)
		res.FoldMacroF1 = append(res.FoldMacroF1, macro)
	}
	gold := make([]string, len(docs))
	correct := 0
	for i, d := range docs {
		gold[i] = d.Label
		if res.Pred[i] == d.Label {
			correct++
		}
	}
	res.MacroF1, res.Classes = Score(gold, res.Pred)
	res.Accuracy = float64(correct) / float64(max(len(docs), 1))
	return res
}

// Score computes per-class precision/recall/F1 over the gold labels and the
// unweighted mean F1 (macro-F1).
func Score(gold, pred []string) (macroF1 float64, classes []ClassScore) {
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	support := map[string]int{}
	for i := range gold {
		support[gold[i]]++
		if gold[i] == pred[i] {
			tp[gold[i]]++
		} else {
			fn[gold[i]]++
			fp[pred[i]]++
		}
	}
	var labels []string
	for l := range support {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		c := ClassScore{Label: l, Support: support[l]}
		if tp[l]+fp[l] > 0 {
			c.Precision = float64(tp[l]) / float64(tp[l]+fp[l])
		}
		c.Recall = float64(tp[l]) / float64(support[l])
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		macroF1 += c.F1
		classes = append(classes, c)
	}
	if len(labels) > 0 {
		macroF1 /= float64(len(labels))
	}
	return macroF1, classes
}

// PairLabel is a judged pair of message ids.
type PairLabel struct {
	A, B string
	Same bool
}

// PairScore is the precision and recall of a grouping on judged pairs: a
// pair is predicted "same" when both ids are in one issue.
type PairScore struct {
	TP, FP, FN, TN    int
	Precision, Recall float64
}

// ScorePairs scores issues against labels; pairs with an id missing from
// the issues are skipped.
func ScorePairs(issues []Issue, labels []PairLabel) PairScore {
	of := map[string]int{}
	for i, is := range issues {
		for _, id := range is.IDs {
			of[id] = i
		}
	}
	var s PairScore
	for _, l := range labels {
		a, okA := of[l.A]
		b, okB := of[l.B]
		if !okA || !okB {
			continue
		}
		switch same := a == b; {
		case same && l.Same:
			s.TP++
		case same && !l.Same:
			s.FP++
		case !same && l.Same:
			s.FN++
		default:
			s.TN++
		}
	}
	if s.TP+s.FP > 0 {
		s.Precision = float64(s.TP) / float64(s.TP+s.FP)
	}
	if s.TP+s.FN > 0 {
		s.Recall = float64(s.TP) / float64(s.TP+s.FN)
	}
	return s
}

// ExactPairs lists every pair of items whose bodies have the same ExactKey:
// the positives every grouping must find.
func ExactPairs(items []Item) []PairLabel {
	byKey := map[uint64][]string{}
	var keys []uint64
	for _, it := range items {
		k := ExactKey(it.Body)
		if len(byKey[k]) == 0 {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], it.ID)
	}
	var out []PairLabel
	for _, k := range keys {
		ids := byKey[k]
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				out = append(out, PairLabel{ids[i], ids[j], true})
			}
		}
	}
	return out
}
