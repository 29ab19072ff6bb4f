package report

import (
	"context"
	"sort"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/text"
)

// Match is an earlier report that may be about the same matter.
type Match struct {
	ID      int64   `json:"id"`
	Number  string  `json:"number"`
	Subject string  `json:"subject"`
	Status  Status  `json:"status"`
	Score   float64 `json:"score"`
}

// similarWindow bounds how many earlier reports are compared: the newest ones
// p may see (each is decrypted for the comparison, in memory only).
const similarWindow = 500

// Similar finds the reports p may see that look like the same matter as
// report id (重复件): exact duplicates and reports whose TF-IDF cosine reaches
// the grouping threshold of internal/text, best first. Merging stays the
// handler's decision.
func (r *Reports) Similar(ctx context.Context, p *org.Principal, id int64, limit int) ([]Match, error) {
	l, err := r.load(ctx, r.DB.Read, p, id, org.ClueRead)
	if err != nil {
		return nil, err
	}
	if err := r.open(&l); err != nil {
		return nil, err
	}
	others, _, err := r.List(ctx, p, Filter{PerPage: similarWindow})
	if err != nil {
		return nil, err
	}
	items := []text.Item{{ID: l.Number, Title: l.Subject, Body: l.Content, Time: time.UnixMilli(l.CreatedAt)}}
	var cands []Lead
	for _, o := range others {
		if o.ID == l.ID {
			continue
		}
		if err := r.open(&o); err != nil { // List drops the content: read it again
			return nil, err
		}
		cands = append(cands, o)
		items = append(items, text.Item{ID: o.Number, Title: o.Subject, Body: o.Content, Time: time.UnixMilli(o.CreatedAt)})
	}
	var out []Match
	for _, pr := range text.SimilarTo(items, text.GroupOptions{}) {
		c := cands[pr.B-1]
		out = append(out, Match{ID: c.ID, Number: c.Number, Subject: c.Subject, Status: c.Status, Score: pr.Score})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
