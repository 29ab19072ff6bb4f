package study

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Cell is one count of completion: the people who had to submit, those who
// did on time, late, and those whose current reflection is flagged and not
// cleared by a reviewer.
type Cell struct {
	Assigned int `json:"assigned"`
	OnTime   int `json:"on_time"`
	Late     int `json:"late"`
	Flagged  int `json:"flagged"`
}

// Rate is the on-time share in percent (0 without assignees).
func (c Cell) Rate() int {
	if c.Assigned == 0 {
		return 0
	}
	return c.OnTime * 100 / c.Assigned
}

func (c *Cell) add(o Cell) {
	c.Assigned += o.Assigned
	c.OnTime += o.OnTime
	c.Late += o.Late
	c.Flagged += o.Flagged
}

// UnitRow is a unit's completion, in total and by rank.
type UnitRow struct {
	UnitCode string          `json:"unit_code"`
	UnitName string          `json:"unit_name"`
	Total    Cell            `json:"total"`
	ByRank   map[string]Cell `json:"by_rank"`
}

// Rank returns the cell of one rank (templates cannot index maps by a variable cleanly).
func (r UnitRow) Rank(k string) Cell { return r.ByRank[k] }

// Member is an assignee and where they stand.
type Member struct {
	Username     string  `json:"username"`
	Name         string  `json:"name"`
	UnitName     string  `json:"unit_name"`
	Rank         string  `json:"rank"`
	ReflectionID int64   `json:"reflection_id,omitempty"`
	Late         bool    `json:"late"`
	Similarity   float64 `json:"similarity"`
	Flagged      bool    `json:"flagged"`
	Review       string  `json:"review"`
	SubmittedAt  int64   `json:"submitted_at,omitempty"`
}

// Completion is a task's completion: by unit (the issuing unit's own people
// and each unit directly below it, with their subtrees), by rank across
// all, and the members p may review.
type Completion struct {
	Units   []UnitRow `json:"units"`
	Total   UnitRow   `json:"total"`
	Members []Member  `json:"members"`
}

