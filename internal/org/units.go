package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
)

// Unit is a node of the organisation tree.
type Unit struct {
	ID         int64  `json:"-"`
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ParentID   int64  `json:"-"`
	ParentCode string `json:"parent_code"`
	Path       string `json:"-"`
	Depth      int    `json:"depth"`
	Closed     bool   `json:"closed"`
	ClosedAt   int64  `json:"closed_at,omitempty"`
	CreatedAt  int64  `json:"created_at"`
	Children   int    `json:"children"`
}

// Kinds of unit, top to bottom.
var Kinds = []string{"province", "city", "county", "organ", "department"}

// UnitInput is what a create or an import supplies.
type UnitInput struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ParentCode string `json:"parent_code"`
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

const maxNameRunes = 100

// ValidateUnitInput checks the fields of a new unit.
func ValidateUnitInput(in *UnitInput) error {
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.ParentCode = strings.TrimSpace(in.ParentCode)
	if in.Code == "" {
		return apperr.Invalidf("code", "err.unit.code_required")
	}
	if !codeRE.MatchString(in.Code) {
		return apperr.Invalidf("code", "err.unit.code_format")
	}
	if err := validateUnitName(in.Name); err != nil {
		return err
	}
	if in.Kind != "" && !validKind(in.Kind) {
		return apperr.Invalidf("kind", "err.unit.kind_invalid", in.Kind)
	}
	return nil
}

func validKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func validateUnitName(name string) error {
	if name == "" {
		return apperr.Invalidf("name", "err.unit.name_required")
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		return apperr.Invalidf("name", "err.unit.name_too_long", maxNameRunes)
	}
	if strings.ContainsAny(name, "\x00\r\n\t") {
		return apperr.Invalidf("name", "err.unit.name_control")
	}
	return nil
}

const unitCols = `u.id, u.code, u.name, u.kind, COALESCE(u.parent_id, 0), COALESCE(p.code, ''), u.path, u.depth,
	COALESCE(u.closed_at, 0), u.created_at`

func scanUnit(r interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	err := r.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.ParentID, &u.ParentCode, &u.Path, &u.Depth, &u.ClosedAt, &u.CreatedAt)
	u.Closed = u.ClosedAt != 0
	return u, err
}

func unitBy(ctx context.Context, q store.Queryer, col string, v any) (Unit, error) {
	u, err := scanUnit(q.QueryRowContext(ctx,
		`SELECT `+unitCols+` FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.`+col+` = $1`, v))
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.ErrNotFound
	}
	return u, err
}

// UnitByCode loads a unit without an authorization check (internal use).
func UnitByCode(ctx context.Context, q store.Queryer, code string) (Unit, error) {
	return unitBy(ctx, q, "code", code)
}

// UnitByID loads a unit without an authorization check (internal use).
func UnitByID(ctx context.Context, q store.Queryer, id int64) (Unit, error) {
	return unitBy(ctx, q, "id", id)
}

// GetUnit loads a unit the principal may read. A unit outside the principal's
// scope is reported as not found, so its existence does not leak.
func GetUnit(ctx context.Context, db *store.DB, p *Principal, code string) (Unit, error) {
	u, err := UnitByCode(ctx, db.Read, code)
	if err != nil {
		return u, err
	}
	if !Can(p, UnitRead, u.Path) {
		return Unit{}, apperr.ErrNotFound
	}
	return u, nil
}

// UnitFilter selects units for a list.
type UnitFilter struct {
	ParentCode string // direct children of this unit; "" = everything in scope
	// Parent, when set, replaces ParentCode with a unit the caller has already
	// loaded through GetUnit (saves looking it up again). Its children are
	// all readable when it is (scopes are subtrees).
	Parent        *Unit
	Under         string // whole subtree of this unit code
	Q             string // name or code contains
	IncludeClosed bool
	Offset, Limit int
}

