package score

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/store"
)

// The scorecards read the ledger, report, rating and project tables
// directly, read-only, with one GROUP BY per source over the whole tree:
// going through each package's per-unit figures would cost a query per unit
// and part (100,000 queries for 20,000 units), where these few set-based
// statements give every unit's own counts at once, and the subtree sums are
// added up in Go along the materialized paths.

// StudyFigures is the hook through which the study module (学习教育) reports,
// for every unit under rootPath, the unit's own study tasks due in [from, to]
// (civil days): reflections due, handed in, and handed in as the officer's own
// words (not flagged as copies). A nil hook, or a unit missing from the map,
// leaves the study part at 样本不足.
type StudyFigures func(ctx context.Context, rootPath string, from, to time.Time) (map[int64]StudyCount, error)

// StudyCount is one unit's own study figures.
type StudyCount struct {
	Due, Done, Original int
}

// smallTree is the largest subtree selected by unit ids rather than by path.
const smallTree = 500

// unit is a unit of the tree being scored.
type unit struct {
	ID       int64
	ParentID int64
	Code     string
	Name     string
	Path     string
	Closed   bool // a closed unit has no card, but its records still count for its ancestors
}

// binder numbers placeholders.
func binder() (func(any) string, *[]any) {
	var args []any
	return func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}, &args
}

