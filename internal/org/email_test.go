package org_test

import (
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"zhangsan@example.gov.cn":         true,
		"li.si+ledger@court.gz.gov.cn":    true,
		"":                                false,
		"zhangsan":                        false,
		"zhangsan@localhost":              false,
		"张三 <zhangsan@example.gov.cn>":    false,
		"<zhangsan@example.gov.cn>":       false,
		"zhang san@example.gov.cn":        false,
		"zhangsan@example.gov.cn\r\nBcc:": false,
		"zhangsan@.example.cn":            false,
		"zhangsan@example..cn":            false,
		"zhangsan@example.cn.":            false,
		"@example.cn":                     false,
	} {
		if got := org.ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSetEmailByTheUserAndByTheirAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		buildTree(t, db)
		officer := principal(t, db, "officer")
		email := func(name string) string {
			u, _ := org.UserByUsername(ctx, db.Read, name)
			e, err := org.UserEmail(ctx, db.Read, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		mark := auditMark(t, db)
		// the person themselves
		if err := org.SetEmail(ctx, db, officer, "officer", " officer@court.gz.gov.cn "); err != nil {
			t.Fatal(err)
		}
		// their admin
		if err := org.SetEmail(ctx, db, principal(t, db, "cityadmin"), "officer", "ganjing@court.gz.gov.cn"); err != nil {
			t.Fatal(err)
		}
		// the same value again changes nothing and writes nothing
		if err := org.SetEmail(ctx, db, officer, "officer", "ganjing@court.gz.gov.cn"); err != nil {
			t.Fatal(err)
		}
		if email("officer") != "ganjing@court.gz.gov.cn" {
			t.Fatalf("email %q", email("officer"))
		}
		wantAudit(t, db, mark, ev{"user.email", "officer", "officer"}, ev{"user.email", "officer", "cityadmin"})

		// a bad address is refused and changes nothing
		err := org.SetEmail(ctx, db, officer, "officer", "张三 <x@example.cn>")
		wantKind(t, err, apperr.Invalid, "err.notify.email")
		// a colleague may read the person but not change them; outside the subtree it is not found
		wantKind(t, org.SetEmail(ctx, db, principal(t, db, "leader"), "officer", "x@example.cn"), apperr.Forbidden, "")
		if err := org.SetEmail(ctx, db, principal(t, db, "p-sz"), "officer", "x@example.cn"); !isNotFound(err) {
			t.Fatalf("outside: %v", err)
		}
		// the city admin cannot change the province admin, whose grant is wider
		if err := org.SetEmail(ctx, db, principal(t, db, "cityadmin"), "admin", "x@example.cn"); apperr.As(err) == nil {
			t.Fatalf("beyond reach: %v", err)
		}
		// clearing
		if err := org.SetEmail(ctx, db, officer, "officer", ""); err != nil || email("officer") != "" {
			t.Fatalf("clear: %v %q", err, email("officer"))
		}
		wantAudit(t, db, mark, ev{"user.email", "officer", "officer"}, ev{"user.email", "officer", "cityadmin"}, ev{"user.email", "officer", "officer"})
	})
}
