package demo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/demo"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/warn"
)

// TestDemoScore loads the scorecard demo over the ledger demo: the previous
// quarter is published with formula version 1 while version 2 is in force,
// and the gaming department raises its flags, one dismissed with a reason.
func TestDemoScore(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	if _, err := demo.Load(ctx, db, ""); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(db, attach.New(t.TempDir()))
	if _, err := demo.LoadLedger(ctx, db, l); err != nil {
		t.Fatal(err)
	}
	if n, err := demo.LoadScore(ctx, db, l); err != nil || n != 10 {
		t.Fatalf("score demo: %d items, %v", n, err)
	}
	u, _ := org.UserByUsername(ctx, db.Read, "inspector")
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	today := calendar.Today(time.Now())
	cur := score.Containing(score.Quarter, today)
	v, err := score.New(db).View(ctx, p, "mc-ns", cur.Prev().Key)
	if err != nil {
		t.Fatal(err)
	}
	if v.Published == nil || v.Card.FormulaVersion != 1 || v.FormulaVersion != 2 {
		t.Errorf("previous quarter: published %v, card v%d, in force v%d", v.Published, v.Card.FormulaVersion, v.FormulaVersion)
	}
	if today.Sub(cur.From) < 13*24*time.Hour {
		t.Skip("the quarter began less than 13 days ago: the demo's gaming straddles two quarters")
	}
	flags, err := warn.New(db).List(ctx, p, "mc-ns-ga", cur.Key)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	dismissed := 0
	for _, f := range flags {
		if f.UnitCode == "mc-ns-ga-1" {
			kinds = append(kinds, f.Kind)
			if f.Dismissed != nil {
				dismissed++
			}
		}
	}
	for _, k := range []string{warn.Bunching, warn.Boilerplate, warn.ThinClosure, warn.Reopened} {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s flag: %v", k, kinds)
		}
	}
	if dismissed != 1 {
		t.Errorf("%d dismissed flags", dismissed)
	}
}
