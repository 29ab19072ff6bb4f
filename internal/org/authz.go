// Package org holds units (a tree), people, their roles and the one place where
// authorization is decided: Can, a pure function of a Principal, an Action and
// the materialized path of the unit the target belongs to.
package org

import (
	"slices"
	"strings"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
)

// Role is one of the fixed roles.
type Role string

const (
	RoleAdmin      Role = "admin"      // 系统管理员
	RoleLeader     Role = "leader"     // 第一责任人
	RoleDeputy     Role = "deputy"     // 直接负责人
	RoleHandler    Role = "handler"    // 具体负责人/承办人
	RoleInspector  Role = "inspector"  // 督察
	RoleDiscipline Role = "discipline" // 纪检
	RoleOfficer    Role = "officer"    // 干警
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RoleLeader, RoleDeputy, RoleHandler, RoleInspector, RoleDiscipline, RoleOfficer}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// WideScope reports whether a role may be granted a subtree wider than the
// holder's own unit (督察 and 纪检 oversee other units).
func WideScope(r Role) bool { return r == RoleInspector || r == RoleDiscipline || r == RoleAdmin }

// Action is something a principal may do to a target in a unit.
type Action string

const (
	UnitRead   Action = "unit.read"
	UnitWrite  Action = "unit.write" // create below, rename, move, close
	UserRead   Action = "user.read"
	UserWrite  Action = "user.write" // create, change, reset password, disable
	AuditRead  Action = "audit.read"
	AdminWrite Action = "admin.write" // deployment settings (e.g. which roles need TOTP)

	ProblemRead      Action = "problem.read"      // see the ledger items of a unit
	ProblemWrite     Action = "problem.write"     // create items, report progress, ask for closing or extension
	ProblemVerify    Action = "problem.verify"    // decide closing (销号) and look-back (回头看)
	ProblemSupervise Action = "problem.supervise" // put an item under named supervision (挂牌督办)
	ProblemDecide    Action = "problem.decide"    // approve or refuse an extension (延期)

	ClueRead   Action = "clue.read"   // see reports and leads handled in a unit (never the reporter's identity)
	ClueHandle Action = "clue.handle" // triage, route, investigate and conclude them
	ClueReveal Action = "clue.reveal" // read a reporter's identity, with a stated reason
)

// Actions lists every action (the authorization matrix enumerates them).
var Actions = []Action{UnitRead, UnitWrite, UserRead, UserWrite, AuditRead, AdminWrite,
	ProblemRead, ProblemWrite, ProblemVerify, ProblemSupervise, ProblemDecide,
	ClueRead, ClueHandle, ClueReveal}

// policy says which actions each role allows within its scope.
var policy = map[Role][]Action{
	RoleAdmin:      {UnitRead, UnitWrite, UserRead, UserWrite, AuditRead, AdminWrite},
	RoleLeader:     {UnitRead, UserRead, ProblemRead, ProblemWrite, ProblemDecide},
	RoleDeputy:     {UnitRead, UserRead, ProblemRead, ProblemWrite, ProblemDecide},
	RoleHandler:    {UnitRead, UserRead, ProblemRead, ProblemWrite},
	RoleInspector:  {UnitRead, UserRead, AuditRead, ProblemRead, ProblemWrite, ProblemVerify, ProblemSupervise},
	RoleDiscipline: {UnitRead, UserRead, AuditRead, ProblemRead, ClueRead, ClueHandle, ClueReveal},
	RoleOfficer:    {UnitRead, UserRead},
}

// RoleAllows reports whether role r carries action a (within its scope).
func RoleAllows(r Role, a Action) bool { return slices.Contains(policy[r], a) }

// Grant is a role held over a subtree.
type Grant struct {
	Role      Role   `json:"role"`
	ScopeID   int64  `json:"-"`
	ScopeCode string `json:"scope_code"`
	ScopePath string `json:"-"`
}

