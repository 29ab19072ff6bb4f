package org

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
)

// User is a person with an account.
type User struct {
	ID          int64       `json:"-"`
	Username    string      `json:"username"`
	Name        string      `json:"name"`
	UnitID      int64       `json:"-"`
	UnitCode    string      `json:"unit_code"`
	UnitName    string      `json:"unit_name"`
	UnitPath    string      `json:"-"`
	Roles       []RoleGrant `json:"roles"`
	TOTPEnabled bool        `json:"totp_enabled"`
	Disabled    bool        `json:"disabled"`
	Locked      bool        `json:"locked"`
	CreatedAt   int64       `json:"created_at"`
}

// RoleGrant is a role as the API shows and takes it: the scope defaults to the user's unit.
type RoleGrant struct {
	Role      string `json:"role"`
	ScopeCode string `json:"scope_code,omitempty"`
}

// UserInput creates a user.
type UserInput struct {
	Username string      `json:"username"`
	Name     string      `json:"name"`
	UnitCode string      `json:"unit_code"`
	Roles    []RoleGrant `json:"roles"`
	Password string      `json:"password"`
	// PasswordHash, when set by system code (demo, bench), is stored instead of
	// hashing Password: one hash serves many accounts with the same password.
	PasswordHash string `json:"-"`
}

