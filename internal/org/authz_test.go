package org_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// matrixCase places the four kinds of target relative to a principal's scope:
// a unit deep inside it, one outside it, the scope's own root unit and an
// ancestor of that root. "" means the kind does not exist (the root
// administrator has nothing outside or above).
type matrixCase struct {
	who                             string
	scope                           string // where the principal's (widest) scope starts
	inside, outside, root, ancestor string
}

var matrixCases = []matrixCase{
	{who: "admin", scope: "admin@gd", inside: "gz-th-court-xs", root: "gd"},
	{who: "cityadmin", scope: "admin@gz", inside: "gz-th-ga-xz", outside: "sz-ft-court", root: "gz", ancestor: "gd"},
	{who: "leader", scope: "leader@gz-th-court", inside: "gz-th-court-xs", outside: "gz-th-ga", root: "gz-th-court", ancestor: "gz-th"},
	{who: "deputy", scope: "deputy@gz-th-court", inside: "gz-th-court-xs", outside: "gz-th-ga", root: "gz-th-court", ancestor: "gz-th"},
	{who: "handler", scope: "handler@gz-th-court", inside: "gz-th-court-ms", outside: "gz-th-ga", root: "gz-th-court", ancestor: "gz-th"},
	{who: "officer", scope: "officer@gz-th-court", inside: "gz-th-court-ms", outside: "sz-ft-court-xs", root: "gz-th-court", ancestor: "gz-th"},
	{who: "inspector", scope: "inspector@gz (sits in gz-th-court)", inside: "gz-th-ga-xz", outside: "sz-ft-court-xs", root: "gz", ancestor: "gd"},
	{who: "discipline", scope: "discipline@gz-th (sits in gz-th-court)", inside: "gz-th-court-ms", outside: "gz-yx-jcy", root: "gz-th", ancestor: "gz"},
	{who: "multi", scope: "leader@gz-th-court + discipline@gz", inside: "gz-yx-jcy", outside: "sz-ft", root: "gz", ancestor: "gd"},
}

