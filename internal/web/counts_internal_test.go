package web

import (
	"context"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// A change this process did not make (another node, direct SQL) shows once
// the cached figure is countTTL old.
func TestCountCacheExpires(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	sys := org.SystemPrincipal()
	if _, err := org.CreateUnit(ctx, db, sys, org.UnitInput{Code: "root", Name: "根"}); err != nil {
		t.Fatal(err)
	}
	var c countCache
	count := func() int {
		t.Helper()
		units, _, err := c.get(ctx, db, sys)
		if err != nil {
			t.Fatal(err)
		}
		return units
	}
	if n := count(); n != 1 {
		t.Fatalf("units %d", n)
	}
	if _, err := db.Write.Exec(`INSERT INTO units (code, name, kind, parent_id, path, depth, created_at, updated_at)
		VALUES ('other', '别处', '', (SELECT id FROM units WHERE code = 'root'), '/1/99/', 2, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("units %d: the figure was not cached", n)
	}
	for k, e := range c.m {
		e.at = time.Now().Add(-countTTL - time.Second)
		c.m[k] = e
	}
	if n := count(); n != 2 {
		t.Fatalf("units %d after the cache expired, want 2", n)
	}
}
