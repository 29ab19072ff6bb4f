package ledger

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// ImportResult is what an import wrote.
type ImportResult struct {
	Created int      `json:"created"`
	Drafts  int      `json:"drafts"`
	First   string   `json:"first_number,omitempty"`
	Last    string   `json:"last_number,omitempty"`
	Numbers []string `json:"-"`
}

// importTarget is the unit an import records into, checked once.
func (l *Ledger) importTarget(ctx context.Context, q store.Queryer, p *org.Principal, unitCode string) (org.Unit, error) {
	unit, err := org.UnitByCode(ctx, q, strings.TrimSpace(unitCode))
	if err != nil || !org.Can(p, Write, unit.Path) {
		// a unit outside the principal's reach answers as one that does not exist
		return org.Unit{}, apperr.Invalidf("unit", "err.problem.unit_code.unknown", unitCode)
	}
	if unit.Closed {
		return org.Unit{}, apperr.Invalidf("unit", "err.unit.parent_closed", unit.Name)
	}
	return unit, nil
}

type person struct {
	id       int64
	username string
	name     string
	path     string
	disabled bool
}

// CheckImport validates every row of a parsed sheet against the database, as
// the import would, and adds each problem to s.Errors: the 责任单位 (a code or
// a name inside unitCode's subtree, where p may record problems), the 责任人
// (a username or a name, unique, active, in the row's unit or below it) and
// the deadline (not before today). Rows keep their resolved unit code and
// username. It writes nothing.
func (l *Ledger) CheckImport(ctx context.Context, p *org.Principal, unitCode string, s *Sheet) error {
	return l.checkImport(ctx, l.DB.Read, p, unitCode, s)
}

func (l *Ledger) checkImport(ctx context.Context, q store.Queryer, p *org.Principal, unitCode string, s *Sheet) error {
	target, err := l.importTarget(ctx, q, p, unitCode)
	if err != nil {
		return err
	}
	units := map[string][]org.Unit{}
	people := map[string][]person{}
	today := l.today()
	for i := range s.Rows {
		r := &s.Rows[i]
		if r.In.Title == "" { // the row already failed in ParseSheet
			continue
		}
		unit := target
		if r.Unit != "" {
			us, ok := units[r.Unit]
			if !ok {
				if us, err = unitsNamed(ctx, q, r.Unit, target.Path); err != nil {
					return err
				}
				units[r.Unit] = us
			}
			switch {
			case len(us) == 0:
				s.fail(r.Line, ColUnit, apperr.Invalidf("unit_code", "err.xlsx.unit_outside", r.Unit, target.Name))
				continue
			case len(us) > 1:
				s.fail(r.Line, ColUnit, apperr.Invalidf("unit_code", "err.xlsx.unit_ambiguous", r.Unit))
				continue
			}
			unit = us[0]
			if !org.Can(p, Write, unit.Path) {
				s.fail(r.Line, ColUnit, apperr.Invalidf("unit_code", "err.problem.unit_code.unknown", r.Unit))
				continue
			}
			if unit.Closed {
				s.fail(r.Line, ColUnit, apperr.Invalidf("unit_code", "err.unit.parent_closed", unit.Name))
				continue
			}
		}
		r.In.UnitCode = unit.Code
		if v := r.In.Responsible; v != "" {
			ps, ok := people[v]
			if !ok {
				if ps, err = peopleNamed(ctx, q, v, target.Path); err != nil {
					return err
				}
				people[v] = ps
			}
			var inUnit []person
			for _, x := range ps {
				if strings.HasPrefix(x.path, unit.Path) {
					inUnit = append(inUnit, x)
				}
			}
			switch {
			case len(inUnit) == 1 && inUnit[0].disabled:
				s.fail(r.Line, ColResponsible, apperr.Invalidf("responsible", "err.problem.responsible.disabled", v))
			case len(inUnit) == 1:
				r.In.Responsible = inUnit[0].username
			case len(inUnit) > 1:
				s.fail(r.Line, ColResponsible, apperr.Invalidf("responsible", "err.xlsx.person_ambiguous", v, unit.Name))
			case len(ps) > 0:
				s.fail(r.Line, ColResponsible, apperr.Invalidf("responsible", "err.problem.responsible.outside", v, unit.Name))
			default:
				s.fail(r.Line, ColResponsible, apperr.Invalidf("responsible", "err.xlsx.person_unknown", v, target.Name))
			}
		}
		if r.In.Deadline != "" {
			if _, err := parseDeadline("deadline", r.In.Deadline, today); err != nil {
				s.fail(r.Line, ColDeadline, err)
			}
		}
	}
	return nil
}