// UserPatch changes a user; nil fields stay as they are.
type UserPatch struct {
	Name     *string      `json:"name"`
	UnitCode *string      `json:"unit_code"`
	Roles    *[]RoleGrant `json:"roles"`
	Disabled *bool        `json:"disabled"`
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{1,31}$`)

// MinPasswordRunes is the shortest password accepted.
const MinPasswordRunes = 8

// ValidatePassword checks a new password.
func ValidatePassword(pw, username string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordRunes:
		return apperr.Invalidf("password", "err.password.too_short", MinPasswordRunes)
	case n > 128:
		return apperr.Invalidf("password", "err.password.too_long", 128)
	case strings.EqualFold(pw, username):
		return apperr.Invalidf("password", "err.password.is_username")
	}
	return nil
}

func validatePersonName(name string) error {
	if name == "" {
		return apperr.Invalidf("name", "err.user.name_required")
	}
	if utf8.RuneCountInString(name) > 50 {
		return apperr.Invalidf("name", "err.user.name_too_long", 50)
	}
	if strings.ContainsAny(name, "\x00\r\n\t") {
		return apperr.Invalidf("name", "err.user.name_control")
	}
	return nil
}

// HashCost is the argon2id cost used for new passwords; the demo and tests lower it.
var HashCost = password.Default

const userCols = `u.id, u.username, u.name, u.unit_id, un.code, un.name, un.path,
	COALESCE(u.totp_enabled_at, 0), COALESCE(u.disabled_at, 0), COALESCE(u.locked_until, 0), u.created_at`

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	var totp, disabled, locked int64
	err := r.Scan(&u.ID, &u.Username, &u.Name, &u.UnitID, &u.UnitCode, &u.UnitName, &u.UnitPath, &totp, &disabled, &locked, &u.CreatedAt)
	u.TOTPEnabled, u.Disabled, u.Locked = totp != 0, disabled != 0, locked > store.Now()
	return u, err
}

func userBy(ctx context.Context, q store.Queryer, col string, v any) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx,
		`SELECT `+userCols+` FROM users u JOIN units un ON un.id = u.unit_id WHERE u.`+col+` = $1`, v))
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.ErrNotFound
	}
	if err != nil {
		return u, err
	}
	u.Roles, err = userRoles(ctx, q, u.ID)
	return u, err
}

func userRoles(ctx context.Context, q store.Queryer, id int64) ([]RoleGrant, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.role, s.code FROM user_roles r JOIN units s ON s.id = r.scope_unit_id
		WHERE r.user_id = $1 ORDER BY r.role`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RoleGrant
	for rows.Next() {
		var g RoleGrant
		if err := rows.Scan(&g.Role, &g.ScopeCode); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UserByUsername loads a user without an authorization check (internal use).
func UserByUsername(ctx context.Context, q store.Queryer, username string) (User, error) {
	return userBy(ctx, q, "username", username)
}

// UserByID loads a user without an authorization check (internal use).
func UserByID(ctx context.Context, q store.Queryer, id int64) (User, error) {
	return userBy(ctx, q, "id", id)
}

// GetUser loads a user the principal may read.
func GetUser(ctx context.Context, db *store.DB, p *Principal, username string) (User, error) {
	u, err := UserByUsername(ctx, db.Read, username)
	if err != nil {
		return u, err
	}
	if !Can(p, UserRead, u.UnitPath) && (p == nil || p.UserID != u.ID) {
		return User{}, apperr.ErrNotFound
	}
	return u, nil
}

// LoadPrincipal builds the authorization view of a user. A disabled user has no principal.
// One query (a row per grant) serves every request, so it stays a single round trip.
func LoadPrincipal(ctx context.Context, q store.Queryer, userID int64) (*Principal, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.username, u.name, u.unit_id, un.code, un.name, un.path,
		COALESCE(u.disabled_at, 0), COALESCE(u.totp_enabled_at, 0),
		COALESCE(r.role, ''), COALESCE(r.scope_unit_id, 0), COALESCE(s.code, ''), COALESCE(s.path, '')
		FROM users u JOIN units un ON un.id = u.unit_id
		LEFT JOIN user_roles r ON r.user_id = u.id LEFT JOIN units s ON s.id = r.scope_unit_id
		WHERE u.id = $1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var p *Principal
	var disabled int64
	for rows.Next() {
		var (
			x    Principal
			g    Grant
			totp int64
		)
		if err := rows.Scan(&x.Username, &x.Name, &x.UnitID, &x.UnitCode, &x.UnitName, &x.UnitPath, &disabled, &totp,
			&g.Role, &g.ScopeID, &g.ScopeCode, &g.ScopePath); err != nil {
			return nil, err
		}
		if p == nil {
			x.UserID, x.TOTPEnabled = userID, totp != 0
			p = &x
		}
		if g.Role != "" && g.ScopePath != "" {
			p.Grants = append(p.Grants, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if p == nil || disabled != 0 {
		return nil, apperr.ErrUnauthorized
	}
	return p, nil
}

// UserFilter selects users for a list.
type UserFilter struct {
	UnitCode string // people of this unit's subtree
	// Unit, when set, replaces UnitCode with a unit the caller has already
	// loaded through GetUnit (saves looking it up again).
	Unit          *Unit
	Role          string
	Q             string // username or name contains
	Offset, Limit int
}

// ListUsers returns users in the principal's read scope.
func ListUsers(ctx context.Context, db *store.DB, p *Principal, f UserFilter) ([]User, int, error) {
	scopes := ScopePaths(p, UserRead)
	if len(scopes) == 0 {
		return nil, 0, nil
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	root := f.Unit
	if root != nil {
		if !Can(p, UnitRead, root.Path) {
			return nil, 0, apperr.ErrNotFound
		}
	} else if f.UnitCode != "" {
		u, err := GetUnit(ctx, db, p, f.UnitCode)
		if err != nil {
			return nil, 0, err
		}
		root = &u
	}
	switch {
	case root != nil && Can(p, UserRead, root.Path):
		// the whole subtree is in scope (scopes are subtrees): the scope
		// condition would only add a second, wider range on un.path, which
		// the planner may pick instead of the unit's (a province inspector's
		// department list then walks the whole province)
		where = append(where, store.Subtree("un.path", root.Path, arg))
	case root != nil:
		where = append(where, scopeClause("un.path", scopes, arg), store.Subtree("un.path", root.Path, arg))
	default:
		where = append(where, scopeClause("un.path", scopes, arg))
	}
	if f.Role != "" {
		if !ValidRole(f.Role) {
			return nil, 0, apperr.Invalidf("role", "err.role.unknown", f.Role)
		}
		where = append(where, "EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = "+arg(f.Role)+")")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + store.EscapeLike(q) + "%"
		where = append(where, "(u.name LIKE "+arg(like)+` ESCAPE '\' OR u.username LIKE `+arg(like)+` ESCAPE '\')`)
	}
	w := strings.Join(where, " AND ")
	nWhere := len(args)
	limit, offset := clampPage(f.Limit, f.Offset)
	// the page of people and their grants in one query: a row per grant (or one
	// without a grant), in page order. un.id changes nothing (paths are
	// unique) but tells SQLite that the units_path walk gives whole units in
	// order, so users_unit_username (migration 00028) delivers each unit's
	// people sorted and the walk stops at the end of the page. The outer
	// ORDER BY repeats the page's order exactly, so SQLite keeps the rows in
	// the order the subquery gives them instead of sorting them again (a
	// quarter of the query's CPU); a person's grants are sorted below.
	rows, err := db.Read.QueryContext(ctx, `SELECT x.*, COALESCE(r.role, ''), COALESCE(s.code, '')
		FROM (SELECT `+userCols+`, un.path AS sort_path, un.id AS sort_unit, u.username AS sort_name FROM users u JOIN units un ON un.id = u.unit_id WHERE `+w+
		` ORDER BY un.path, un.id, u.username LIMIT `+store.Limit(limit, arg)+` OFFSET `+arg(offset)+`) x
		LEFT JOIN user_roles r ON r.user_id = x.id LEFT JOIN units s ON s.id = r.scope_unit_id
		ORDER BY x.sort_path, x.sort_unit, x.sort_name`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var (
			u                      User
			totp, disabled, locked int64
			sortPath, sortName     string
			sortUnit               int64
			g                      RoleGrant
		)
		if err := rows.Scan(&u.ID, &u.Username, &u.Name, &u.UnitID, &u.UnitCode, &u.UnitName, &u.UnitPath, &totp, &disabled, &locked,
			&u.CreatedAt, &sortPath, &sortUnit, &sortName, &g.Role, &g.ScopeCode); err != nil {
			return nil, 0, err
		}
		if n := len(out); n == 0 || out[n-1].ID != u.ID {
			u.TOTPEnabled, u.Disabled, u.Locked = totp != 0, disabled != 0, locked > store.Now()
			out = append(out, u)
		}
		if g.Role != "" {
			last := &out[len(out)-1]
			last.Roles = append(last.Roles, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()         // before counting: the count may need the connection
	for i := range out { // by role, as before (role names are lowercase ASCII: any collation agrees)
		slices.SortFunc(out[i].Roles, func(a, b RoleGrant) int { return strings.Compare(a.Role, b.Role) })
	}
	total, err := pageTotal(len(out), limit, offset, func() (int, error) {
		return countRows(ctx, db, `SELECT COUNT(*) FROM users u JOIN units un ON un.id = u.unit_id WHERE `+w, args[:nWhere])
	})
	return out, total, err
}

// resolveGrants validates roles and their scopes for a user in unit, and checks
// that the principal may grant each of them: nobody grants beyond their own reach.
func resolveGrants(ctx context.Context, q store.Queryer, p *Principal, unit Unit, in []RoleGrant) ([]Grant, error) {
	if len(in) == 0 {
		return nil, apperr.Invalidf("roles", "err.user.roles_required")
	}
	var out []Grant
	seen := map[string]bool{}
	for _, rg := range in {
		rg.Role = strings.TrimSpace(rg.Role)
		if !ValidRole(rg.Role) {
			return nil, apperr.Invalidf("roles", "err.role.unknown", rg.Role)
		}
		if seen[rg.Role] {
			return nil, apperr.Invalidf("roles", "err.role.duplicate", rg.Role)
		}
		seen[rg.Role] = true
		scope := unit
		if c := strings.TrimSpace(rg.ScopeCode); c != "" && c != unit.Code {
			if !WideScope(Role(rg.Role)) {
				return nil, apperr.Invalidf("roles", "err.role.scope_not_allowed", rg.Role)
			}
			s, err := UnitByCode(ctx, q, c)
			if err != nil || !Can(p, UnitRead, s.Path) {
				return nil, apperr.Invalidf("roles", "err.unit.parent_not_found", c)
			}
			scope = s
		}
		if !Can(p, UserWrite, scope.Path) {
			return nil, apperr.New(apperr.Forbidden, "forbidden", "roles", "err.role.beyond_reach", rg.Role)
		}
		if Role(rg.Role) == RoleAdmin && !Can(p, AdminWrite, scope.Path) {
			return nil, apperr.New(apperr.Forbidden, "forbidden", "roles", "err.role.beyond_reach", rg.Role)
		}
		out = append(out, Grant{Role: Role(rg.Role), ScopeID: scope.ID, ScopeCode: scope.Code, ScopePath: scope.Path})
	}
	slices.SortFunc(out, func(a, b Grant) int { return strings.Compare(string(a.Role), string(b.Role)) })
	return out, nil
}

func writeGrants(ctx context.Context, tx *sql.Tx, userID int64, gs []Grant) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, g := range gs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role, scope_unit_id) VALUES ($1, $2, $3)`,
			userID, string(g.Role), g.ScopeID); err != nil {
			return err
		}
	}
	return nil
}

func grantsDetail(gs []Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, string(g.Role)+"@"+g.ScopeCode)
	}
	return out
}

// CreateUser adds a person. p nil means the system (first start, demo).
func CreateUser(ctx context.Context, db *store.DB, p *Principal, in UserInput) (User, error) {
	defer treeChanged()
	var out User
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := CreateUserTx(ctx, tx, p, in, false)
		out = u
		return err
	})
	return out, err
}

// CreateUserTx creates a user inside tx. With system set, authorization is skipped
// (bootstrap and demo only).
func CreateUserTx(ctx context.Context, tx *sql.Tx, p *Principal, in UserInput, system bool) (User, error) {
	in.Username = strings.TrimSpace(strings.ToLower(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	if in.Username == "" {
		return User{}, apperr.Invalidf("username", "err.user.username_required")
	}
	if !usernameRE.MatchString(in.Username) {
		return User{}, apperr.Invalidf("username", "err.user.username_format")
	}
	if err := validatePersonName(in.Name); err != nil {
		return User{}, err
	}
	hash := in.PasswordHash
	if hash == "" || !system {
		if err := ValidatePassword(in.Password, in.Username); err != nil {
			return User{}, err
		}
		hash = ""
	}
	unit, err := UnitByCode(ctx, tx, strings.TrimSpace(in.UnitCode))
	if err != nil || (!system && !Can(p, UnitRead, unit.Path)) {
		return User{}, apperr.Invalidf("unit_code", "err.unit.parent_not_found", in.UnitCode)
	}
	if unit.Closed {
		return User{}, apperr.Invalidf("unit_code", "err.unit.parent_closed", in.UnitCode)
	}
	gp := p
	if system {
		gp = systemPrincipal
	}
	if !Can(gp, UserWrite, unit.Path) {
		return User{}, apperr.ErrForbidden
	}
	grants, err := resolveGrants(ctx, tx, gp, unit, in.Roles)
	if err != nil {
		return User{}, err
	}
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, in.Username).Scan(&taken); err != nil {
		return User{}, err
	}
	if taken > 0 {
		return User{}, apperr.New(apperr.Conflict, "duplicate_username", "username", "err.user.username_taken", in.Username)
	}
	if hash == "" {
		hash = password.HashWith(in.Password, HashCost)
	}
	treeChanged()
	now := store.Now()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO users (username, name, unit_id, password_hash, password_changed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5, $5) RETURNING id`,
		in.Username, in.Name, unit.ID, hash, now).Scan(&id)
	if store.IsUniqueViolation(err) {
		return User{}, apperr.New(apperr.Conflict, "duplicate_username", "username", "err.user.username_taken", in.Username)
	}
	if err != nil {
		return User{}, err
	}
	if err := writeGrants(ctx, tx, id, grants); err != nil {
		return User{}, err
	}
	actor := audit.System
	if p != nil {
		actor = p.Actor()
	}
	if _, err := audit.Append(ctx, tx, audit.Event{Actor: actor, Action: "user.create", ObjectType: "user",
		ObjectID: in.Username, UnitID: unit.ID, Detail: map[string]any{"name": in.Name, "roles": grantsDetail(grants)}}); err != nil {
		return User{}, err
	}
	u := User{ID: id, Username: in.Username, Name: in.Name, UnitID: unit.ID, UnitCode: unit.Code, UnitName: unit.Name,
		UnitPath: unit.Path, CreatedAt: now}
	for _, g := range grants {
		u.Roles = append(u.Roles, RoleGrant{Role: string(g.Role), ScopeCode: g.ScopeCode})
	}
	return u, nil
}

// systemPrincipal may do anything; used only for bootstrap and the demo.
var systemPrincipal = &Principal{Username: "system", Grants: []Grant{{Role: RoleAdmin, ScopePath: "/"}}}

// writableUser loads a user inside tx and checks UserWrite on their unit.
func writableUser(ctx context.Context, tx *sql.Tx, p *Principal, username string) (User, error) {
	u, err := UserByUsername(ctx, tx, username)
	if err != nil {
		return u, err
	}
	if !Can(p, UserRead, u.UnitPath) {
		return User{}, apperr.ErrNotFound
	}
	if !Can(p, UserWrite, u.UnitPath) {
		return User{}, apperr.ErrForbidden
	}
	if err := reachesGrants(ctx, tx, p, u.ID); err != nil {
		return User{}, err
	}
	return u, nil
}

// reachesGrants refuses when the person holds a grant beyond p's reach: whoever
// could reset their password or change them could act with that wider grant.
func reachesGrants(ctx context.Context, q store.Queryer, p *Principal, userID int64) error {
	rows, err := q.QueryContext(ctx, `SELECT r.role, s.path FROM user_roles r JOIN units s ON s.id = r.scope_unit_id
		WHERE r.user_id = $1`, userID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var role, path string
		if err := rows.Scan(&role, &path); err != nil {
			return err
		}
		if !Can(p, UserWrite, path) || (Role(role) == RoleAdmin && !Can(p, AdminWrite, path)) {
			return apperr.ErrForbidden
		}
	}
	return rows.Err()
}

// CanManage reports (nil, or apperr NotFound/Forbidden) whether p may change u:
// u's unit is in p's write scope and every grant u holds is within p's reach.
func CanManage(ctx context.Context, q store.Queryer, p *Principal, u User) error {
	if !Can(p, UserRead, u.UnitPath) && (p == nil || p.UserID != u.ID) {
		return apperr.ErrNotFound
	}
	if !Can(p, UserWrite, u.UnitPath) {
		return apperr.ErrForbidden
	}
	return reachesGrants(ctx, q, p, u.ID)
}

// UpdateUser changes name, unit, roles or the disabled flag.
func UpdateUser(ctx context.Context, db *store.DB, p *Principal, username string, in UserPatch) (User, error) {
	defer treeChanged()
	var out User
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := writableUser(ctx, tx, p, username)
		if err != nil {
			return err
		}
		treeChanged()
		detail := map[string]any{}
		now := store.Now()
		if in.Name != nil {
			name := strings.TrimSpace(*in.Name)
			if err := validatePersonName(name); err != nil {
				return err
			}
			if name != u.Name {
				detail["name"] = []string{u.Name, name}
				u.Name = name
			}
		}
		unit, err := UnitByID(ctx, tx, u.UnitID)
		if err != nil {
			return err
		}
		if in.UnitCode != nil && strings.TrimSpace(*in.UnitCode) != u.UnitCode {
			nu, err := UnitByCode(ctx, tx, strings.TrimSpace(*in.UnitCode))
			if err != nil || !Can(p, UnitRead, nu.Path) {
				return apperr.Invalidf("unit_code", "err.unit.parent_not_found", *in.UnitCode)
			}
			if !Can(p, UserWrite, nu.Path) {
				return apperr.ErrForbidden
			}
			if nu.Closed {
				return apperr.Invalidf("unit_code", "err.unit.parent_closed", nu.Code)
			}
			detail["unit"] = []string{u.UnitCode, nu.Code}
			unit = nu
			u.UnitID, u.UnitCode, u.UnitName, u.UnitPath = nu.ID, nu.Code, nu.Name, nu.Path
		}
		if in.Roles != nil || detail["unit"] != nil {
			roles := u.Roles
			if in.Roles != nil {
				roles = *in.Roles
			} else {
				// moving a person re-anchors the grants that followed the old unit
				for i := range roles {
					if roles[i].ScopeCode == detail["unit"].([]string)[0] {
						roles[i].ScopeCode = unit.Code
					}
				}
			}
			grants, err := resolveGrants(ctx, tx, p, unit, roles)
			if err != nil {
				return err
			}
			if p.UserID == u.ID && in.Roles != nil && u.hasRole(RoleAdmin) && !hasGrant(grants, RoleAdmin) {
				return apperr.New(apperr.Conflict, "self_admin", "roles", "err.user.self_admin")
			}
			if err := writeGrants(ctx, tx, u.ID, grants); err != nil {
				return err
			}
			detail["roles"] = grantsDetail(grants)
			u.Roles = nil
			for _, g := range grants {
				u.Roles = append(u.Roles, RoleGrant{Role: string(g.Role), ScopeCode: g.ScopeCode})
			}
		}
		if in.Disabled != nil && *in.Disabled != u.Disabled {
			if p.UserID == u.ID {
				return apperr.New(apperr.Conflict, "self_disable", "disabled", "err.user.self_disable")
			}
			var v any
			if *in.Disabled {
				v = now
				// a disabled person's sessions and tokens end at once
				if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, now, u.ID); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1 WHERE id = $2`, v, u.ID); err != nil {
				return err
			}
			detail["disabled"] = *in.Disabled
			u.Disabled = *in.Disabled
		}
		if len(detail) == 0 {
			out = u
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $1, unit_id = $2, updated_at = $3 WHERE id = $4`,
			u.Name, u.UnitID, now, u.ID); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "user.update", ObjectType: "user",
			ObjectID: u.Username, UnitID: u.UnitID, Detail: detail}); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

func (u *User) hasRole(r Role) bool {
	for _, g := range u.Roles {
		if g.Role == string(r) {
			return true
		}
	}
	return false
}

func hasGrant(gs []Grant, r Role) bool {
	for _, g := range gs {
		if g.Role == r {
			return true
		}
	}
	return false
}

// ResetPassword sets a new password chosen by an administrator; the user must
// change it at next login, and their sessions end.
func ResetPassword(ctx context.Context, db *store.DB, p *Principal, username, newPassword string) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := writableUser(ctx, tx, p, username)
		if err != nil {
			return err
		}
		if err := ValidatePassword(newPassword, u.Username); err != nil {
			return err
		}
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_pw = 1, failed_logins = 0,
			locked_until = NULL, password_changed_at = $2, updated_at = $2 WHERE id = $3`,
			password.HashWith(newPassword, HashCost), now, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "user.password_reset", ObjectType: "user",
			ObjectID: u.Username, UnitID: u.UnitID})
		return err
	})
}

// CountUsers returns how many accounts exist (first start creates admin when zero).
func CountUsers(ctx context.Context, q store.Queryer) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}
