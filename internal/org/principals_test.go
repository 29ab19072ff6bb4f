package org_test

import (
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// The principal cache: a copy per caller, and a change made through this
// process (roles, unit, disabling, second factor) is seen by the next request.
func TestCachedPrincipal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		admin := principal(t, db, "admin")
		off := principal(t, db, "officer")
		a, err := org.CachedPrincipal(ctx, db, off.UserID)
		if err != nil {
			t.Fatal(err)
		}
		a.TokenID = 42 // the caller's copy
		b, err := org.CachedPrincipal(ctx, db, off.UserID)
		if err != nil || b.TokenID != 0 || b.Username != "officer" || len(b.Grants) != len(off.Grants) {
			t.Fatalf("second read %+v %v", b, err)
		}
		// a new grant shows at once
		if _, err := org.UpdateUser(ctx, db, admin, "officer", org.UserPatch{Roles: &[]org.RoleGrant{{Role: "officer"}, {Role: "handler"}}}); err != nil {
			t.Fatal(err)
		}
		if c, err := org.CachedPrincipal(ctx, db, off.UserID); err != nil || !c.Has(org.RoleHandler) {
			t.Fatalf("after the grant: %+v %v", c, err)
		}
		// the second-factor flag
		if _, err := db.Write.Exec(`UPDATE users SET totp_enabled_at = 1 WHERE id = $1`, off.UserID); err != nil {
			t.Fatal(err)
		}
		org.PrincipalChanged()
		if c, err := org.CachedPrincipal(ctx, db, off.UserID); err != nil || !c.TOTPEnabled {
			t.Fatalf("after enabling the second factor: %+v %v", c, err)
		}
		// disabled: no principal
		if _, err := org.UpdateUser(ctx, db, admin, "officer", org.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := org.CachedPrincipal(ctx, db, off.UserID); apperr.As(err) == nil {
			t.Fatalf("disabled user: %v", err)
		}
	})
}