// policyMatrix is the authorization policy: for each principal and action, the
// decision of org.Can for a target inside the scope, outside it, at the scope's
// root and in an ancestor unit ('Y' allowed, 'N' refused, '-' no such target).
// docs/authorization.md shows the same table.
var policyMatrix = []struct {
	who    string
	action org.Action
	want   string // inside, outside, root, ancestor
}{
	{"admin", org.UnitRead, "Y-Y-"},
	{"admin", org.UnitWrite, "Y-Y-"},
	{"admin", org.UserRead, "Y-Y-"},
	{"admin", org.UserWrite, "Y-Y-"},
	{"admin", org.AuditRead, "Y-Y-"},
	{"admin", org.AdminWrite, "Y-Y-"},
	{"admin", org.ProblemRead, "N-N-"},
	{"admin", org.ProblemWrite, "N-N-"},
	{"admin", org.ProblemVerify, "N-N-"},
	{"admin", org.ProblemSupervise, "N-N-"},
	{"admin", org.ProblemDecide, "N-N-"},
	{"admin", org.ClueRead, "N-N-"},
	{"admin", org.ClueHandle, "N-N-"},
	{"admin", org.ClueReveal, "N-N-"},

	{"cityadmin", org.UnitRead, "YNYN"},
	{"cityadmin", org.UnitWrite, "YNYN"},
	{"cityadmin", org.UserRead, "YNYN"},
	{"cityadmin", org.UserWrite, "YNYN"},
	{"cityadmin", org.AuditRead, "YNYN"},
	{"cityadmin", org.AdminWrite, "YNYN"},
	{"cityadmin", org.ProblemRead, "NNNN"},
	{"cityadmin", org.ProblemWrite, "NNNN"},
	{"cityadmin", org.ProblemVerify, "NNNN"},
	{"cityadmin", org.ProblemSupervise, "NNNN"},
	{"cityadmin", org.ProblemDecide, "NNNN"},
	{"cityadmin", org.ClueRead, "NNNN"},
	{"cityadmin", org.ClueHandle, "NNNN"},
	{"cityadmin", org.ClueReveal, "NNNN"},

	{"leader", org.UnitRead, "YNYN"},
	{"leader", org.UnitWrite, "NNNN"},
	{"leader", org.UserRead, "YNYN"},
	{"leader", org.UserWrite, "NNNN"},
	{"leader", org.AuditRead, "NNNN"},
	{"leader", org.AdminWrite, "NNNN"},
	{"leader", org.ProblemRead, "YNYN"},
	{"leader", org.ProblemWrite, "YNYN"},
	{"leader", org.ProblemVerify, "NNNN"},
	{"leader", org.ProblemSupervise, "NNNN"},
	{"leader", org.ProblemDecide, "YNYN"},
	{"leader", org.ClueRead, "NNNN"},
	{"leader", org.ClueHandle, "NNNN"},
	{"leader", org.ClueReveal, "NNNN"},

	{"deputy", org.UnitRead, "YNYN"},
	{"deputy", org.UnitWrite, "NNNN"},
	{"deputy", org.UserRead, "YNYN"},
	{"deputy", org.UserWrite, "NNNN"},
	{"deputy", org.AuditRead, "NNNN"},
	{"deputy", org.AdminWrite, "NNNN"},
	{"deputy", org.ProblemRead, "YNYN"},
	{"deputy", org.ProblemWrite, "YNYN"},
	{"deputy", org.ProblemVerify, "NNNN"},
	{"deputy", org.ProblemSupervise, "NNNN"},
	{"deputy", org.ProblemDecide, "YNYN"},
	{"deputy", org.ClueRead, "NNNN"},
	{"deputy", org.ClueHandle, "NNNN"},
	{"deputy", org.ClueReveal, "NNNN"},

	{"handler", org.UnitRead, "YNYN"},
	{"handler", org.UnitWrite, "NNNN"},
	{"handler", org.UserRead, "YNYN"},
	{"handler", org.UserWrite, "NNNN"},
	{"handler", org.AuditRead, "NNNN"},
	{"handler", org.AdminWrite, "NNNN"},
	{"handler", org.ProblemRead, "YNYN"},
	{"handler", org.ProblemWrite, "YNYN"},
	{"handler", org.ProblemVerify, "NNNN"},
	{"handler", org.ProblemSupervise, "NNNN"},
	{"handler", org.ProblemDecide, "NNNN"},
	{"handler", org.ClueRead, "NNNN"},
	{"handler", org.ClueHandle, "NNNN"},
	{"handler", org.ClueReveal, "NNNN"},

	{"officer", org.UnitRead, "YNYN"},
	{"officer", org.UnitWrite, "NNNN"},
	{"officer", org.UserRead, "YNYN"},
	{"officer", org.UserWrite, "NNNN"},
	{"officer", org.AuditRead, "NNNN"},
	{"officer", org.AdminWrite, "NNNN"},
	{"officer", org.ProblemRead, "NNNN"},
	{"officer", org.ProblemWrite, "NNNN"},
	{"officer", org.ProblemVerify, "NNNN"},
	{"officer", org.ProblemSupervise, "NNNN"},
	{"officer", org.ProblemDecide, "NNNN"},
	{"officer", org.ClueRead, "NNNN"},
	{"officer", org.ClueHandle, "NNNN"},
	{"officer", org.ClueReveal, "NNNN"},

	{"inspector", org.UnitRead, "YNYN"},
	{"inspector", org.UnitWrite, "NNNN"},
	{"inspector", org.UserRead, "YNYN"},
	{"inspector", org.UserWrite, "NNNN"},
	{"inspector", org.AuditRead, "YNYN"},
	{"inspector", org.AdminWrite, "NNNN"},
	{"inspector", org.ProblemRead, "YNYN"},
	{"inspector", org.ProblemWrite, "YNYN"},
	{"inspector", org.ProblemVerify, "YNYN"},
	{"inspector", org.ProblemSupervise, "YNYN"},
	{"inspector", org.ProblemDecide, "NNNN"},
	{"inspector", org.ClueRead, "NNNN"},
	{"inspector", org.ClueHandle, "NNNN"},
	{"inspector", org.ClueReveal, "NNNN"},

	{"discipline", org.UnitRead, "YNYN"},
	{"discipline", org.UnitWrite, "NNNN"},
	{"discipline", org.UserRead, "YNYN"},
	{"discipline", org.UserWrite, "NNNN"},
	{"discipline", org.AuditRead, "YNYN"},
	{"discipline", org.AdminWrite, "NNNN"},
	{"discipline", org.ProblemRead, "YNYN"},
	{"discipline", org.ProblemWrite, "NNNN"},
	{"discipline", org.ProblemVerify, "NNNN"},
	{"discipline", org.ProblemSupervise, "NNNN"},
	{"discipline", org.ProblemDecide, "NNNN"},
	{"discipline", org.ClueRead, "YNYN"},
	{"discipline", org.ClueHandle, "YNYN"},
	{"discipline", org.ClueReveal, "YNYN"},

	{"multi", org.UnitRead, "YNYN"},
	{"multi", org.UnitWrite, "NNNN"},
	{"multi", org.UserRead, "YNYN"},
	{"multi", org.UserWrite, "NNNN"},
	{"multi", org.AuditRead, "YNYN"}, // from discipline@gz; leader alone has no audit.read
	{"multi", org.AdminWrite, "NNNN"},
	{"multi", org.ProblemRead, "YNYN"},
	{"multi", org.ProblemWrite, "NNNN"}, // leader@gz-th-court does not reach the targets,
	{"multi", org.ProblemVerify, "NNNN"},
	{"multi", org.ProblemSupervise, "NNNN"},
	{"multi", org.ProblemDecide, "NNNN"},
	{"multi", org.ClueRead, "YNYN"},
	{"multi", org.ClueHandle, "YNYN"},
	{"multi", org.ClueReveal, "YNYN"},
}

