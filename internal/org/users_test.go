package org_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func userCount(t *testing.T, db *store.DB) int {
	t.Helper()
	n, err := org.CountUsers(ctx, db.Read)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func grantsOf(t *testing.T, db *store.DB, username string) []string {
	t.Helper()
	var out []string
	for _, g := range principal(t, db, username).Grants {
		out = append(out, string(g.Role)+"@"+g.ScopeCode)
	}
	slices.Sort(out)
	return out
}

func TestCreateUserValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		// an admin of 广州 who also inspects the whole province: reads everything, writes only 广州
		if _, err := org.CreateUser(ctx, db, setup, org.UserInput{Username: "cityadmin2", Name: "市管理员二", UnitCode: "gz",
			Roles: []org.RoleGrant{{Role: "admin"}, {Role: "inspector", ScopeCode: "gd"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		city, city2 := principal(t, db, "cityadmin"), principal(t, db, "cityadmin2")
		insp := principal(t, db, "inspector")
		before := userCount(t, db)
		mark := auditMark(t, db)
		ok := org.UserInput{Username: "zhangsan", Name: "张三", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "officer"}}, Password: pw}
		with := func(f func(*org.UserInput)) org.UserInput {
			in := ok
			in.Roles = slices.Clone(ok.Roles)
			f(&in)
			return in
		}
		for _, tc := range []struct {
			name  string
			p     *org.Principal
			in    org.UserInput
			kind  apperr.Kind
			key   string
			field string
		}{
			{"empty username", city, with(func(in *org.UserInput) { in.Username = " " }), apperr.Invalid, "err.user.username_required", "username"},
			{"username with a space", city, with(func(in *org.UserInput) { in.Username = "zhang san" }), apperr.Invalid, "err.user.username_format", "username"},
			{"one-letter username", city, with(func(in *org.UserInput) { in.Username = "z" }), apperr.Invalid, "err.user.username_format", "username"},
			{"Chinese username", city, with(func(in *org.UserInput) { in.Username = "张三" }), apperr.Invalid, "err.user.username_format", "username"},
			{"username starting with a dot", city, with(func(in *org.UserInput) { in.Username = ".zs" }), apperr.Invalid, "err.user.username_format", "username"},
			{"username of 33 characters", city, with(func(in *org.UserInput) { in.Username = strings.Repeat("z", 33) }), apperr.Invalid, "err.user.username_format", "username"},
			{"username taken", city, with(func(in *org.UserInput) { in.Username = "LEADER" }), apperr.Conflict, "err.user.username_taken", "username"},
			{"empty name", city, with(func(in *org.UserInput) { in.Name = "  " }), apperr.Invalid, "err.user.name_required", "name"},
			{"name of 51 characters", city, with(func(in *org.UserInput) { in.Name = strings.Repeat("张", 51) }), apperr.Invalid, "err.user.name_too_long", "name"},
			{"name with a newline", city, with(func(in *org.UserInput) { in.Name = "张\n三" }), apperr.Invalid, "err.user.name_control", "name"},
			{"password of 7 characters", city, with(func(in *org.UserInput) { in.Password = "short-7" }), apperr.Invalid, "err.password.too_short", "password"},
			{"password of 129 characters", city, with(func(in *org.UserInput) { in.Password = strings.Repeat("p", 129) }), apperr.Invalid, "err.password.too_long", "password"},
			{"password equal to the username", city, with(func(in *org.UserInput) { in.Password = "ZhangSan" }), apperr.Invalid, "err.password.is_username", "password"},
			{"no roles", city, with(func(in *org.UserInput) { in.Roles = nil }), apperr.Invalid, "err.user.roles_required", "roles"},
			{"unknown role", city, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "judge"}} }), apperr.Invalid, "err.role.unknown", "roles"},
			{"duplicate role", city, with(func(in *org.UserInput) {
				in.Roles = []org.RoleGrant{{Role: "officer"}, {Role: "officer", ScopeCode: "gz-th-court"}}
			}), apperr.Invalid, "err.role.duplicate", "roles"},
			{"narrow role over a wider scope", city, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "leader", ScopeCode: "gz-th"}} }), apperr.Invalid, "err.role.scope_not_allowed", "roles"},
			{"narrow role over another unit", city, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "handler", ScopeCode: "gz-th-ga"}} }), apperr.Invalid, "err.role.scope_not_allowed", "roles"},
			{"scope outside what one sees", city, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "inspector", ScopeCode: "sz"}} }), apperr.Invalid, "err.unit.parent_not_found", "roles"},
			{"scope that does not exist", city, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "inspector", ScopeCode: "nowhere"}} }), apperr.Invalid, "err.unit.parent_not_found", "roles"},
			{"granting beyond one's reach", city2, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "inspector", ScopeCode: "gd"}} }), apperr.Forbidden, "err.role.beyond_reach", "roles"},
			{"admin beyond one's reach", city2, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "admin", ScopeCode: "gd"}} }), apperr.Forbidden, "err.role.beyond_reach", "roles"},
			{"admin granted by a non-admin", insp, with(func(in *org.UserInput) { in.Roles = []org.RoleGrant{{Role: "admin"}} }), apperr.Forbidden, "err.forbidden", ""},
			{"unit that does not exist", city, with(func(in *org.UserInput) { in.UnitCode = "nowhere" }), apperr.Invalid, "err.unit.parent_not_found", "unit_code"},
			{"unit outside the scope", city, with(func(in *org.UserInput) { in.UnitCode = "sz-ft-court" }), apperr.Invalid, "err.unit.parent_not_found", "unit_code"},
			{"unit visible but not writable", city2, with(func(in *org.UserInput) { in.UnitCode = "sz-ft-court" }), apperr.Forbidden, "err.forbidden", ""},
		} {
			_, err := org.CreateUser(ctx, db, tc.p, tc.in)
			if ae := apperr.As(err); ae == nil || ae.Kind != tc.kind || ae.Key != tc.key || ae.Field != tc.field {
				t.Errorf("%s: got %v, want %s on %q", tc.name, err, tc.key, tc.field)
			}
		}
		if n := userCount(t, db); n != before {
			t.Errorf("failed creations wrote %d users", n-before)
		}
		wantAudit(t, db, mark)

		// valid: the username is normalised, an inspector may watch a wider unit
		u, err := org.CreateUser(ctx, db, city, org.UserInput{Username: " Zhang.San ", Name: " 张三 ", UnitCode: "gz-th-court",
			Roles: []org.RoleGrant{{Role: "inspector", ScopeCode: "gz"}, {Role: "officer"}}, Password: "密码密码密码密码"})
		if err != nil || u.Username != "zhang.san" || u.Name != "张三" || len(u.Roles) != 2 {
			t.Fatalf("create: %+v %v", u, err)
		}
		if got := grantsOf(t, db, "zhang.san"); !slices.Equal(got, []string{"inspector@gz", "officer@gz-th-court"}) {
			t.Errorf("grants: %v", got)
		}
		// the password is stored hashed, never as given
		var hash string
		db.Read.QueryRow(`SELECT password_hash FROM users WHERE username = 'zhang.san'`).Scan(&hash)
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "密码") {
			t.Errorf("stored password: %q", hash)
		}
		wantAudit(t, db, mark, ev{"user.create", "zhang.san", "cityadmin"})
	})
}

func TestUpdateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		admin, city := principal(t, db, "admin"), principal(t, db, "cityadmin")
		if _, err := org.CreateUser(ctx, db, city, org.UserInput{Username: "mover", Name: "调动人", UnitCode: "gz-th-court",
			Roles: []org.RoleGrant{{Role: "leader"}, {Role: "inspector", ScopeCode: "gz-th"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		mark := auditMark(t, db)

		// moving a person re-anchors the grants that followed their unit; wider grants stay
		to := "gz-yx-jcy"
		u, err := org.UpdateUser(ctx, db, city, "mover", org.UserPatch{UnitCode: &to})
		if err != nil || u.UnitCode != to {
			t.Fatalf("move: %+v %v", u, err)
		}
		if got := grantsOf(t, db, "mover"); !slices.Equal(got, []string{"inspector@gz-th", "leader@gz-yx-jcy"}) {
			t.Errorf("grants after the move: %v", got)
		}
		p := principal(t, db, "mover")
		if p.UnitCode != to || !org.Can(p, org.UnitRead, unitPath(t, db, "gz-yx-jcy")) || org.Can(p, org.UnitRead, unitPath(t, db, "gz-yx")) {
			t.Errorf("principal after the move: %+v", p)
		}
		// new roles and a new name in one change
		name := "调动人（新）"
		roles := []org.RoleGrant{{Role: "handler"}, {Role: "discipline", ScopeCode: "gz"}}
		if _, err := org.UpdateUser(ctx, db, city, "mover", org.UserPatch{Name: &name, Roles: &roles}); err != nil {
			t.Fatal(err)
		}
		if got := grantsOf(t, db, "mover"); !slices.Equal(got, []string{"discipline@gz", "handler@gz-yx-jcy"}) {
			t.Errorf("grants after the change: %v", got)
		}
		// nothing changed: no entry
		if _, err := org.UpdateUser(ctx, db, city, "mover", org.UserPatch{Name: &name}); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, ev{"user.update", "mover", "cityadmin"}, ev{"user.update", "mover", "cityadmin"})

		// refused changes write nothing
		mark = auditMark(t, db)
		bad, far, closedTo, empty := "甲\x00", "sz-ft", "nowhere", ""
		narrow := []org.RoleGrant{{Role: "officer", ScopeCode: "gz"}}
		for _, tc := range []struct {
			name  string
			p     *org.Principal
			user  string
			patch org.UserPatch
			kind  apperr.Kind
			key   string
		}{
			{"bad name", city, "mover", org.UserPatch{Name: &bad}, apperr.Invalid, "err.user.name_control"},
			{"empty name", city, "mover", org.UserPatch{Name: &empty}, apperr.Invalid, "err.user.name_required"},
			{"unit out of scope", city, "mover", org.UserPatch{UnitCode: &far}, apperr.Invalid, "err.unit.parent_not_found"},
			{"unknown unit", city, "mover", org.UserPatch{UnitCode: &closedTo}, apperr.Invalid, "err.unit.parent_not_found"},
			{"narrow role widened", city, "mover", org.UserPatch{Roles: &narrow}, apperr.Invalid, "err.role.scope_not_allowed"},
			{"person out of scope", city, "p-sz", org.UserPatch{Name: &name}, apperr.NotFound, "err.not_found"},
			{"unknown person", city, "nobody", org.UserPatch{Name: &name}, apperr.NotFound, "err.not_found"},
			{"reader only", principal(t, db, "inspector"), "mover", org.UserPatch{Name: &name}, apperr.Forbidden, "err.forbidden"},
		} {
			_, err := org.UpdateUser(ctx, db, tc.p, tc.user, tc.patch)
			if ae := apperr.As(err); ae == nil || ae.Kind != tc.kind || ae.Key != tc.key {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.key)
			}
		}
		// one cannot disable oneself or drop one's own admin role
		yes := true
		_, err = org.UpdateUser(ctx, db, city, "cityadmin", org.UserPatch{Disabled: &yes})
		wantKind(t, err, apperr.Conflict, "err.user.self_disable")
		officer := []org.RoleGrant{{Role: "officer"}}
		_, err = org.UpdateUser(ctx, db, city, "cityadmin", org.UserPatch{Roles: &officer})
		wantKind(t, err, apperr.Conflict, "err.user.self_admin")
		wantAudit(t, db, mark)
		if got := grantsOf(t, db, "cityadmin"); !slices.Equal(got, []string{"admin@gz"}) {
			t.Errorf("cityadmin grants: %v", got)
		}

		// disabling ends the sessions and revokes the tokens
		pol := auth.DefaultPolicy
		res, err := auth.Login(ctx, db, pol, "mover", pw)
		if err != nil {
			t.Fatal(err)
		}
		mp := principal(t, db, "mover")
		tok, _, err := auth.CreateToken(ctx, db, mp, "mover", "集成")
		if err != nil {
			t.Fatal(err)
		}
		mark = auditMark(t, db)
		u, err = org.UpdateUser(ctx, db, city, "mover", org.UserPatch{Disabled: &yes})
		if err != nil || !u.Disabled {
			t.Fatalf("disable: %+v %v", u, err)
		}
		if _, err := auth.Authenticate(ctx, db, pol, res.Token); err == nil {
			t.Error("session survived disabling")
		}
		if _, _, err := auth.AuthenticateToken(ctx, db, tok); err == nil {
			t.Error("token survived disabling")
		}
		var revoked int
		db.Read.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL AND user_id = $1`, mp.UserID).Scan(&revoked)
		if revoked != 1 {
			t.Errorf("revoked tokens: %d", revoked)
		}
		if _, err := org.LoadPrincipal(ctx, db.Read, mp.UserID); err == nil {
			t.Error("a disabled person still has a principal")
		}
		if _, err := auth.Login(ctx, db, pol, "mover", pw); err == nil {
			t.Error("a disabled person signed in")
		}
		no := false
		if u, err := org.UpdateUser(ctx, db, city, "mover", org.UserPatch{Disabled: &no}); err != nil || u.Disabled {
			t.Fatalf("enable: %+v %v", u, err)
		}
		if _, _, err := auth.AuthenticateToken(ctx, db, tok); err == nil {
			t.Error("a revoked token came back with the person")
		}
		wantAudit(t, db, mark, ev{"user.update", "mover", "cityadmin"}, ev{"auth.login_failed", "mover", "mover"},
			ev{"user.update", "mover", "cityadmin"})

		// a person holding a grant wider than the changer's reach cannot be changed by them:
		// resetting their password would hand over the wider grant
		if _, err := org.CreateUser(ctx, db, setup, org.UserInput{Username: "boss", Name: "省督察长", UnitCode: "gz",
			Roles: []org.RoleGrant{{Role: "inspector", ScopeCode: "gd"}}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		mark = auditMark(t, db)
		if _, err := org.GetUser(ctx, db, city, "boss"); err != nil {
			t.Errorf("the city admin reads the people of the city: %v", err)
		}
		wantKind(t, org.ResetPassword(ctx, db, city, "boss", "taken-over-1"), apperr.Forbidden, "")
		_, err = org.UpdateUser(ctx, db, city, "boss", org.UserPatch{Disabled: &yes})
		wantKind(t, err, apperr.Forbidden, "")
		wantKind(t, auth.DisableTOTP(ctx, db, city, "boss"), apperr.Forbidden, "")
		wantAudit(t, db, mark)
		if err := org.ResetPassword(ctx, db, admin, "boss", "reset-by-root-1"); err != nil {
			t.Errorf("root admin reset: %v", err)
		}
	})
}

func TestResetPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		city := principal(t, db, "cityadmin")
		pol := auth.DefaultPolicy
		res, err := auth.Login(ctx, db, pol, "officer", pw)
		if err != nil {
			t.Fatal(err)
		}
		// two failures on record, to see them cleared
		auth.Login(ctx, db, pol, "officer", "wrong-password")
		auth.Login(ctx, db, pol, "officer", "wrong-password")
		mark := auditMark(t, db)
		for _, bad := range []string{"short", "officer", strings.Repeat("x", 129)} {
			wantKind(t, org.ResetPassword(ctx, db, city, "officer", bad), apperr.Invalid, "")
		}
		if err := org.ResetPassword(ctx, db, city, "nobody", "new-password-1"); !isNotFound(err) {
			t.Errorf("unknown person: %v", err)
		}
		wantAudit(t, db, mark)
		if err := org.ResetPassword(ctx, db, city, "officer", "new-password-1"); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, ev{"user.password_reset", "officer", "cityadmin"})
		if _, err := auth.Authenticate(ctx, db, pol, res.Token); err == nil {
			t.Error("session survived the reset")
		}
		var must, failures int
		db.Read.QueryRow(`SELECT must_change_pw, failed_logins FROM users WHERE username = 'officer'`).Scan(&must, &failures)
		if must != 1 || failures != 0 {
			t.Errorf("after reset: must_change_pw=%d failed_logins=%d", must, failures)
		}
		if _, err := auth.Login(ctx, db, pol, "officer", pw); err == nil {
			t.Error("the old password still works")
		}
		res, err = auth.Login(ctx, db, pol, "officer", "new-password-1")
		if err != nil {
			t.Fatal(err)
		}
		s, err := auth.Authenticate(ctx, db, pol, res.Token)
		if err != nil || !s.MustChangePW {
			t.Fatalf("must change the password: %+v %v", s, err)
		}
		p := principal(t, db, "officer")
		if err := auth.ChangePassword(ctx, db, p, s.ID, "new-password-1", "my-own-password"); err != nil {
			t.Fatal(err)
		}
		if s, err := auth.Authenticate(ctx, db, pol, res.Token); err != nil || s.MustChangePW {
			t.Errorf("after the change: %+v %v", s, err)
		}
	})
}