// ListUnits returns the units in the principal's read scope that match f, and the total count.
func ListUnits(ctx context.Context, db *store.DB, p *Principal, f UnitFilter) ([]Unit, int, error) {
	scopes := ScopePaths(p, UnitRead)
	if len(scopes) == 0 {
		return nil, 0, nil
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.Parent != nil {
		if !Can(p, UnitRead, f.Parent.Path) {
			return nil, 0, apperr.ErrNotFound
		}
		// every child of a readable unit is readable (scopes are subtrees):
		// no scope condition, so the plan is the parent index alone
		where = append(where, "u.parent_id = "+arg(f.Parent.ID))
	} else if f.ParentCode != "" {
		parent, err := GetUnit(ctx, db, p, f.ParentCode)
		if err != nil {
			// children of a unit one may not see: also visible ones below? keep it simple and strict
			return nil, 0, err
		}
		where = append(where, "u.parent_id = "+arg(parent.ID))
	} else {
		where = append(where, scopeClause("u.path", scopes, arg))
	}
	if f.Under != "" {
		root, err := UnitByCode(ctx, db.Read, f.Under)
		if err != nil {
			return nil, 0, err
		}
		if !Can(p, UnitRead, root.Path) && !slices.ContainsFunc(scopes, func(s string) bool { return strings.HasPrefix(s, root.Path) }) {
			// a subtree with nothing visible in it answers like an unknown code (no existence leak)
			return nil, 0, apperr.ErrNotFound
		}
		where = append(where, store.Subtree("u.path", root.Path, arg))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + store.EscapeLike(q) + "%"
		where = append(where, "(u.name LIKE "+arg(like)+` ESCAPE '\' OR u.code LIKE `+arg(like)+` ESCAPE '\')`)
	}
	if !f.IncludeClosed {
		where = append(where, "u.closed_at IS NULL")
	}
	w := strings.Join(where, " AND ")
	nWhere := len(args)
	limit, offset := clampPage(f.Limit, f.Offset)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+unitCols+`,
		(SELECT COUNT(*) FROM units c WHERE c.parent_id = u.id AND c.closed_at IS NULL)
		FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE `+w+`
		ORDER BY u.path LIMIT `+store.Limit(limit, arg)+` OFFSET `+arg(offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		var u Unit
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.ParentID, &u.ParentCode, &u.Path, &u.Depth,
			&u.ClosedAt, &u.CreatedAt, &u.Children); err != nil {
			return nil, 0, err
		}
		u.Closed = u.ClosedAt != 0
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	total, err := pageTotal(len(out), limit, offset, func() (int, error) {
		return countRows(ctx, db, `SELECT COUNT(*) FROM units u WHERE `+w, args[:nWhere])
	})
	return out, total, err
}

// pageTotal is the total of a list whose page held n rows: known without
// counting when the page is not full (most lists of children and people of
// one unit fit on their first page); count runs otherwise.
func pageTotal(n, limit, offset int, count func() (int, error)) (int, error) {
	if n < limit && (n > 0 || offset == 0) {
		return offset + n, nil
	}
	return count()
}

// RootUnits returns the top units of the principal's read scope (the roots the
// tree picker starts from).
func RootUnits(ctx context.Context, db *store.DB, p *Principal) ([]Unit, error) {
	var out []Unit
	for _, s := range ScopePaths(p, UnitRead) {
		id, err := strconv.ParseInt(lastID(s), 10, 64)
		if err != nil {
			continue
		}
		u, err := UnitByID(ctx, db.Read, id)
		if err != nil {
			continue
		}
		var n int
		db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE parent_id = $1 AND closed_at IS NULL`, u.ID).Scan(&n)
		u.Children = n
		out = append(out, u)
	}
	return out, nil
}

func lastID(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[len(parts)-1]
}

// Ancestors returns the units on the path from the root down to u, u included.
func Ancestors(ctx context.Context, db *store.DB, u Unit) ([]Unit, error) {
	var ids []int64
	for _, s := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad path %q", u.Path)
		}
		ids = append(ids, id)
	}
	byID, err := UnitsByID(ctx, db.Read, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Unit, 0, len(ids))
	for _, id := range ids {
		a, ok := byID[id]
		if !ok {
			return nil, apperr.ErrNotFound
		}
		out = append(out, a)
	}
	return out, nil
}

// UnitsByID loads several units in one query, without an authorization check
// (internal use: breadcrumbs, naming the units of audit entries). Ids that
// name no unit are absent from the map.
func UnitsByID(ctx context.Context, q store.Queryer, ids []int64) (map[int64]Unit, error) {
	out := make(map[int64]Unit, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT `+unitCols+` FROM units u LEFT JOIN units p ON p.id = u.parent_id
		WHERE u.id IN (`+b.String()+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out[u.ID] = u
	}
	return out, rows.Err()
}

func scopeClause(col string, scopes []string, arg func(any) string) string {
	var ors []string
	for _, s := range scopes {
		ors = append(ors, store.Subtree(col, s, arg))
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

func clampPage(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}

// CreateUnit adds a unit below in.ParentCode (a root unit when empty; only an
// admin without a parent scope limit may create roots, i.e. when the tree is empty).
func CreateUnit(ctx context.Context, db *store.DB, p *Principal, in UnitInput) (Unit, error) {
	if err := ValidateUnitInput(&in); err != nil {
		return Unit{}, err
	}
	defer treeChanged()
	var out Unit
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := CreateUnitTx(ctx, tx, p, in)
		out = u
		return err
	})
	return out, err
}

// CreateUnitTx creates a unit inside tx (in must be validated by the caller or
// through CreateUnit); several creations can share one transaction.
func CreateUnitTx(ctx context.Context, tx *sql.Tx, p *Principal, in UnitInput) (Unit, error) {
	if err := ValidateUnitInput(&in); err != nil {
		return Unit{}, err
	}
	now := store.Now()
	var parent Unit
	if in.ParentCode != "" {
		var err error
		parent, err = UnitByCode(ctx, tx, in.ParentCode)
		if err != nil || !Can(p, UnitRead, parent.Path) {
			return Unit{}, apperr.Invalidf("parent_code", "err.unit.parent_not_found", in.ParentCode)
		}
		if !Can(p, UnitWrite, parent.Path) {
			return Unit{}, apperr.ErrForbidden
		}
		if parent.Closed {
			return Unit{}, apperr.Invalidf("parent_code", "err.unit.parent_closed", in.ParentCode)
		}
	} else {
		// a new root: allowed only to bootstrap an empty tree (the first admin has no unit yet)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM units`).Scan(&n); err != nil {
			return Unit{}, err
		}
		if n > 0 {
			return Unit{}, apperr.Invalidf("parent_code", "err.unit.parent_required")
		}
		if !Can(p, UnitWrite, "/") {
			return Unit{}, apperr.ErrForbidden // only an administrator of everything starts the tree
		}
	}
	// checked first so a duplicate inside an import does not abort the PostgreSQL transaction
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE code = $1`, in.Code).Scan(&taken); err != nil {
		return Unit{}, err
	}
	if taken > 0 {
		return Unit{}, apperr.New(apperr.Conflict, "duplicate_code", "code", "err.unit.code_taken", in.Code)
	}
	treeChanged()
	var id int64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, '', 0, $5, $5) RETURNING id`,
		in.Code, in.Name, in.Kind, nullID(parent.ID), now).Scan(&id)
	if store.IsUniqueViolation(err) {
		return Unit{}, apperr.New(apperr.Conflict, "duplicate_code", "code", "err.unit.code_taken", in.Code)
	}
	if err != nil {
		return Unit{}, err
	}
	path := parent.Path
	if path == "" {
		path = "/"
	}
	path += strconv.FormatInt(id, 10) + "/"
	depth := parent.Depth + 1
	if _, err := tx.ExecContext(ctx, `UPDATE units SET path = $1, depth = $2 WHERE id = $3`, path, depth, id); err != nil {
		return Unit{}, err
	}
	if _, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "unit.create", ObjectType: "unit",
		ObjectID: in.Code, UnitID: id, Detail: map[string]any{"name": in.Name, "kind": in.Kind, "parent": in.ParentCode}}); err != nil {
		return Unit{}, err
	}
	return Unit{ID: id, Code: in.Code, Name: in.Name, Kind: in.Kind, ParentID: parent.ID, ParentCode: parent.Code,
		Path: path, Depth: depth, CreatedAt: now}, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// writableUnit loads code inside tx and checks UnitWrite on it.
