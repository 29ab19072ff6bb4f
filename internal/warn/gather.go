package warn

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
)

// Like the scorecards, the warnings read the ledger, rating, report and
// project tables directly and read-only: one statement per source over the
// whole subtree instead of a call per unit into each package.

// smallTree is the largest subtree selected by unit ids rather than by path.
const smallTree = 500

// gather reads the rows of the subtree at path for the period (and the
// closures of the two periods before, the baseline of the bunching check).
// With only set, the rows of just those units (inside the subtree) are read.
func gather(ctx context.Context, q store.Queryer, path string, only []Unit, per score.Period, _ Thresholds) (Rows, error) {
	r := Rows{Figures: map[int64]*UnitFigures{}, Units: only}
	fig := func(id int64) *UnitFigures {
		f := r.Figures[id]
		if f == nil {
			f = &UnitFigures{}
			r.Figures[id] = f
		}
		return f
	}
	base := per.Prev().Prev()
	type query struct {
		sql  string
		args func(arg func(any) string) []any
		scan func(scan func(...any) error) error
	}
	sub := func(col string) func(arg func(any) string) string {
		return func(arg func(any) string) string { return store.Subtree(col, path, arg) }
	}
	// after the units (the first statement): a small subtree is selected by
	// its unit ids, served by the (unit_id, …) indexes and then each item's
	// events by problem_events(problem_id); a large one by the path range
	within := func(unitCol, pathCol string) func(arg func(any) string) string {
		return func(arg func(any) string) string {
			if len(r.Units) > smallTree {
				return store.Subtree(pathCol, path, arg)
			}
			if len(r.Units) == 0 {
				return "1 = 0"
			}
			ph := make([]string, len(r.Units))
			for i, u := range r.Units {
				ph[i] = arg(u.ID)
			}
			return unitCol + " IN (" + strings.Join(ph, ", ") + ")"
		}
	}
	queries := []query{
		{`SELECT id, code, name FROM units WHERE closed_at IS NULL AND %s ORDER BY path`,
			func(arg func(any) string) []any { return []any{sub("path")(arg)} },
			func(scan func(...any) error) error {
				var u Unit
				err := scan(&u.ID, &u.Code, &u.Name)
				r.Units = append(r.Units, u)
				return err
			}},
		{`SELECT pr.id, pr.unit_id, pr.number, pr.title, pr.deadline, pr.closed_on, pr.evidence_count,
				COALESCE((SELECT e.note FROM problem_events e WHERE e.problem_id = pr.id AND e.kind = 'close_requested' ORDER BY e.id DESC LIMIT 1), '')
			FROM problems pr JOIN units un ON un.id = pr.unit_id
			WHERE pr.status = 'closed' AND pr.deadline IS NOT NULL AND pr.closed_on >= %s AND pr.closed_on <= %s AND %s`,
			func(arg func(any) string) []any {
				return []any{arg(base.FromDay()), arg(per.ToDay()), within("pr.unit_id", "un.path")(arg)}
			},
			func(scan func(...any) error) error {
				var c Closure
				err := scan(&c.ID, &c.UnitID, &c.Number, &c.Title, &c.Deadline, &c.ClosedOn, &c.Evidence, &c.CloseNote)
				r.Closures = append(r.Closures, c)
				return err
			}},
		{`SELECT pr.id, pr.unit_id, pr.number, e.note, e.at FROM problem_events e JOIN problems pr ON pr.id = e.problem_id
			JOIN units un ON un.id = pr.unit_id
			WHERE e.kind = 'progress' AND e.at >= %s AND e.at < %s AND %s`,
			func(arg func(any) string) []any {
				return []any{arg(per.StartMs()), arg(per.EndMs()), within("pr.unit_id", "un.path")(arg)}
			},
			func(scan func(...any) error) error {
				var n Note
				err := scan(&n.ID, &n.UnitID, &n.Number, &n.Text, &n.At)
				r.Notes = append(r.Notes, n)
				return err
			}},
		{`SELECT pr.id, pr.unit_id, pr.number, pr.title, e.note FROM problem_events e JOIN problems pr ON pr.id = e.problem_id
			JOIN units un ON un.id = pr.unit_id
			WHERE e.kind = 'review_recurred' AND e.at >= %s AND e.at < %s AND %s`,
			func(arg func(any) string) []any {
				return []any{arg(per.StartMs()), arg(per.EndMs()), within("pr.unit_id", "un.path")(arg)}
			},
			func(scan func(...any) error) error {
				var ro Reopen
				err := scan(&ro.ID, &ro.UnitID, &ro.Number, &ro.Title, &ro.Note)
				r.Reopens = append(r.Reopens, ro)
				return err
			}},
		{`SELECT pr.unit_id, COUNT(*), SUM(CASE WHEN pr.status = 'closed' THEN 1 ELSE 0 END)
			FROM problems pr JOIN units un ON un.id = pr.unit_id
			WHERE pr.status <> 'draft' AND pr.deadline >= %s AND pr.deadline <= %s AND %s GROUP BY pr.unit_id`,
			func(arg func(any) string) []any {
				return []any{arg(per.FromDay()), arg(per.ToDay()), within("pr.unit_id", "un.path")(arg)}
			},
			func(scan func(...any) error) error {
				var id int64
				var due, closed int
				err := scan(&id, &due, &closed)
				fig(id).Due, fig(id).Closed = due, closed
				return err
			}},
		{`SELECT g.unit_id, COUNT(*), SUM(CASE WHEN g.level >= 3 THEN 1 ELSE 0 END)
			FROM ratings g JOIN units un ON un.id = g.unit_id
			WHERE g.excluded = 0 AND g.created_at >= %s AND g.created_at < %s AND %s GROUP BY g.unit_id`,
			func(arg func(any) string) []any {
				return []any{arg(per.StartMs()), arg(per.EndMs()), within("g.unit_id", "un.path")(arg)}
			},
			func(scan func(...any) error) error {
				var id int64
				var n, sat int
				err := scan(&id, &n, &sat)
				fig(id).Rated, fig(id).Satisfied = n, sat
				return err
			}},
		{`SELECT r.handling_unit_id, COUNT(*), SUM(CASE WHEN r.conclusion = 'prior_handled' THEN 1 ELSE 0 END)
			FROM reports r JOIN units h ON h.id = r.handling_unit_id
			WHERE r.status = 'concluded' AND r.concluded_on >= %s AND r.concluded_on <= %s AND %s GROUP BY r.handling_unit_id`,
			func(arg func(any) string) []any {
				return []any{arg(per.FromDay()), arg(per.ToDay()), within("r.handling_unit_id", "h.path")(arg)}
			},
			func(scan func(...any) error) error {
				var id int64
				var n, prior int
				err := scan(&id, &n, &prior)
				fig(id).Concluded, fig(id).Prior = n, prior
				return err
			}},
		{`SELECT pj.id, pj.unit_id, pj.number, pj.title, COUNT(*), SUM(CASE WHEN g.level <= 2 THEN 1 ELSE 0 END), SUM(g.level)
			FROM projects pj JOIN units un ON un.id = pj.unit_id
			JOIN ratings g ON g.target_type = 'project' AND g.target_id = pj.id AND g.excluded = 0 AND g.created_at < %s
			WHERE pj.status IN ('done', 'evaluated') AND %s GROUP BY pj.id, pj.unit_id, pj.number, pj.title`,
			func(arg func(any) string) []any { return []any{arg(per.EndMs()), within("pj.unit_id", "un.path")(arg)} },
			func(scan func(...any) error) error {
				var pr ProjectRating
				var sum int
				err := scan(&pr.ID, &pr.UnitID, &pr.Number, &pr.Title, &pr.Ratings, &pr.Bad, &sum)
				if pr.Ratings > 0 {
					pr.AverageX100 = sum * 100 / pr.Ratings
				}
				r.Projects = append(r.Projects, pr)
				return err
			}},
	}
	if only != nil {
		queries = queries[1:] // the units are given
	}
	for _, qu := range queries {
		var args []any
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		rows, err := q.QueryContext(ctx, fmt.Sprintf(qu.sql, qu.args(arg)...), args...)
		if err != nil {
			return r, err
		}
		for rows.Next() {
			if err := qu.scan(rows.Scan); err != nil {
				rows.Close()
				return r, err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return r, err
		}
		// one statement over the whole tree: a step of the snapshot job
		if err := yield(ctx, q); err != nil {
			return r, err
		}
	}
	return r, nil
}