// loadUnits returns the units of the subtree at rootPath, closed ones included.
func loadUnits(ctx context.Context, q store.Queryer, rootPath string) ([]unit, error) {
	arg, args := binder()
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0), code, name, path, CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END FROM units
		WHERE `+store.Subtree("path", rootPath, arg)+` ORDER BY path`, *args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []unit
	for rows.Next() {
		var u unit
		var closed int
		if err := rows.Scan(&u.ID, &u.ParentID, &u.Code, &u.Name, &u.Path, &closed); err != nil {
			return nil, err
		}
		u.Closed = closed == 1
		out = append(out, u)
	}
	return out, rows.Err()
}

// daysCTE is a common table expression d(day, end_ms) listing the period's
// days with the instant each ends in China: timers are due on a civil day
// and met by a time in ms, and this join compares the two on both engines
// without dialect date functions. The values are generated here, never
// taken from input, so they are written inline.
func daysCTE(p Period) string {
	var b strings.Builder
	b.WriteString("WITH d(day, end_ms) AS (VALUES ")
	for i, d := range p.Days() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("('" + d.Format(time.DateOnly) + "', " + strconv.FormatInt(dayStartMs(d.AddDate(0, 0, 1)), 10) + ")")
	}
	b.WriteString(") ")
	return b.String()
}

// direct gathers every unit's own inputs (not its subtree's) for the period.
func direct(ctx context.Context, q store.Queryer, rootPath string, units []unit, p Period) (map[int64]*Inputs, error) {
	// A small subtree is selected by its unit ids, which the (unit_id, …)
	// indexes of every source serve directly; a large one by the path range
	// of the joined unit, where scanning the period's rows once is cheaper.
	within := func(unitCol, pathCol string, arg func(any) string) string {
		if len(units) > smallTree {
			return store.Subtree(pathCol, rootPath, arg)
		}
		ph := make([]string, len(units))
		for i, u := range units {
			ph[i] = arg(u.ID)
		}
		if len(ph) == 0 {
			return "1 = 0"
		}
		return unitCol + " IN (" + strings.Join(ph, ", ") + ")"
	}
	out := map[int64]*Inputs{}
	get := func(id int64) *Inputs {
		in := out[id]
		if in == nil {
			in = &Inputs{}
			out[id] = in
		}
		return in
	}
	type source struct {
		sql  string
		args func(arg func(any) string) []any
		scan func(in *Inputs) []any
	}
	sources := []source{
		{ // the people's judgement: ratings received in the period, appeals upheld left out
			sql: `SELECT g.unit_id, COUNT(*),
				SUM(CASE WHEN g.level >= 3 THEN 1 ELSE 0 END),
				SUM(CASE WHEN g.level <= 2 THEN 1 ELSE 0 END),
				SUM(CASE WHEN g.level <= 2 AND pr.status = 'closed' THEN 1 ELSE 0 END)
				FROM ratings g JOIN units un ON un.id = g.unit_id LEFT JOIN problems pr ON pr.id = g.problem_id
				WHERE g.excluded = 0 AND %s AND g.created_at >= %s AND g.created_at < %s GROUP BY g.unit_id`,
			args: func(arg func(any) string) []any {
				return sqlArgs(within("g.unit_id", "un.path", arg), arg(p.StartMs()), arg(p.EndMs()))
			},
			scan: func(in *Inputs) []any { return []any{&in.Rated, &in.Satisfied, &in.Bad, &in.BadRectified} },
		},
		{ // closures: items due in the period; a reopened item never counts as well closed
			sql: `SELECT pr.unit_id, COUNT(*),
				SUM(CASE WHEN pr.status = 'closed' THEN 1 ELSE 0 END),
				SUM(CASE WHEN pr.status = 'closed' AND pr.closed_on <= pr.deadline AND pr.reopen_count = 0 THEN 1 ELSE 0 END),
				SUM(CASE WHEN pr.reopen_count > 0 THEN 1 ELSE 0 END),
				SUM(CASE WHEN pr.status = 'closed' AND pr.closed_on > pr.deadline THEN 1 ELSE 0 END),
				SUM(CASE WHEN pr.class = 'longterm' THEN 1 ELSE 0 END),
				SUM(CASE WHEN pr.class = 'longterm' AND pr.status = 'closed' AND pr.mech_title <> '' AND pr.reopen_count = 0 THEN 1 ELSE 0 END)
				FROM problems pr JOIN units un ON un.id = pr.unit_id
				WHERE pr.status <> 'draft' AND %s AND pr.deadline >= %s AND pr.deadline <= %s GROUP BY pr.unit_id`,
			args: func(arg func(any) string) []any {
				return sqlArgs(within("pr.unit_id", "un.path", arg), arg(p.FromDay()), arg(p.ToDay()))
			},
			scan: func(in *Inputs) []any {
				return []any{&in.Due, &in.Closed, &in.ClosedOK, &in.Reopened, &in.ClosedLat, &in.LongDue, &in.LongClosed}
			},
		},
		{ // responsiveness: the handling unit's timers falling due in the period
			sql: responseSQL(p, "r.handling_unit_id", ""),
			args: func(arg func(any) string) []any {
				return sqlArgs(within("r.handling_unit_id", "h.path", arg), arg(p.FromDay()), arg(p.ToDay()))
			},
			scan: scanResponse,
		},
		{ // lasting work: milestones of adopted projects due in the period, done by the end of their day
			sql: daysCTE(p) + `SELECT pj.unit_id, COUNT(*),
				SUM(CASE WHEN m.done_at IS NOT NULL AND m.done_at < d.end_ms THEN 1 ELSE 0 END)
				FROM project_milestones m JOIN projects pj ON pj.id = m.project_id
				JOIN units un ON un.id = pj.unit_id JOIN d ON d.day = m.due_on
				WHERE pj.status <> 'proposed' AND %s GROUP BY pj.unit_id`,
			args: func(arg func(any) string) []any {
				return sqlArgs(within("pj.unit_id", "un.path", arg))
			},
			scan: func(in *Inputs) []any { return []any{&in.Milestones, &in.MilestonesMet} },
		},
	}
	for _, s := range sources {
		arg, args := binder()
		query := fmt.Sprintf(s.sql, s.args(arg)...)
		rows, err := q.QueryContext(ctx, query, *args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var tmp Inputs
			if err := rows.Scan(append([]any{&id}, s.scan(&tmp)...)...); err != nil {
				rows.Close()
				return nil, err
			}
			get(id).Add(tmp)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		// one statement over the whole tree: a step of the snapshot job
		if err := yield(ctx, q); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// responseSQL is the statement counting the handling units' timers falling
// due in the period, grouped by group (a column of r or h); its verbs are the
// subtree condition and the period's first and last day. extra is a further
// condition on r (the leads a reader is recused from, recusal.go).
func responseSQL(p Period, group, extra string) string {
	return daysCTE(p) + `SELECT ` + group + `,
		SUM(CASE WHEN da.day IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN da.day IS NOT NULL AND r.acked_at < da.end_ms THEN 1 ELSE 0 END),
		SUM(CASE WHEN r.conclude_due >= %[2]s AND r.conclude_due <= %[3]s THEN 1 ELSE 0 END),
		SUM(CASE WHEN r.conclude_due >= %[2]s AND r.conclude_due <= %[3]s AND r.concluded_on <= r.conclude_due THEN 1 ELSE 0 END),
		SUM(CASE WHEN df.day IS NOT NULL AND r.real_name = 1 THEN 1 ELSE 0 END),
		SUM(CASE WHEN df.day IS NOT NULL AND r.real_name = 1 AND r.feedback_at < df.end_ms THEN 1 ELSE 0 END)
		FROM reports r JOIN units h ON h.id = r.handling_unit_id
		LEFT JOIN d da ON da.day = r.ack_due
		LEFT JOIN d df ON df.day = r.feedback_due
		WHERE r.status <> 'merged' AND %[1]s` + extra + `
		AND ((r.ack_due >= %[2]s AND r.ack_due <= %[3]s) OR (r.conclude_due >= %[2]s AND r.conclude_due <= %[3]s)
			OR (r.feedback_due >= %[2]s AND r.feedback_due <= %[3]s))
		GROUP BY ` + group
}

// scanResponse is where responseSQL's counts go.
func scanResponse(in *Inputs) []any {
	return []any{&in.AckDue, &in.AckMet, &in.ConcludeDue, &in.ConcludeMet, &in.FeedbackDue, &in.FeedbackMet}
}

// sqlArgs collects the SQL fragments a statement's %s verbs take (the
// subtree condition and placeholders, never input).
func sqlArgs(parts ...string) []any {
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// pathIDs lists the unit ids of a materialized path, root first.
func pathIDs(path string) []int64 {
	var out []int64
	for s := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// rollup turns the units' own inputs into subtree inputs: each unit's
// counts are added to itself and to every ancestor inside the scored tree.
func rollup(units []unit, own map[int64]*Inputs) map[int64]*Inputs {
	sub := make(map[int64]*Inputs, len(units))
	for _, u := range units {
		sub[u.ID] = &Inputs{}
	}
	for _, u := range units {
		in := own[u.ID]
		if in == nil {
			continue
		}
		for _, id := range pathIDs(u.Path) {
			if t := sub[id]; t != nil {
				t.Add(*in)
			}
		}
	}
	return sub
}

// ComputeTree computes the cards of every unit in the subtree at rootPath for
// the period, ranked among siblings (the root itself has no sibling here).
func ComputeTree(ctx context.Context, q store.Queryer, rootPath string, p Period, f Formula, study StudyFigures) ([]Card, error) {
	units, err := loadUnits(ctx, q, rootPath)
	if err != nil {
		return nil, err
	}
	own, err := direct(ctx, q, rootPath, units, p)
	if err != nil {
		return nil, err
	}
	if study != nil {
		st, err := study(ctx, rootPath, p.From, p.To)
		if err != nil {
			return nil, err
		}
		for id, c := range st {
			in := own[id]
			if in == nil {
				in = &Inputs{}
				own[id] = in
			}
			in.StudyKnown = true
			in.StudyDue += c.Due
			in.StudyDone += c.Done
			in.StudyOriginal += c.Original
		}
	}
	sub := rollup(units, own)
	cards := make([]Card, 0, len(units))
	for _, u := range units {
		if u.Closed {
			continue
		}
		c := Compute(*sub[u.ID], f)
		c.Period, c.UnitID, c.ParentID, c.UnitCode, c.UnitName = p.Key, u.ID, u.ParentID, u.Code, u.Name
		if u.Path == rootPath {
			c.ParentID = -1 // alone in its group: its siblings are outside the computed tree
		}
		cards = append(cards, c)
	}
	RankSiblings(cards)
	return cards, nil
}
