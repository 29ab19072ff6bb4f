package warn

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
)

// Recusal reaches the warnings as it reaches the scorecards: the 已查过 flag
// (PriorDone) counts each handling unit's concluded leads and those closed
// as 已查过, and its figures are shown to whoever may read the unit's scores.
// Without this, the leader of a unit would see the flag's count of
// concluded leads grow by one (or the flag appear) when a lead naming them,
// or someone in their unit, is concluded. So a reader recused from some
// leads (score.RecusedLeads: naming them, or someone in a unit they lead or
// deputise) gets the flag computed without those leads, and nothing on the
// page says so. The other kinds read the ledger, ratings, projects and
// study, never the leads.

// withoutRecused recomputes, for p, the PriorDone flags of the units under
// path whose period counts include leads p is recused from. One indexed
// look-up for a reader recused from nothing.
func (w *Warner) withoutRecused(ctx context.Context, p *org.Principal, path string, per score.Period, th Thresholds, flags []Flag) ([]Flag, error) {
	some, err := score.AnyRecusal(ctx, w.DB.Read, p)
	if err != nil || !some {
		return flags, err
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	from, to, sub := arg(per.FromDay()), arg(per.ToDay()), store.Subtree("h.path", path, arg)
	recused := score.RecusedLeads(p, "r.id", arg)
	// the unit's own figures (as gather reads them) and the part of them
	// p is recused from, for the units where that part is not empty
	rows, err := w.DB.Read.QueryContext(ctx, fmt.Sprintf(`SELECT h.id, h.code, h.name, COUNT(*),
		SUM(CASE WHEN r.conclusion = 'prior_handled' THEN 1 ELSE 0 END),
		SUM(CASE WHEN %[4]s THEN 1 ELSE 0 END),
		SUM(CASE WHEN %[4]s AND r.conclusion = 'prior_handled' THEN 1 ELSE 0 END)
		FROM reports r JOIN units h ON h.id = r.handling_unit_id
		WHERE r.status = 'concluded' AND r.concluded_on >= %[1]s AND r.concluded_on <= %[2]s AND %[3]s AND h.closed_at IS NULL
		GROUP BY h.id, h.code, h.name`, from, to, sub, recused), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u Unit
		var n, prior, rn, rprior int
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &n, &prior, &rn, &rprior); err != nil {
			return nil, err
		}
		if rn == 0 {
			continue
		}
		flags = slices.DeleteFunc(flags, func(f Flag) bool { return f.UnitID == u.ID && f.Kind == PriorDone })
		if f, ok := priorDone(u, &UnitFigures{Concluded: n - rn, Prior: prior - rprior}, per, th); ok {
			flags = append(flags, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortFlags(flags)
	return flags, nil
}