// rootAdmins lists who may change deployment-wide settings (org.IsRootAdmin).
var rootAdmins = map[string]bool{"admin": true}

func caseOf(who string) matrixCase {
	for _, c := range matrixCases {
		if c.who == who {
			return c
		}
	}
	panic("no case " + who)
}

func (c matrixCase) targets() [4]string { return [4]string{c.inside, c.outside, c.root, c.ancestor} }

var targetKinds = [4]string{"inside", "outside", "root", "ancestor"}

// TestPolicyMatrixComplete checks that the table covers every principal × action once.
func TestPolicyMatrixComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range policyMatrix {
		k := r.who + "/" + string(r.action)
		if seen[k] {
			t.Errorf("duplicate row %s", k)
		}
		seen[k] = true
		c := caseOf(r.who)
		for i, tg := range c.targets() {
			if (tg == "") != (r.want[i] == '-') {
				t.Errorf("%s: target %s is %q but the table says %c", k, targetKinds[i], tg, r.want[i])
			}
		}
	}
	for _, c := range matrixCases {
		for _, a := range org.Actions {
			if !seen[c.who+"/"+string(a)] {
				t.Errorf("missing row %s/%s", c.who, a)
			}
		}
	}
}

// TestCanPure covers the decision on hand-made principals: path prefixes are
// whole path segments, empty and missing scopes reach nothing.
func TestCanPure(t *testing.T) {
	court := &org.Principal{UserID: 5, Grants: []org.Grant{{Role: org.RoleLeader, ScopePath: "/1/7/"}}}
	for _, tc := range []struct {
		name string
		p    *org.Principal
		a    org.Action
		path string
		want bool
	}{
		{"own unit", court, org.UnitRead, "/1/7/", true},
		{"below", court, org.UnitRead, "/1/7/42/", true},
		{"sibling sharing a digit prefix", court, org.UnitRead, "/1/70/", false},
		{"parent", court, org.UnitRead, "/1/", false},
		{"empty target", court, org.UnitRead, "", false},
		{"action not in role", court, org.UnitWrite, "/1/7/", false},
		{"nil principal", nil, org.UnitRead, "/1/", false},
		{"no grants", &org.Principal{UserID: 9}, org.UnitRead, "/1/", false},
		{"grant with empty scope reaches nothing", &org.Principal{Grants: []org.Grant{{Role: org.RoleAdmin}}}, org.UnitRead, "/1/", false},
		{"unknown action", court, org.Action("case.delete"), "/1/7/", false},
		{"system root", setup, org.AdminWrite, "/1/2/3/", true},
	} {
		if got := org.Can(tc.p, tc.a, tc.path); got != tc.want {
			t.Errorf("%s: Can(%s, %s) = %v, want %v", tc.name, tc.a, tc.path, got, tc.want)
		}
	}

	multi := &org.Principal{Grants: []org.Grant{
		{Role: org.RoleLeader, ScopePath: "/1/7/42/"},
		{Role: org.RoleDiscipline, ScopePath: "/1/7/"},
		{Role: org.RoleOfficer, ScopePath: "/1/9/"},
		{Role: org.RoleInspector, ScopePath: "/1/70/"},
	}}
	if got, want := org.ScopePaths(multi, org.UnitRead), []string{"/1/7/", "/1/70/", "/1/9/"}; !slices.Equal(got, want) {
		t.Errorf("ScopePaths(unit.read) = %v, want %v (nested scopes folded, segment prefixes kept)", got, want)
	}
	if got, want := org.ScopePaths(multi, org.AuditRead), []string{"/1/7/", "/1/70/"}; !slices.Equal(got, want) {
		t.Errorf("ScopePaths(audit.read) = %v, want %v", got, want)
	}
	if org.ScopePaths(multi, org.UnitWrite) != nil || org.CanAnywhere(multi, org.UserWrite) || !org.CanAnywhere(multi, org.AuditRead) {
		t.Error("write scopes for a principal without admin")
	}

	for _, tc := range []struct {
		name string
		p    *org.Principal
		want bool
	}{
		{"nil", nil, false},
		{"system", setup, true},
		{"admin at the top unit", &org.Principal{Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/1/"}}}, true},
		{"admin lower down", &org.Principal{Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/1/2/"}}}, false},
		{"inspector at the top", &org.Principal{Grants: []org.Grant{{Role: org.RoleInspector, ScopePath: "/1/"}}}, false},
		{"several roles, one root admin", &org.Principal{Grants: []org.Grant{{Role: org.RoleLeader, ScopePath: "/1/2/"}, {Role: org.RoleAdmin, ScopePath: "/1/"}}}, true},
	} {
		if got := org.IsRootAdmin(tc.p); got != tc.want {
			t.Errorf("IsRootAdmin(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAuthorizationMatrix runs the policy table against principals loaded from
// the database, then through every capability, so what the database returns
// agrees with Can.
func TestAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		for _, r := range policyMatrix {
			p := principal(t, db, r.who)
			for i, code := range caseOf(r.who).targets() {
				if code == "" {
					continue
				}
				if got := org.Can(p, r.action, unitPath(t, db, code)); got != (r.want[i] == 'Y') {
					t.Errorf("Can(%s, %s, %s %s) = %v, want %c", r.who, r.action, targetKinds[i], code, got, r.want[i])
				}
			}
		}
		for _, c := range matrixCases {
			if got := org.IsRootAdmin(principal(t, db, c.who)); got != rootAdmins[c.who] {
				t.Errorf("IsRootAdmin(%s) = %v", c.who, got)
			}
		}

		t.Run("lists", func(t *testing.T) {
			for _, c := range matrixCases {
				p := principal(t, db, c.who)
				checkLists(t, db, p)
			}
		})
		t.Run("capabilities", func(t *testing.T) {
			for _, c := range matrixCases {
				for i, code := range c.targets() {
					if code == "" {
						continue
					}
					t.Run(c.who+"/"+targetKinds[i], func(t *testing.T) {
						checkCapabilities(t, db, principal(t, db, c.who), code)
					})
				}
			}
		})
	})
}

// checkLists compares ListUnits and ListUsers with Can over the whole database.
func checkLists(t *testing.T, db *store.DB, p *org.Principal) {
	t.Helper()
	var wantUnits, wantUsers []string
	rows, err := db.Read.Query(`SELECT code, path FROM units ORDER BY path`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code, path string
		rows.Scan(&code, &path)
		if org.Can(p, org.UnitRead, path) {
			wantUnits = append(wantUnits, code)
		}
	}
	rows.Close()
	rows, err = db.Read.Query(`SELECT u.username, un.path FROM users u JOIN units un ON un.id = u.unit_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, path string
		rows.Scan(&name, &path)
		if org.Can(p, org.UserRead, path) {
			wantUsers = append(wantUsers, name)
		}
	}
	rows.Close()

	units, total, err := org.ListUnits(ctx, db, p, org.UnitFilter{Limit: 500, IncludeClosed: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range units {
		got = append(got, u.Code)
	}
	if !slices.Equal(got, wantUnits) || total != len(wantUnits) {
		t.Errorf("%s ListUnits = %v (total %d), want %v", p.Username, got, total, wantUnits)
	}
	// a page smaller than the result still counts exactly the visible rows
	if len(wantUnits) > 2 {
		page, total, err := org.ListUnits(ctx, db, p, org.UnitFilter{Limit: 2, Offset: 1, IncludeClosed: true})
		if err != nil || len(page) != 2 || total != len(wantUnits) || page[0].Code != wantUnits[1] {
			t.Errorf("%s ListUnits page = %v total %d err %v", p.Username, page, total, err)
		}
	}
	// a name search never reaches outside the scope: 刑事审判庭 exists in both cities
	units, total, err = org.ListUnits(ctx, db, p, org.UnitFilter{Q: "刑事", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != total {
		t.Errorf("%s search: %d rows, total %d", p.Username, len(units), total)
	}
	for _, u := range units {
		if !org.Can(p, org.UnitRead, u.Path) {
			t.Errorf("%s search returned out-of-scope %s", p.Username, u.Code)
		}
	}

	users, total, err := org.ListUsers(ctx, db, p, org.UserFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, u := range users {
		got = append(got, u.Username)
	}
	slices.Sort(got)
	slices.Sort(wantUsers)
	if !slices.Equal(got, wantUsers) || total != len(wantUsers) {
		t.Errorf("%s ListUsers = %v (total %d), want %v", p.Username, got, total, wantUsers)
	}
	// role filter and search stay inside the scope too
	for _, f := range []org.UserFilter{{Role: "officer", Limit: 500}, {Q: "p-", Limit: 500}, {Q: "管理员", Limit: 500}} {
		users, total, err := org.ListUsers(ctx, db, p, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != total {
			t.Errorf("%s ListUsers %+v: %d rows, total %d", p.Username, f, len(users), total)
		}
		for _, u := range users {
			if !org.Can(p, org.UserRead, u.UnitPath) {
				t.Errorf("%s ListUsers %+v returned out-of-scope %s", p.Username, f, u.Username)
			}
		}
	}
}

var seq int

// checkCapabilities calls every capability on the unit code (and on the
// officer p-<code> who works there) and compares the outcome with Can.
func checkCapabilities(t *testing.T, db *store.DB, p *org.Principal, code string) {
	u, err := org.UnitByCode(ctx, db.Read, code)
	if err != nil {
		t.Fatal(err)
	}
	read, write := org.Can(p, org.UnitRead, u.Path), org.Can(p, org.UnitWrite, u.Path)
	uread, uwrite := org.Can(p, org.UserRead, u.Path), org.Can(p, org.UserWrite, u.Path)
	seq++
	n := fmt.Sprint(seq)

	// denied: an unreadable target is not found, a readable one forbidden
	denied := func(what string, err error, readable bool) {
		t.Helper()
		if readable {
			wantKind(t, err, apperr.Forbidden, "")
		} else if !isNotFound(err) {
			t.Fatalf("%s: want not found, got %v", what, err)
		}
	}
	// a unit named in an input field and out of reach answers like a code that does not exist
	unknownRef := func(err error, field string) {
		t.Helper()
		ae := apperr.As(err)
		if ae == nil || ae.Key != "err.unit.parent_not_found" || ae.Field != field {
			t.Fatalf("want %s not found, got %v", field, err)
		}
	}

	mark := auditMark(t, db)
	_, err = org.GetUnit(ctx, db, p, code)
	if read != (err == nil) || (!read && !isNotFound(err)) {
		t.Errorf("GetUnit read=%v err=%v", read, err)
	}
	_, err = org.GetUser(ctx, db, p, "p-"+code)
	if uread != (err == nil) || (!uread && !isNotFound(err)) {
		t.Errorf("GetUser read=%v err=%v", uread, err)
	}
	for _, f := range []func() error{
		func() error { _, _, err := org.ListUnits(ctx, db, p, org.UnitFilter{ParentCode: code}); return err },
		func() error { _, _, err := org.ListUsers(ctx, db, p, org.UserFilter{UnitCode: code}); return err },
	} {
		if err := f(); read != (err == nil) || (!read && !isNotFound(err)) {
			t.Errorf("list below %s: read=%v err=%v", code, read, err)
		}
	}
	// Under an ancestor of one's scope shows the visible part; elsewhere it is not found
	list, total, err := org.ListUnits(ctx, db, p, org.UnitFilter{Under: code, Limit: 500})
	if err == nil {
		for _, x := range list {
			if !org.Can(p, org.UnitRead, x.Path) {
				t.Errorf("Under %s returned %s", code, x.Code)
			}
		}
		if total != len(list) {
			t.Errorf("Under %s: total %d for %d rows", code, total, len(list))
		}
	} else if read || !isNotFound(err) {
		t.Errorf("Under %s: %v", code, err)
	}
	wantAudit(t, db, mark) // reads change nothing

	// writes on the unit
	created, err := org.CreateUnit(ctx, db, p, org.UnitInput{Code: "new-" + n, Name: "新单位", ParentCode: code})
	switch {
	case write:
		if err != nil || created.Path != u.Path+fmt.Sprint(created.ID)+"/" {
			t.Errorf("CreateUnit below %s: %+v %v", code, created, err)
		}
	case read:
		wantKind(t, err, apperr.Forbidden, "")
	default:
		unknownRef(err, "parent_code")
	}
	if _, err := org.RenameUnit(ctx, db, p, code, u.Name); write != (err == nil) {
		t.Errorf("RenameUnit write=%v err=%v", write, err)
	} else if !write {
		denied("RenameUnit", err, read)
	}
	_, err = org.MoveUnit(ctx, db, p, code, u.ParentCode)
	switch {
	case u.ParentCode == "": // the top unit has nowhere to go: refused before any lookup
		wantKind(t, err, apperr.Invalid, "err.unit.parent_required")
	case !write:
		denied("MoveUnit", err, read)
	default:
		parent := unitPath(t, db, u.ParentCode)
		switch {
		case org.Can(p, org.UnitWrite, parent):
			if err != nil {
				t.Errorf("MoveUnit to own parent: %v", err)
			}
		case org.Can(p, org.UnitRead, parent):
			wantKind(t, err, apperr.Forbidden, "")
		default:
			unknownRef(err, "parent_code")
		}
	}
	_, err = org.CloseUnit(ctx, db, p, code)
	if write {
		wantKind(t, err, apperr.Conflict, "") // every unit has a person (and the top unit never closes)
	} else {
		denied("CloseUnit", err, read)
	}

	// writes on people
	_, err = org.CreateUser(ctx, db, p, org.UserInput{Username: "new-" + n, Name: "新人", UnitCode: code,
		Roles: []org.RoleGrant{{Role: "officer"}}, Password: pw})
	switch {
	case uwrite:
		if err != nil {
			t.Errorf("CreateUser in %s: %v", code, err)
		}
	case read:
		wantKind(t, err, apperr.Forbidden, "")
	default:
		unknownRef(err, "unit_code")
	}
	name := "人员" + code
	if _, err := org.UpdateUser(ctx, db, p, "p-"+code, org.UserPatch{Name: &name}); uwrite != (err == nil) {
		t.Errorf("UpdateUser write=%v err=%v", uwrite, err)
	} else if !uwrite {
		denied("UpdateUser", err, uread)
	}
	if err := org.ResetPassword(ctx, db, p, "p-"+code, "reset-pass-1"); uwrite != (err == nil) {
		t.Errorf("ResetPassword write=%v err=%v", uwrite, err)
	} else if !uwrite {
		denied("ResetPassword", err, uread)
	}

	// what was allowed is audited in order; what was refused left nothing
	var want []ev
	if write {
		want = append(want, ev{"unit.create", "new-" + n, p.Username}, ev{"unit.rename", code, p.Username})
	}
	if uwrite {
		want = append(want, ev{"user.create", "new-" + n, p.Username}, ev{"user.password_reset", "p-" + code, p.Username})
	}
	wantAudit(t, db, mark, want...)
}
