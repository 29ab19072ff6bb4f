package org_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
)

func TestMain(m *testing.M) {
	// cheap hashes: the tests create dozens of accounts
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	os.Exit(m.Run())
}

var ctx = context.Background()

// setup is the principal that starts an empty tree.
var setup = &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}

const pw = "correct-horse-9"

// fixtureUnits is the test tree, parents first:
//
//	gd 广东省
//	├── gz 广州市
//	│   ├── gz-th 天河区
//	│   │   ├── gz-th-court 天河区人民法院
//	│   │   │   ├── gz-th-court-xs 刑事审判庭
//	│   │   │   └── gz-th-court-ms 民事审判庭
//	│   │   └── gz-th-ga 天河区公安分局
//	│   │       └── gz-th-ga-xz 刑侦大队
//	│   └── gz-yx 越秀区
//	│       └── gz-yx-jcy 越秀区人民检察院
//	└── sz 深圳市
//	    └── sz-ft 福田区
//	        └── sz-ft-court 福田区人民法院
//	            └── sz-ft-court-xs 刑事审判庭
var fixtureUnits = []org.UnitInput{
	{Code: "gz", Name: "广州市", Kind: "city", ParentCode: "gd"},
	{Code: "gz-th", Name: "天河区", Kind: "county", ParentCode: "gz"},
	{Code: "gz-th-court", Name: "天河区人民法院", Kind: "organ", ParentCode: "gz-th"},
	{Code: "gz-th-court-xs", Name: "刑事审判庭", Kind: "department", ParentCode: "gz-th-court"},
	{Code: "gz-th-court-ms", Name: "民事审判庭", Kind: "department", ParentCode: "gz-th-court"},
	{Code: "gz-th-ga", Name: "天河区公安分局", Kind: "organ", ParentCode: "gz-th"},
	{Code: "gz-th-ga-xz", Name: "刑侦大队", Kind: "department", ParentCode: "gz-th-ga"},
	{Code: "gz-yx", Name: "越秀区", Kind: "county", ParentCode: "gz"},
	{Code: "gz-yx-jcy", Name: "越秀区人民检察院", Kind: "organ", ParentCode: "gz-yx"},
	{Code: "sz", Name: "深圳市", Kind: "city", ParentCode: "gd"},
	{Code: "sz-ft", Name: "福田区", Kind: "county", ParentCode: "sz"},
	{Code: "sz-ft-court", Name: "福田区人民法院", Kind: "organ", ParentCode: "sz-ft"},
	{Code: "sz-ft-court-xs", Name: "刑事审判庭", Kind: "department", ParentCode: "sz-ft-court"},
}

// allUnitCodes lists every unit of the fixture.
func allUnitCodes() []string {
	out := []string{"gd"}
	for _, u := range fixtureUnits {
		out = append(out, u.Code)
	}
	return out
}

// fixtureUsers holds a person in every role; the matrix cases name them.
var fixtureUsers = []org.UserInput{
	{Username: "admin", Name: "省管理员", UnitCode: "gd", Roles: []org.RoleGrant{{Role: "admin"}}},
	{Username: "cityadmin", Name: "市管理员", UnitCode: "gz", Roles: []org.RoleGrant{{Role: "admin"}}},
	{Username: "leader", Name: "院长", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "leader"}}},
	{Username: "deputy", Name: "副院长", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "deputy"}}},
	{Username: "handler", Name: "承办人", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "handler"}}},
	{Username: "officer", Name: "干警", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "officer"}}},
	// overseers sit in one unit and watch a wider one
	{Username: "inspector", Name: "督察", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "inspector", ScopeCode: "gz"}}},
	{Username: "discipline", Name: "纪检", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "discipline", ScopeCode: "gz-th"}}},
	// several roles: leader of the court and discipline over the city
	{Username: "multi", Name: "院长兼纪检", UnitCode: "gz-th-court", Roles: []org.RoleGrant{{Role: "leader"}, {Role: "discipline", ScopeCode: "gz"}}},
}

// buildTree creates the fixture on an empty database: the tree, the people
// above, and one officer "p-<code>" in every unit (so every unit has a person
// and cannot be closed).
func buildTree(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := org.CreateUnit(ctx, db, setup, org.UnitInput{Code: "gd", Name: "广东省", Kind: "province"}); err != nil {
		t.Fatalf("root: %v", err)
	}
	for _, in := range fixtureUnits {
		if _, err := org.CreateUnit(ctx, db, setup, in); err != nil {
			t.Fatalf("unit %s: %v", in.Code, err)
		}
	}
	for _, in := range fixtureUsers {
		in.Password = pw
		if _, err := org.CreateUser(ctx, db, setup, in); err != nil {
			t.Fatalf("user %s: %v", in.Username, err)
		}
	}
	for _, c := range allUnitCodes() {
		if _, err := org.CreateUser(ctx, db, setup, org.UserInput{Username: "p-" + c, Name: "人员" + c, UnitCode: c,
			Roles: []org.RoleGrant{{Role: "officer"}}, Password: pw}); err != nil {
			t.Fatalf("person in %s: %v", c, err)
		}
	}
}

// principal loads a fixture user's principal from the database.
func principal(t testing.TB, db *store.DB, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, db.Read, username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	if err != nil {
		t.Fatalf("principal %s: %v", username, err)
	}
	return p
}

func unitPath(t testing.TB, db *store.DB, code string) string {
	t.Helper()
	u, err := org.UnitByCode(ctx, db.Read, code)
	if err != nil {
		t.Fatalf("unit %s: %v", code, err)
	}
	return u.Path
}

// wantKind fails unless err is an *apperr.Error of kind k (and key, when given).
func wantKind(t *testing.T, err error, k apperr.Kind, key string) {
	t.Helper()
	ae := apperr.As(err)
	if ae == nil {
		t.Fatalf("want apperr kind %d %s, got %v", k, key, err)
	}
	if ae.Kind != k || (key != "" && ae.Key != key) {
		t.Fatalf("want kind %d %q, got kind %d %q (%v)", k, key, ae.Kind, ae.Key, err)
	}
}

// auditMark returns the current length of the trail.
func auditMark(t *testing.T, db *store.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Read.QueryRow(`SELECT seq FROM audit_head WHERE id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// ev is an expected audit entry.
type ev struct{ action, object, actor string }

// wantAudit checks that exactly the entries want were written after mark, in
// order, and that the whole chain still verifies.
func wantAudit(t *testing.T, db *store.DB, mark int64, want ...ev) {
	t.Helper()
	es, err := audit.List(ctx, db, audit.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var got []ev
	for _, e := range slices.Backward(es) {
		if e.Seq > mark {
			got = append(got, ev{e.Action, e.ObjectID, e.Actor})
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit entries after %d:\n got %v\nwant %v", mark, got, want)
	}
	if _, err := audit.Verify(ctx, db); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
}

func isNotFound(err error) bool {
	ae := apperr.As(err)
	return ae != nil && ae.Kind == apperr.NotFound
}