// Completion computes a task's completion for someone who may see the task.
func (s *Service) Completion(ctx context.Context, p *org.Principal, taskID int64) (Completion, error) {
	t, err := s.Get(ctx, p, taskID)
	if err != nil {
		return Completion{}, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT u.username, u.name, un.id, un.name, un.path, a.rank,
		COALESCE(r.id, 0), COALESCE(r.late, 0), COALESCE(r.similarity, 0), COALESCE(r.flagged, 0), COALESCE(r.review, ''),
		COALESCE(r.submitted_at, 0)
		FROM study_assignees a JOIN users u ON u.id = a.user_id JOIN units un ON un.id = a.unit_id
		LEFT JOIN study_reflections r ON r.task_id = a.task_id AND r.user_id = a.user_id AND r.superseded = 0
		WHERE a.task_id = $1 ORDER BY un.path, a.rank, u.name`, taskID)
	if err != nil {
		return Completion{}, err
	}
	defer rows.Close()
	type line struct {
		m    Member
		path string
	}
	var lines []line
	for rows.Next() {
		var l line
		var unitID int64
		var late, sim, flagged int
		if err := rows.Scan(&l.m.Username, &l.m.Name, &unitID, &l.m.UnitName, &l.path, &l.m.Rank, &l.m.ReflectionID, &late, &sim,
			&flagged, &l.m.Review, &l.m.SubmittedAt); err != nil {
			return Completion{}, err
		}
		l.m.Late, l.m.Flagged, l.m.Similarity = late == 1, flagged == 1, float64(sim)/1000
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return Completion{}, err
	}
	// group under the issuing unit's direct children
	groupOf := func(path string) string {
		if !strings.HasPrefix(path, t.UnitPath) {
			return path // a unit moved out of the subtree since the task was issued: its own row
		}
		if len(path) == len(t.UnitPath) {
			return t.UnitPath
		}
		rest := path[len(t.UnitPath):]
		i := strings.IndexByte(rest, '/')
		return t.UnitPath + rest[:i+1]
	}
	groups := map[string]*UnitRow{}
	var ids []int64
	c := Completion{Total: UnitRow{UnitCode: t.UnitCode, UnitName: t.UnitName, ByRank: map[string]Cell{}}}
	for _, l := range lines {
		g := groupOf(l.path)
		row := groups[g]
		if row == nil {
			row = &UnitRow{ByRank: map[string]Cell{}}
			groups[g] = row
			id, _ := strconv.ParseInt(lastSegment(g), 10, 64)
			ids = append(ids, id)
		}
		cell := Cell{Assigned: 1}
		if l.m.ReflectionID != 0 {
			if l.m.Late {
				cell.Late = 1
			} else {
				cell.OnTime = 1
			}
			if l.m.Flagged && l.m.Review != "original" {
				cell.Flagged = 1
			}
		}
		row.Total.add(cell)
		rc := row.ByRank[l.m.Rank]
		rc.add(cell)
		row.ByRank[l.m.Rank] = rc
		c.Total.Total.add(cell)
		tc := c.Total.ByRank[l.m.Rank]
		tc.add(cell)
		c.Total.ByRank[l.m.Rank] = tc
		if org.Can(p, Review, l.path) {
			c.Members = append(c.Members, l.m)
		}
	}
	units, err := org.UnitsByID(ctx, s.DB.Read, ids)
	if err != nil {
		return Completion{}, err
	}
	for g, row := range groups {
		id, _ := strconv.ParseInt(lastSegment(g), 10, 64)
		row.UnitCode, row.UnitName = units[id].Code, units[id].Name
		if g == t.UnitPath {
			row.UnitName += "（本级）"
		}
		c.Units = append(c.Units, *row)
	}
	sort.Slice(c.Units, func(a, b int) bool { return c.Units[a].UnitCode < c.Units[b].UnitCode })
	if c.Units == nil {
		c.Units = []UnitRow{}
	}
	if c.Members == nil {
		c.Members = []Member{}
	}
	return c, nil
}

func lastSegment(path string) string {
	p := strings.TrimSuffix(path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// Figures is what the scorecard (民标) takes from study for a unit's
// subtree and a period: of the people who had to submit a reflection for a
// task due in [from, to), how many did on time (done), and how many of
// those reflections are original (not flagged, or flagged and cleared by a
// reviewer). A flag not yet reviewed counts against originality.
func Figures(ctx context.Context, db *store.DB, unitPath string, from, to time.Time) (due, done, original int, err error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	q := `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN r.id IS NOT NULL AND r.late = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.id IS NOT NULL AND r.late = 0 AND (r.flagged = 0 OR r.review = 'original') THEN 1 ELSE 0 END), 0)
		FROM study_assignees a JOIN study_tasks t ON t.id = a.task_id JOIN units un ON un.id = a.unit_id
		LEFT JOIN study_reflections r ON r.task_id = a.task_id AND r.user_id = a.user_id AND r.superseded = 0
		WHERE t.due_at > ` + arg(from.UnixMilli()) + ` AND t.due_at <= ` + arg(to.UnixMilli()) + ` AND ` + store.Subtree("un.path", unitPath, arg)
	err = db.Read.QueryRowContext(ctx, q, args...).Scan(&due, &done, &original)
	return
}

// Copy is a flagged reflection for the formalism warnings (形式主义预警).
type Copy struct {
	ReflectionID int64   `json:"reflection_id"`
	TaskID       int64   `json:"task_id"`
	TaskNumber   string  `json:"task_number"`
	TaskTitle    string  `json:"task_title"`
	Author       string  `json:"author"`
	AuthorName   string  `json:"author_name"`
	UnitID       int64   `json:"unit_id"`
	UnitName     string  `json:"unit_name"`
	Similarity   float64 `json:"similarity"`
	Source       string  `json:"source"` // title of the source sharing the most
	Review       string  `json:"review"` // '' (not reviewed) or copy (confirmed)
	SubmittedAt  int64   `json:"submitted_at"`
	Link         string  `json:"link"` // the review page
}

// Copies lists the current reflections of a unit's subtree that are flagged
// and not cleared by a reviewer, most similar first. No authorization: the
// caller has decided the reader may see the unit's warnings.
func Copies(ctx context.Context, db *store.DB, unitPath string) ([]Copy, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	rows, err := db.Read.QueryContext(ctx, selectReflection+` WHERE r.flagged = 1 AND r.superseded = 0 AND r.review <> 'original' AND `+
		store.Subtree("un.path", unitPath, arg)+` ORDER BY r.similarity DESC, r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Copy{}
	for rows.Next() {
		r, err := scanReflection(rows)
		if err != nil {
			return nil, err
		}
		c := Copy{ReflectionID: r.ID, TaskID: r.TaskID, TaskNumber: r.TaskNumber, TaskTitle: r.TaskTitle, Author: r.Author,
			AuthorName: r.AuthorName, UnitID: r.UnitID, UnitName: r.UnitName, Similarity: r.Similarity, Review: r.Review,
			SubmittedAt: r.SubmittedAt, Link: "/study/reflections/" + strconv.FormatInt(r.ID, 10)}
		if len(r.Matches) > 0 {
			c.Source = r.Matches[0].Title
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Count is a unit's own study figures: what Figures counts, for the people
// whose unit (when the task was issued) is exactly this one.
type Count struct {
	Due, Done, Original int
}

// UnitFigures gives, in one set-based query, every unit's own figures under
// rootPath for the tasks whose due day falls in [from, to] — civil days,
// both included, the time of day ignored (the scorecard's periods). Units
// with nothing due are absent. Its shape is the scorecard's StudyFigures
// hook (score.StudyCount has the same fields, so `score.StudyCount(c)`
// converts a Count). No authorization: the caller has decided.
func UnitFigures(ctx context.Context, q store.Queryer, rootPath string, from, to time.Time) (map[int64]Count, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	rows, err := q.QueryContext(ctx, `SELECT a.unit_id, COUNT(*),
		COALESCE(SUM(CASE WHEN r.id IS NOT NULL AND r.late = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN r.id IS NOT NULL AND r.late = 0 AND (r.flagged = 0 OR r.review = 'original') THEN 1 ELSE 0 END), 0)
		FROM study_assignees a JOIN study_tasks t ON t.id = a.task_id JOIN units un ON un.id = a.unit_id
		LEFT JOIN study_reflections r ON r.task_id = a.task_id AND r.user_id = a.user_id AND r.superseded = 0
		WHERE t.due_at >= `+arg(dueInstant(from))+` AND t.due_at <= `+arg(dueInstant(to))+` AND `+store.Subtree("un.path", rootPath, arg)+`
		GROUP BY a.unit_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Count{}
	for rows.Next() {
		var id int64
		var c Count
		if err := rows.Scan(&id, &c.Due, &c.Done, &c.Original); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}
