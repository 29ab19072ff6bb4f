package demo_test

import (
	"context"
	"testing"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/demo"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/study"
)

// TestDemoStudy: the demo task has original reflections, and exactly the
// copy of a colleague's and the pasted speech are flagged, each against the
// right source.
func TestDemoStudy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := demo.Load(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
		s := study.New(db, attach.New(t.TempDir()))
		n, err := demo.LoadStudy(ctx, db, s)
		if err != nil || n != 5 {
			t.Fatalf("%d reflections: %v", n, err)
		}
		rows, err := db.Read.QueryContext(ctx, `SELECT u.username, r.flagged, r.similarity, r.matches FROM study_reflections r
			JOIN users u ON u.id = r.user_id ORDER BY r.id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		flagged := map[string]bool{}
		for rows.Next() {
			var user, matches string
			var f, sim int
			if err := rows.Scan(&user, &f, &sim, &matches); err != nil {
				t.Fatal(err)
			}
			flagged[user] = f == 1
			t.Logf("%-16s flagged=%d similarity=%d‰", user, f, sim)
		}
		want := map[string]bool{"officer": false, "handler": false, "mc-dc-fy-2-o1": false, "mc-dc-fy-1-o2": true, "deputy": true}
		for u, w := range want {
			if flagged[u] != w {
				t.Errorf("%s flagged %v, want %v", u, flagged[u], w)
			}
		}
		court, err := org.UnitByCode(ctx, db.Read, "mc-dc-fy")
		if err != nil {
			t.Fatal(err)
		}
		cs, err := study.Copies(ctx, db, court.Path)
		if err != nil || len(cs) != 2 {
			t.Fatalf("copies %+v %v", cs, err)
		}
	})
}
