package org_test

import (
	"testing"

	"github.com/luoshi/luoshi/internal/org"
)

// BenchmarkCanDeepTree decides for a target six levels deep, for a person with
// several grants held a few levels up (the common case for overseers).
func BenchmarkCanDeepTree(b *testing.B) {
	p := &org.Principal{UserID: 1, Grants: []org.Grant{
		{Role: org.RoleOfficer, ScopePath: "/1/20/300/4000/"},
		{Role: org.RoleLeader, ScopePath: "/1/20/300/4001/"},
		{Role: org.RoleInspector, ScopePath: "/1/21/"},
		{Role: org.RoleDiscipline, ScopePath: "/1/20/301/"},
		{Role: org.RoleAdmin, ScopePath: "/1/22/310/"},
	}}
	b.Run("hit", func(b *testing.B) {
		target := "/1/21/350/4500/56000/670000/"
		for b.Loop() {
			if !org.Can(p, org.AuditRead, target) {
				b.Fatal("miss")
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		// every grant is checked; the only one over the path lacks the action
		target := "/1/20/300/4000/50000/600000/"
		for b.Loop() {
			if org.Can(p, org.UnitWrite, target) {
				b.Fatal("hit")
			}
		}
	})
}
