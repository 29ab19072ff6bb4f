package auth_test

import (
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// A disabled person's session stops at the next request even where nothing
// deleted it (a change made by another program): the session check does not
// rely on the principal, which may come from a cache a few seconds old.
func TestSessionOfDisabledPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		lr, err := auth.Login(ctx, db, pol, "bob", pw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Authenticate(ctx, db, pol, lr.Token); err != nil {
			t.Fatal(err)
		}
		exec(t, db, `UPDATE users SET disabled_at = $1 WHERE username = 'bob'`, store.Now())
		_, err = auth.Authenticate(ctx, db, pol, lr.Token)
		wantKind(t, err, apperr.Unauthorized, "")
	})
}