// unitsNamed finds the units inside the subtree at root whose code or name is v.
func unitsNamed(ctx context.Context, q store.Queryer, v, root string) ([]org.Unit, error) {
	var args []any
	arg := func(a any) string { args = append(args, a); return "$" + strconv.Itoa(len(args)) }
	rows, err := q.QueryContext(ctx, `SELECT code FROM units u WHERE (u.code = `+arg(v)+` OR u.name = `+arg(v)+`) AND `+
		store.Subtree("u.path", root, arg)+` ORDER BY u.id LIMIT 3`, args...)
	if err != nil {
		return nil, err
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, err
		}
		codes = append(codes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []org.Unit
	for _, c := range codes {
		u, err := org.UnitByCode(ctx, q, c)
		if err != nil {
			return nil, err
		}
		if u.Code == v { // a code is exact: it wins over a unit that happens to bear it as a name
			return []org.Unit{u}, nil
		}
		out = append(out, u)
	}
	return out, nil
}

// peopleNamed finds the people inside the subtree at root whose username or name is v.
func peopleNamed(ctx context.Context, q store.Queryer, v, root string) ([]person, error) {
	var args []any
	arg := func(a any) string { args = append(args, a); return "$" + strconv.Itoa(len(args)) }
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.username, u.name, un.path, COALESCE(u.disabled_at, 0)
		FROM users u JOIN units un ON un.id = u.unit_id
		WHERE (u.username = `+arg(strings.ToLower(v))+` OR u.name = `+arg(v)+`) AND `+store.Subtree("un.path", root, arg)+
		` ORDER BY u.id LIMIT 20`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []person
	for rows.Next() {
		var x person
		var dis int64
		if err := rows.Scan(&x.id, &x.username, &x.name, &x.path, &dis); err != nil {
			return nil, err
		}
		x.disabled = dis != 0
		if x.username == strings.ToLower(v) { // a username is exact
			return []person{x}, nil
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// importChunk is how many rows an import checks and then writes together.
const importChunk = 500

// Import records every row of a parsed sheet as a new item in unitCode's
// subtree, or none: the rows are checked first (CheckImport), then created in
// one transaction with the same checks as Create (unit, person, deadline,
// numbers, timeline, an audit entry per item), sharing the lookups across
// rows and writing them in multi-row statements. Any bad row makes it an
// *ImportError listing them all. progress, when set, is called once per row
// as the rows are written.
func (l *Ledger) Import(ctx context.Context, p *org.Principal, unitCode, fileName string, s *Sheet, progress func(done, total int)) (ImportResult, error) {
	var res ImportResult
	if err := l.CheckImport(ctx, p, unitCode, s); err != nil {
		return res, err
	}
	if len(s.Errors) > 0 {
		return res, &ImportError{Errors: s.Errors, More: s.More}
	}
	err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
		target, err := l.importTarget(ctx, tx, p, unitCode)
		if err != nil {
			return err
		}
		if l.DB.Dialect == store.SQLite {
			// SQLite's 2 MB page cache spilled the ten indexes' pages of a
			// large ledger to the WAL and read them back, row after row
			// (a fifth of an import's CPU at a million items): 128 MB for
			// this transaction, the connection's own size again afterwards.
			var was int
			if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&was); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -131072`); err != nil {
				return err
			}
			defer tx.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+strconv.Itoa(was))
			// Every multi-row INSERT inside the transaction keeps a
			// statement journal (the pages it changed, to undo it alone
			// if it fails); on disk by default, a write and a read back
			// per page (a tenth of an import's CPU). In memory for the
			// import: a few megabytes. The transaction itself still
			// lands whole or not at all.
			var temp int
			if err := tx.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&temp); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
				return err
			}
			defer tx.ExecContext(context.WithoutCancel(ctx), `PRAGMA temp_store = `+strconv.Itoa(temp))
		}
		c := l.newCreator(tx, p, true)
		for lo := 0; lo < len(s.Rows); lo += importChunk {
			rows := s.Rows[lo:min(lo+importChunk, len(s.Rows))]
			items := make([]newItem, 0, len(rows))
			for _, r := range rows {
				it, err := c.prepare(ctx, r.In)
				if e := apperr.As(err); e != nil { // changed since the check (a person disabled meanwhile…)
					return &ImportError{Errors: []RowError{{Line: r.Line, Column: s.header(fieldColumn(e.Field)), Err: e}}}
				} else if err != nil {
					return err
				}
				items = append(items, it)
			}
			_, numbers, err := c.write(ctx, items)
			if err != nil {
				return err
			}
			res.Numbers = append(res.Numbers, numbers...)
			for i, r := range rows {
				res.Created++
				if r.In.Draft {
					res.Drafts++
				}
				if progress != nil {
					progress(lo+i+1, len(s.Rows))
				}
			}
		}
		if res.Created > 0 {
			res.First, res.Last = res.Numbers[0], res.Numbers[len(res.Numbers)-1]
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "problem.import", ObjectType: "problem",
			ObjectID: res.First, UnitID: target.ID, Detail: map[string]any{"file": fileName, "unit": target.Code,
				"created": res.Created, "drafts": res.Drafts, "first": res.First, "last": res.Last,
				"day": calendar.FormatDay(l.today())}})
		return err
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}
