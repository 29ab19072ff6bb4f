package org_test

import (
	"slices"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// The reads that serve every page view: the principal in one query, the
// breadcrumbs and the units of audit entries in one query each, lists that
// take an already loaded unit, and the 工作台 counts.
func TestPageReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)

		// the principal carries its unit's name, its grants and the second-factor flag
		m := principal(t, db, "multi")
		if m.UnitName != "天河区人民法院" || m.UnitCode != "gz-th-court" || m.TOTPEnabled || len(m.Grants) != 2 {
			t.Fatalf("principal %+v", m)
		}
		var roles []string
		for _, g := range m.Grants {
			if g.ScopeID == 0 || g.ScopePath == "" || g.ScopeCode == "" {
				t.Fatalf("grant %+v", g)
			}
			roles = append(roles, string(g.Role)+"@"+g.ScopeCode)
		}
		slices.Sort(roles)
		if !slices.Equal(roles, []string{"discipline@gz", "leader@gz-th-court"}) {
			t.Fatalf("grants %v", roles)
		}
		// a person without any grant still signs in (and reaches nothing)
		if _, err := db.Write.Exec(`DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE username = 'p-sz')`); err != nil {
			t.Fatal(err)
		}
		if p := principal(t, db, "p-sz"); len(p.Grants) != 0 || p.UnitName != "深圳市" || org.CanAnywhere(p, org.UnitRead) {
			t.Fatalf("principal without grants %+v", p)
		}
		if _, err := db.Write.Exec(`UPDATE users SET totp_enabled_at = 1 WHERE username = 'officer'`); err != nil {
			t.Fatal(err)
		}
		if p := principal(t, db, "officer"); !p.TOTPEnabled {
			t.Fatal("TOTPEnabled not loaded")
		}
		if _, err := org.LoadPrincipal(ctx, db.Read, 999999); apperr.As(err) == nil {
			t.Fatalf("unknown user: %v", err)
		}
		off := principal(t, db, "p-gz-yx")
		if _, err := org.UpdateUser(ctx, db, principal(t, db, "admin"), "p-gz-yx", org.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := org.LoadPrincipal(ctx, db.Read, off.UserID); apperr.As(err) == nil {
			t.Fatalf("disabled user: %v", err)
		}

		// breadcrumbs from the root down, in one query
		leaf, err := org.UnitByCode(ctx, db.Read, "gz-th-court-xs")
		if err != nil {
			t.Fatal(err)
		}
		crumbs, err := org.Ancestors(ctx, db, leaf)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, c := range crumbs {
			codes = append(codes, c.Code)
		}
		if !slices.Equal(codes, []string{"gd", "gz", "gz-th", "gz-th-court", "gz-th-court-xs"}) || crumbs[1].ParentCode != "gd" {
			t.Fatalf("crumbs %v", codes)
		}
		byID, err := org.UnitsByID(ctx, db.Read, []int64{leaf.ID, crumbs[0].ID, 999999})
		if err != nil || len(byID) != 2 || byID[leaf.ID].Name != "刑事审判庭" || byID[crumbs[0].ID].Code != "gd" {
			t.Fatalf("UnitsByID: %v %v", byID, err)
		}
		if none, err := org.UnitsByID(ctx, db.Read, nil); err != nil || len(none) != 0 {
			t.Fatalf("UnitsByID(nil): %v %v", none, err)
		}

		// a loaded unit gives the same lists as its code; outside the reader's scope it does not exist
		leader := principal(t, db, "leader")
		court, err := org.GetUnit(ctx, db, leader, "gz-th-court")
		if err != nil {
			t.Fatal(err)
		}
		kidsByCode, n1, err1 := org.ListUnits(ctx, db, leader, org.UnitFilter{ParentCode: "gz-th-court"})
		kids, n2, err2 := org.ListUnits(ctx, db, leader, org.UnitFilter{Parent: &court})
		if err1 != nil || err2 != nil || n1 != 2 || n2 != 2 || !slices.EqualFunc(kids, kidsByCode, func(a, b org.Unit) bool { return a == b }) {
			t.Fatalf("children: %v %d %v / %v %d %v", kidsByCode, n1, err1, kids, n2, err2)
		}
		peopleByCode, n1, err1 := org.ListUsers(ctx, db, leader, org.UserFilter{UnitCode: "gz-th-court"})
		people, n2, err2 := org.ListUsers(ctx, db, leader, org.UserFilter{Unit: &court})
		if err1 != nil || err2 != nil || n1 != n2 || n1 != 10 || len(people) != 10 {
			t.Fatalf("people: %d %v / %d %v", n1, err1, n2, err2)
		}
		for i := range people {
			a, b := people[i], peopleByCode[i]
			if a.Username != b.Username || !slices.Equal(a.Roles, b.Roles) {
				t.Fatalf("people differ at %d: %+v / %+v", i, a, b)
			}
		}
		sz, err := org.UnitByCode(ctx, db.Read, "sz")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := org.ListUnits(ctx, db, leader, org.UnitFilter{Parent: &sz}); !isNotFound(err) {
			t.Fatalf("children of a unit out of scope: %v", err)
		}
		if _, _, err := org.ListUsers(ctx, db, leader, org.UserFilter{Unit: &sz}); !isNotFound(err) {
			t.Fatalf("people of a unit out of scope: %v", err)
		}

		// people and their grants, in page order, grants by role
		multi, _, err := org.ListUsers(ctx, db, principal(t, db, "admin"), org.UserFilter{Q: "院长兼纪检"})
		if err != nil || len(multi) != 1 || len(multi[0].Roles) != 2 || multi[0].Roles[0] != (org.RoleGrant{Role: "discipline", ScopeCode: "gz"}) ||
			multi[0].Roles[1] != (org.RoleGrant{Role: "leader", ScopeCode: "gz-th-court"}) {
			t.Fatalf("grants of multi: %+v %v", multi, err)
		}
		page2, total, err := org.ListUsers(ctx, db, principal(t, db, "admin"), org.UserFilter{Offset: 3, Limit: 4})
		all, _, _ := org.ListUsers(ctx, db, principal(t, db, "admin"), org.UserFilter{Limit: 500})
		if err != nil || len(page2) != 4 || total != len(all) || page2[0].Username != all[3].Username || page2[3].Username != all[6].Username {
			t.Fatalf("second page: %d of %d, %v", len(page2), total, err)
		}
		if none, _, _ := org.ListUsers(ctx, db, principal(t, db, "p-sz"), org.UserFilter{}); len(none) != 0 {
			t.Fatalf("no reach, people %v", none)
		}

		// the 工作台 counts equal the list totals
		for _, name := range []string{"admin", "inspector", "leader", "officer", "multi", "p-sz"} {
			p := principal(t, db, name)
			_, wantUnits, err := org.ListUnits(ctx, db, p, org.UnitFilter{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, wantPeople, err := org.ListUsers(ctx, db, p, org.UserFilter{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			units, people, err := org.CountInScope(ctx, db, p)
			if err != nil || units != wantUnits || people != wantPeople {
				t.Fatalf("%s: counts %d/%d %v, lists say %d/%d", name, units, people, err, wantUnits, wantPeople)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

// Every change to units or people moves TreeVersion, failed attempts included
// (a cache dropped once too often costs one count).
func TestTreeVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		admin := principal(t, db, "admin")
		steps := []struct {
			name string
			do   func() error
		}{
			{"create unit", func() error {
				_, err := org.CreateUnit(ctx, db, admin, org.UnitInput{Code: "gz-new", Name: "新区", ParentCode: "gz"})
				return err
			}},
			{"import", func() error {
				_, err := org.ImportUnits(ctx, db, admin, []org.UnitInput{{Code: "gz-new2", Name: "新区二", ParentCode: "gz"}}, nil)
				return err
			}},
			{"move", func() error { _, err := org.MoveUnit(ctx, db, admin, "gz-new2", "gz-new"); return err }},
			{"create user", func() error {
				_, err := org.CreateUser(ctx, db, admin, org.UserInput{Username: "newbie", Name: "新人", UnitCode: "gz-new",
					Roles: []org.RoleGrant{{Role: "officer"}}, Password: pw})
				return err
			}},
			{"update user", func() error {
				_, err := org.UpdateUser(ctx, db, admin, "newbie", org.UserPatch{UnitCode: ptr("gz-new2")})
				return err
			}},
			{"close", func() error {
				if _, err := org.UpdateUser(ctx, db, admin, "newbie", org.UserPatch{UnitCode: ptr("gz")}); err != nil {
					return err
				}
				_, err := org.CloseUnit(ctx, db, admin, "gz-new2")
				return err
			}},
		}
		for _, s := range steps {
			v := org.TreeVersion()
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if org.TreeVersion() == v {
				t.Fatalf("%s: TreeVersion unchanged", s.name)
			}
		}
	})
}
