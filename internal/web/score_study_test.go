package web_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/study"
	"github.com/luoshi/luoshi/internal/web"
)

// TestScorecardCountsStudy: the server feeds the scorecard's study part
// (学习教育, 10%) from the study module: reflections due in the period,
// handed in, and original.
func TestScorecardCountsStudy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reportFixture(t, db)
		for _, u := range []org.UserInput{
			{Username: "of1", Name: "干警一", UnitCode: "court1", Roles: []org.RoleGrant{{Role: "officer"}}},
			{Username: "of2", Name: "干警二", UnitCode: "court1", Roles: []org.RoleGrant{{Role: "officer"}}},
		} {
			u.Password = pw
			if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
				t.Fatal(err)
			}
		}
		srv := web.New(db, &config.Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
		who := func(name string) *org.Principal {
			u, err := org.UserByUsername(ctx, db.Read, name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		due := time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
		task, err := srv.Study.Create(ctx, who("yz1"), study.TaskInput{Title: "学习心得", Material: "学习材料",
			UnitCode: "court1", Roles: []string{"officer"}, Due: due, MinLength: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Study.Submit(ctx, who("of1"), task.ID, strings.Repeat("通过学习我深刻认识到司法为民的重要意义。", 3)); err != nil {
			t.Fatal(err)
		}
		period := score.Containing(score.Year, time.Now().AddDate(0, 0, 10)).Key
		v, err := srv.Score.View(ctx, setup, "court1", period)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range v.Card.Parts {
			if part.Key == score.Study {
				if part.Sample == 0 {
					t.Fatalf("the study part has no sample: %+v", part)
				}
				return
			}
		}
		t.Fatalf("no study part in %+v", v.Card)
	})
}