func writableUnit(ctx context.Context, tx *sql.Tx, p *Principal, code string) (Unit, error) {
	u, err := UnitByCode(ctx, tx, code)
	if err != nil {
		return u, err
	}
	if !Can(p, UnitRead, u.Path) {
		return Unit{}, apperr.ErrNotFound
	}
	if !Can(p, UnitWrite, u.Path) {
		return Unit{}, apperr.ErrForbidden
	}
	return u, nil
}

// RenameUnit changes a unit's name.
func RenameUnit(ctx context.Context, db *store.DB, p *Principal, code, name string) (Unit, error) {
	name = strings.TrimSpace(name)
	if err := validateUnitName(name); err != nil {
		return Unit{}, err
	}
	var out Unit
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := writableUnit(ctx, tx, p, code)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE units SET name = $1, updated_at = $2 WHERE id = $3`, name, store.Now(), u.ID); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "unit.rename", ObjectType: "unit",
			ObjectID: code, UnitID: u.ID, Detail: map[string]any{"from": u.Name, "to": name}}); err != nil {
			return err
		}
		u.Name = name
		out = u
		return nil
	})
	return out, err
}

// MoveUnit moves a unit, with its whole subtree, below newParentCode.
func MoveUnit(ctx context.Context, db *store.DB, p *Principal, code, newParentCode string) (Unit, error) {
	newParentCode = strings.TrimSpace(newParentCode)
	if newParentCode == "" {
		return Unit{}, apperr.Invalidf("parent_code", "err.unit.parent_required")
	}
	defer treeChanged()
	var out Unit
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := writableUnit(ctx, tx, p, code)
		if err != nil {
			return err
		}
		if u.ParentID == 0 {
			return apperr.Invalidf("parent_code", "err.unit.move_root")
		}
		np, err := UnitByCode(ctx, tx, newParentCode)
		if err != nil || !Can(p, UnitRead, np.Path) {
			return apperr.Invalidf("parent_code", "err.unit.parent_not_found", newParentCode)
		}
		if !Can(p, UnitWrite, np.Path) {
			return apperr.ErrForbidden
		}
		if strings.HasPrefix(np.Path, u.Path) {
			return apperr.Invalidf("parent_code", "err.unit.move_into_self")
		}
		if np.Closed {
			return apperr.Invalidf("parent_code", "err.unit.parent_closed", newParentCode)
		}
		if np.ID == u.ParentID {
			out = u
			return nil
		}
		treeChanged()
		newPath := np.Path + strconv.FormatInt(u.ID, 10) + "/"
		delta := np.Depth + 1 - u.Depth
		if _, err := tx.ExecContext(ctx,
			`UPDATE units SET path = $1 || substr(path, $2), depth = depth + $3, updated_at = $4
			 WHERE path LIKE $5 ESCAPE '\'`,
			newPath, len(u.Path)+1, delta, store.Now(), store.EscapeLike(u.Path)+"%"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE units SET parent_id = $1 WHERE id = $2`, np.ID, u.ID); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "unit.move", ObjectType: "unit",
			ObjectID: code, UnitID: u.ID, Detail: map[string]any{"from": u.ParentCode, "to": np.Code}}); err != nil {
			return err
		}
		u.ParentID, u.ParentCode, u.Path, u.Depth = np.ID, np.Code, newPath, u.Depth+delta
		out = u
		return nil
	})
	return out, err
}

// CloseUnit marks a unit closed (撤销). A unit with open units or active people
// below it cannot be closed: they must be moved or closed first.
func CloseUnit(ctx context.Context, db *store.DB, p *Principal, code string) (Unit, error) {
	defer treeChanged()
	var out Unit
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := writableUnit(ctx, tx, p, code)
		if err != nil {
			return err
		}
		if u.Closed {
			out = u
			return nil
		}
		if u.ParentID == 0 {
			return apperr.New(apperr.Conflict, "root", "", "err.unit.close_root")
		}
		var kids, people int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE parent_id = $1 AND closed_at IS NULL`, u.ID).Scan(&kids); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE unit_id = $1 AND disabled_at IS NULL`, u.ID).Scan(&people); err != nil {
			return err
		}
		if kids > 0 || people > 0 {
			return apperr.New(apperr.Conflict, "not_empty", "", "err.unit.close_not_empty", kids, people)
		}
		treeChanged()
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE units SET closed_at = $1, updated_at = $1 WHERE id = $2`, now, u.ID); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "unit.close", ObjectType: "unit",
			ObjectID: code, UnitID: u.ID}); err != nil {
			return err
		}
		u.Closed, u.ClosedAt = true, now
		out = u
		return nil
	})
	return out, err
}