// Principal is the signed-in person as authorization sees them.
type Principal struct {
	UserID   int64
	Username string
	Name     string
	UnitID   int64
	UnitCode string
	UnitPath string
	UnitName string // for the page header
	Grants   []Grant
	// TOTPEnabled: the person has a second factor (the 工作台 suggests one otherwise).
	TOTPEnabled bool
	// TokenID is set when the request is authenticated by an API token.
	TokenID int64
}

// Actor is the principal as the audit trail names them.
func (p *Principal) Actor() audit.Actor {
	if p == nil {
		return audit.System
	}
	return audit.Actor{ID: p.UserID, Name: p.Username}
}

// Has reports whether the principal holds role r anywhere.
func (p *Principal) Has(r Role) bool {
	for _, g := range p.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}

// Can decides whether p may perform a on a target in the unit with path
// targetPath (a materialized path such as "/1/7/42/"). It is the single
// authorization decision of the system.
func Can(p *Principal, a Action, targetPath string) bool {
	if p == nil || targetPath == "" {
		return false
	}
	for i := range p.Grants {
		g := &p.Grants[i]
		// an empty scope would prefix every path: such a grant reaches nothing
		if g.ScopePath != "" && strings.HasPrefix(targetPath, g.ScopePath) && RoleAllows(g.Role, a) {
			return true
		}
	}
	return false
}

// CanAnywhere reports whether p may perform a on something (menu entries).
func CanAnywhere(p *Principal, a Action) bool { return len(ScopePaths(p, a)) > 0 }

// ScopePaths returns the subtrees in which p may perform a, with subtrees
// nested inside another one removed: the filter list queries use.
func ScopePaths(p *Principal, a Action) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, g := range p.Grants {
		if RoleAllows(g.Role, a) && g.ScopePath != "" {
			out = append(out, g.ScopePath)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	kept := out[:0]
	for _, s := range out {
		// sorted: an enclosing path sorts before the paths inside it
		if len(kept) > 0 && strings.HasPrefix(s, kept[len(kept)-1]) {
			continue
		}
		kept = append(kept, s)
	}
	return kept
}

// IsRootAdmin reports whether p administers the whole tree: an admin grant at
// the top unit. Deployment-wide settings (which roles need TOTP, verifying the
// audit chain, entries that belong to no unit) need it.
func IsRootAdmin(p *Principal) bool {
	if p == nil {
		return false
	}
	for _, g := range p.Grants {
		if g.Role == RoleAdmin && (g.ScopePath == "/" || strings.Count(g.ScopePath, "/") == 2) {
			return true
		}
	}
	return false
}

// Named is a person a lead names: their user id and their unit's path.
type Named struct {
	UserID   int64
	UnitPath string
}

// Recused reports whether p must never see a lead naming these people: p is
// one of them, or p leads (leader or deputy) the unit of one of them. It is
// checked together with Can on every read of a lead, and the lists apply the
// same rule in SQL (report.recusalSQL).
func Recused(p *Principal, named []Named) bool {
	if p == nil {
		return true
	}
	for _, n := range named {
		if n.UserID == p.UserID {
			return true
		}
		for _, g := range p.Grants {
			if (g.Role == RoleLeader || g.Role == RoleDeputy) && g.ScopePath != "" && strings.HasPrefix(n.UnitPath, g.ScopePath) {
				return true
			}
		}
	}
	return false
}

// LeadScopes returns the subtree paths in which p leads (leader or deputy):
// a lead naming someone in them is hidden from p.
func LeadScopes(p *Principal) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, g := range p.Grants {
		if (g.Role == RoleLeader || g.Role == RoleDeputy) && g.ScopePath != "" {
			out = append(out, g.ScopePath)
		}
	}
	return out
}

// ScopeSQL is the SQL condition "col (a unit path) lies in a subtree where p
// may perform a", with its values bound through arg; ok is false when p
// reaches nothing (the caller answers an empty list without a query).
func ScopeSQL(p *Principal, a Action, col string, arg func(any) string) (cond string, ok bool) {
	var reach []string
	for _, s := range ScopePaths(p, a) {
		reach = append(reach, store.Subtree(col, s, arg))
	}
	if len(reach) == 0 {
		return "", false
	}
	return "(" + strings.Join(reach, " OR ") + ")", true
}
