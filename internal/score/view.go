package score

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// HistoryLen is how many periods (this one included) a card's history shows.
const HistoryLen = 6

// View is what the scorecard page, the export and the API show of one unit.
type View struct {
	Unit   org.Unit
	Period Period
	Card   Card
	// Published is the period's publication when the card comes from the
	// published snapshot.
	Published *Publication
	// Snapshot is the background computation the card was read from when
	// the period is unpublished; nil (with Published) when it was computed
	// just now with the formula in force.
	Snapshot *Snapshot
	// FormulaVersion in force now (differs from Card.FormulaVersion when a
	// published period predates a formula change: republishing is explicit).
	FormulaVersion int
	// Siblings are the sibling cards p may read (the unit's own included),
	// best first; the rank counts every sibling.
	Siblings []Card
	// History is the unit's cards over the last periods of the same kind, oldest first.
	History []Card
}

// Stale reports whether the published card predates the formula in force.
func (v View) Stale() bool {
	return v.Published != nil && v.Published.FormulaVersion != v.FormulaVersion
}

// unitCard finds the card of unit id in cards.
func unitCard(cards []Card, id int64) (Card, bool) {
	for _, c := range cards {
		if c.UnitID == id {
			return c, true
		}
	}
	return Card{}, false
}

// group returns the cards of the unit and its siblings for the period: the
// published snapshot when there is one, else the job's snapshot of an
// unpublished period, else (a new deployment, a unit created since) computed now.
func (s *Scorer) group(ctx context.Context, u org.Unit, per Period, f Formula) ([]Card, *Publication, *Snapshot, error) {
	q := s.DB.Read
	pub, err := publication(ctx, q, per.Key)
	if err != nil {
		return nil, nil, nil, err
	}
	var snap *Snapshot
	if pub == nil {
		if snap, err = s.snapshotRun(ctx, q, per.Key); err != nil {
			return nil, nil, nil, err
		}
	}
	if pub != nil || snap != nil {
		table := "score_cards"
		if pub == nil {
			table = "score_snapshots"
		}
		ids, err := siblingIDs(ctx, q, u)
		if err != nil {
			return nil, nil, nil, err
		}
		m, err := cardsIn(ctx, q, table, per.Key, ids...)
		if err != nil {
			return nil, nil, nil, err
		}
		out := make([]Card, 0, len(m))
		for _, c := range m {
			c.ParentID = u.ParentID
			out = append(out, c)
		}
		if _, ok := m[u.ID]; ok {
			return out, pub, snap, nil
		}
		// the unit was created after publishing (or after the job's
		// run): it has no stored card yet
	}
	if u.ParentID == 0 {
		cards, err := ComputeAll(ctx, q, per, f, s.Study)
		if err != nil {
			return nil, nil, nil, err
		}
		var tops []Card
		for _, c := range cards {
			if c.ParentID == 0 {
				tops = append(tops, c)
			}
		}
		return tops, nil, nil, nil
	}
	parent, err := org.UnitByID(ctx, q, u.ParentID)
	if err != nil {
		return nil, nil, nil, err
	}
	cards, err := ComputeTree(ctx, q, parent.Path, per, f, s.Study)
	if err != nil {
		return nil, nil, nil, err
	}
	var sib []Card
	for _, c := range cards {
		if c.ParentID == u.ParentID {
			sib = append(sib, c)
		}
	}
	return sib, nil, nil, nil
}