// RowError is an import row that failed, numbered as the spreadsheet shows it.
type RowError struct {
	Row int
	Err error
}

// ImportError lists every bad row of an import; nothing was written.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string { return fmt.Sprintf("%d rows rejected", len(e.Rows)) }

// ImportUnits creates all rows or none. A row's parent may be an existing unit
// or one created by an earlier or later row of the same import. lines[i] is
// the spreadsheet row number of rows[i], for messages (nil: 1, 2, 3, ...).
func ImportUnits(ctx context.Context, db *store.DB, p *Principal, rows []UnitInput, lines []int) (int, error) {
	line := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return i + 1
	}
	var bad []RowError
	seen := map[string]int{}
	for i := range rows {
		if err := ValidateUnitInput(&rows[i]); err != nil {
			bad = append(bad, RowError{line(i), err})
			continue
		}
		if j, dup := seen[rows[i].Code]; dup {
			bad = append(bad, RowError{line(i), apperr.Invalidf("code", "err.import.duplicate_row", line(j))})
			continue
		}
		seen[rows[i].Code] = i
		if rows[i].ParentCode == "" {
			bad = append(bad, RowError{line(i), apperr.Invalidf("parent_code", "err.unit.parent_required")})
		}
	}
	if len(bad) > 0 {
		return 0, &ImportError{bad}
	}
	// order rows so parents come first
	order := make([]int, 0, len(rows))
	state := make([]int, len(rows)) // 0 new, 1 visiting, 2 done
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 1:
			return apperr.Invalidf("parent_code", "err.import.cycle")
		case 2:
			return nil
		}
		state[i] = 1
		if j, ok := seen[rows[i].ParentCode]; ok {
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = 2
		order = append(order, i)
		return nil
	}
	for i := range rows {
		// every row on (or hanging below) a cycle is reported, not only the first
		if err := visit(i); err != nil {
			bad = append(bad, RowError{line(i), err})
		}
	}
	if len(bad) > 0 {
		return 0, &ImportError{bad}
	}
	defer treeChanged()
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		for _, i := range order {
			if _, err := CreateUnitTx(ctx, tx, p, rows[i]); err != nil {
				bad = append(bad, RowError{line(i), err})
				if ae := apperr.As(err); ae == nil {
					return err // a database failure: stop here
				}
			}
		}
		if len(bad) > 0 {
			return &ImportError{bad}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}
