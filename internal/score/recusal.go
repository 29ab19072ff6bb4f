package score

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Recusal reaches the scorecards: the response part (响应时效) counts the
// leads a unit's discipline office handles, and the cards are stored per unit,
// the same for every reader. Without this a leader would watch the sample of
// 按期受理 on their own unit's card grow by one the day a lead naming someone
// in the unit arrives, and shrink its rate when it is acknowledged late. So
// every card a reader sees leaves out the leads that reader is recused from
// (org.Recused: the leads naming them, or naming someone in a unit they lead),
// the totals and ranks follow from the reduced figures, and nothing on the
// page says that anything was left out (a mark would itself reveal the lead).

// recusal adjusts the cards one reader sees; nil adjusts nothing.
type recusal struct {
	s        *Scorer
	p        *org.Principal
	formulas map[int]Formula
}

// recusedCond is the condition "lead r names p, or someone in a unit p leads":
// the scorecards' counterpart of report.recusalSQL.
func recusedCond(p *org.Principal, arg func(any) string) string {
	cond := []string{"n.user_id = " + arg(p.UserID)}
	for _, s := range org.LeadScopes(p) {
		cond = append(cond, store.Subtree("n.unit_path", s, arg))
	}
	return "(" + strings.Join(cond, " OR ") + ")"
}

// RecusedLeads is the condition "the lead whose id is in col is one p is
// recused from" for any count over reports (col is e.g. "r.id"). The other
// aggregates over leads (the 形式主义预警, the transparency figures) use it
// as the scorecards do, so the rule is written once.
func RecusedLeads(p *org.Principal, col string, arg func(any) string) string {
	return col + " IN (SELECT n.report_id FROM report_named n WHERE " + recusedCond(p, arg) + ")"
}

// AnyRecusal reports whether p is recused from any lead at all (one indexed
// look-up; false for nil): most readers are not, and their figures need no
// second pass.
func AnyRecusal(ctx context.Context, q store.Queryer, p *org.Principal) (bool, error) {
	if p == nil {
		return false, nil
	}
	arg, args := binder()
	var one int
	err := q.QueryRowContext(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM report_named n WHERE `+
		recusedCond(p, arg)+`) THEN 1 ELSE 0 END`, *args...).Scan(&one)
	return one == 1, err
}

// recusalFor returns the adjuster for p's cards, or nil when p is recused
// from no lead at all.
func (s *Scorer) recusalFor(ctx context.Context, p *org.Principal) (*recusal, error) {
	some, err := AnyRecusal(ctx, s.DB.Read, p)
	if err != nil || !some {
		return nil, err
	}
	return &recusal{s: s, p: p, formulas: map[int]Formula{}}, nil
}

// recusedResponse counts the response inputs of the leads p is recused from
// whose handling unit lies under root, by the handling unit's path.
func recusedResponse(ctx context.Context, q store.Queryer, p *org.Principal, root string, per Period) (map[string]Inputs, error) {
	arg, args := binder()
	extra := " AND " + RecusedLeads(p, "r.id", arg)
	query := fmt.Sprintf(responseSQL(per, "h.path", extra), store.Subtree("h.path", root, arg), arg(per.FromDay()), arg(per.ToDay()))
	rows, err := q.QueryContext(ctx, query, *args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Inputs{}
	for rows.Next() {
		var path string
		var in Inputs
		if err := rows.Scan(append([]any{&path}, scanResponse(&in)...)...); err != nil {
			return nil, err
		}
		out[path] = in
	}
	return out, rows.Err()
}

// adjust takes out of each card of period per (units under root) the leads
// the reader is recused from, recomputing the card with the formula version
// that made it. Ranks are left for the caller to redo among the siblings.
func (r *recusal) adjust(ctx context.Context, root string, per Period, cards []Card) error {
	if r == nil || len(cards) == 0 {
		return nil
	}
	by, err := recusedResponse(ctx, r.s.DB.Read, r.p, root, per)
	if err != nil || len(by) == 0 {
		return err
	}
	for i, c := range cards {
		var sub Inputs
		for path, in := range by {
			if slices.Contains(pathIDs(path), c.UnitID) {
				sub.Add(in)
			}
		}
		if sub == (Inputs{}) {
			continue
		}
		f, ok := r.formulas[c.FormulaVersion]
		if !ok {
			if f, err = r.s.FormulaVersion(ctx, c.FormulaVersion); err != nil {
				return err
			}
			r.formulas[c.FormulaVersion] = f
		}
		in := c.Inputs
		in.withoutResponse(sub)
		n := Compute(in, f)
		n.Period, n.UnitID, n.ParentID, n.UnitCode, n.UnitName = c.Period, c.UnitID, c.ParentID, c.UnitCode, c.UnitName
		n.Rank, n.Of = c.Rank, c.Of
		cards[i] = n
	}
	return nil
}

// withoutResponse takes b's response counts out of a. A stored card (a
// publication) may predate a lead's transfer or merge, so a count never goes
// below zero: erring towards leaving out, never towards showing.
func (a *Inputs) withoutResponse(b Inputs) {
	minus := func(x *int, y int) { *x = max(*x-y, 0) }
	minus(&a.AckDue, b.AckDue)
	minus(&a.AckMet, b.AckMet)
	minus(&a.ConcludeDue, b.ConcludeDue)
	minus(&a.ConcludeMet, b.ConcludeMet)
	minus(&a.FeedbackDue, b.FeedbackDue)
	minus(&a.FeedbackMet, b.FeedbackMet)
	a.AckMet = min(a.AckMet, a.AckDue)
	a.ConcludeMet = min(a.ConcludeMet, a.ConcludeDue)
	a.FeedbackMet = min(a.FeedbackMet, a.FeedbackDue)
}

// parentPath is the path of the unit's parent ("/" for a top unit): the
// subtree holding the unit and its siblings.
func parentPath(path string) string {
	t := strings.TrimSuffix(path, "/")
	return t[:strings.LastIndex(t, "/")+1]
}