func siblingIDs(ctx context.Context, q store.Queryer, u org.Unit) ([]int64, error) {
	query := `SELECT id FROM units WHERE parent_id = $1`
	args := []any{u.ParentID}
	if u.ParentID == 0 {
		query, args = `SELECT id FROM units WHERE parent_id IS NULL`, nil
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// single returns the unit's own card for a period (published or computed
// over its subtree only), ok false when there is none.
func (s *Scorer) single(ctx context.Context, u org.Unit, per Period, f Formula) (Card, bool, error) {
	q := s.DB.Read
	pub, err := publication(ctx, q, per.Key)
	if err != nil {
		return Card{}, false, err
	}
	table := "score_cards"
	if pub == nil {
		table = ""
		if snap, err := s.snapshotRun(ctx, q, per.Key); err != nil {
			return Card{}, false, err
		} else if snap != nil {
			table = "score_snapshots"
		}
	}
	if table != "" {
		m, err := cardsIn(ctx, q, table, per.Key, u.ID)
		if err != nil {
			return Card{}, false, err
		}
		if c, ok := m[u.ID]; ok {
			return c, true, nil
		}
	}
	// an earlier period is computed now only for a small subtree: a large
	// one (a city, the province) shows its published periods, so the page
	// does not recompute a whole tree per period
	if n, err := subtreeSize(ctx, q, u.Path); err != nil || n > smallTree {
		return Card{}, false, err
	}
	cards, err := ComputeTree(ctx, q, u.Path, per, f, s.Study)
	if err != nil || len(cards) == 0 {
		return Card{}, false, err
	}
	c, ok := unitCard(cards, u.ID)
	c.Rank, c.Of = 0, 0 // alone in the computed tree: no rank
	return c, ok, nil
}

// View returns unit code's card for the period, with its siblings' ranking,
// the trend against the previous period and its history. A unit p may not
// read is not found.
func (s *Scorer) View(ctx context.Context, p *org.Principal, code, periodKey string) (View, error) {
	per, err := ParsePeriod(periodKey)
	if err != nil {
		return View{}, err
	}
	u, err := org.UnitByCode(ctx, s.DB.Read, strings.TrimSpace(code))
	if err != nil {
		if apperr.As(err) != nil {
			return View{}, apperr.ErrNotFound
		}
		return View{}, err
	}
	if !CanRead(p, u.Path) {
		return View{}, apperr.ErrNotFound
	}
	f, err := s.Formula(ctx)
	if err != nil {
		return View{}, err
	}
	v := View{Unit: u, Period: per, FormulaVersion: f.Version}
	group, pub, snap, err := s.group(ctx, u, per, f)
	if err != nil {
		return View{}, err
	}
	v.Published, v.Snapshot = pub, snap
	rc, err := s.recusalFor(ctx, p)
	if err != nil {
		return View{}, err
	}
	if err := rc.adjust(ctx, parentPath(u.Path), per, group); err != nil {
		return View{}, err
	}
	// the trend: from the previous period's publication or snapshot, or
	// computed now when the siblings' trees are small (a large tree shows a
	// trend once the previous period is published or computed by the job)
	var prev []Card
	pp, err := publication(ctx, s.DB.Read, per.Prev().Key)
	if err != nil {
		return View{}, err
	}
	var ps *Snapshot
	if pp == nil {
		if ps, err = s.snapshotRun(ctx, s.DB.Read, per.Prev().Key); err != nil {
			return View{}, err
		}
	}
	if pp != nil || ps != nil || v.smallGroup(ctx, s, u) {
		if prev, _, _, err = s.group(ctx, u, per.Prev(), f); err != nil {
			return View{}, err
		}
		if err := rc.adjust(ctx, parentPath(u.Path), per.Prev(), prev); err != nil {
			return View{}, err
		}
	}
	for i := range group {
		if pc, ok := unitCard(prev, group[i].UnitID); ok {
			group[i].SetTrend(&pc)
		}
	}
	RankSiblings(group)
	card, ok := unitCard(group, u.ID)
	if !ok {
		return View{}, apperr.ErrNotFound // a closed unit has no card
	}
	v.Card = card
	for _, c := range group {
		if c.UnitID == u.ID || canReadCode(ctx, s.DB.Read, p, c.UnitID) {
			v.Siblings = append(v.Siblings, c)
		}
	}
	sortCards(v.Siblings)
	// history: the earlier periods of the same kind, then this one
	hist := []Card{card}
	hp := per
	for range HistoryLen - 1 {
		hp = hp.Prev()
		c, ok, err := s.single(ctx, u, hp, f)
		if err != nil {
			return View{}, err
		}
		if ok {
			one := []Card{c}
			if err := rc.adjust(ctx, u.Path, hp, one); err != nil {
				return View{}, err
			}
			hist = append(hist, one[0])
		}
	}
	for i, j := 0, len(hist)-1; i < j; i, j = i+1, j-1 {
		hist[i], hist[j] = hist[j], hist[i]
	}
	v.History = hist
	return v, nil
}

// smallGroup reports whether the tree the unit's siblings hang from is small
// enough to compute now.
func (v View) smallGroup(ctx context.Context, s *Scorer, u org.Unit) bool {
	path := u.Path
	if u.ParentID != 0 {
		parent, err := org.UnitByID(ctx, s.DB.Read, u.ParentID)
		if err != nil {
			return false
		}
		path = parent.Path
	} else {
		return false // the top units: the whole deployment
	}
	n, err := subtreeSize(ctx, s.DB.Read, path)
	return err == nil && n <= smallTree
}

// subtreeSize counts the units of the subtree at path.
func subtreeSize(ctx context.Context, q store.Queryer, path string) (int, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE `+store.Subtree("path", path, arg), args...).Scan(&n)
	return n, err
}

func canReadCode(ctx context.Context, q store.Queryer, p *org.Principal, id int64) bool {
	u, err := org.UnitByID(ctx, q, id)
	return err == nil && CanRead(p, u.Path)
}

// sortCards orders cards by rank (unranked last), then code.
func sortCards(cards []Card) {
	key := func(c Card) int {
		if c.Rank == 0 {
			return 1 << 30
		}
		return c.Rank
	}
	slices.SortFunc(cards, func(a, b Card) int { return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.UnitCode, b.UnitCode)) })
}
