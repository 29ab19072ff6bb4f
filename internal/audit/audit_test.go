package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func seed(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		err := audit.Record(context.Background(), db, audit.Event{
			Actor: audit.Actor{ID: int64(i), Name: fmt.Sprintf("user%d", i)}, Action: "unit.create",
			ObjectType: "unit", ObjectID: fmt.Sprint(i), Detail: map[string]any{"name": fmt.Sprintf("单位%d", i), "n": i},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// disarm removes the append-only triggers, as an attacker with database access could.
func disarm(t *testing.T, db *store.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	if db.Dialect == store.Postgres {
		stmts = []string{"ALTER TABLE audit_log DISABLE TRIGGER USER"}
	}
	for _, s := range stmts {
		if _, err := db.Write.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	cases := []struct {
		name    string
		attack  []string
		wantSeq int64
	}{
		{"intact", nil, 0},
		{"changed row", []string{`UPDATE audit_log SET actor = 'someone else' WHERE seq = 3`}, 3},
		{"changed detail", []string{`UPDATE audit_log SET detail = '{"name":"改过"}' WHERE seq = 4`}, 4},
		{"removed row", []string{`DELETE FROM audit_log WHERE seq = 2`}, 2},
		{"removed last row", []string{`DELETE FROM audit_log WHERE seq = 5`}, 5},
		{"reordered pair", []string{
			// swap the contents of 2 and 3 but keep the sequence numbers
			`UPDATE audit_log SET seq = 100 WHERE seq = 2`,
			`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 100`,
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				seed(t, db, 5)
				if c.attack != nil {
					disarm(t, db)
					for _, s := range c.attack {
						if _, err := db.Write.Exec(s); err != nil {
							t.Fatal(err)
						}
					}
				}
				n, err := audit.Verify(context.Background(), db)
				if c.wantSeq == 0 {
					if err != nil || n != 5 {
						t.Fatalf("intact chain: n=%d err=%v", n, err)
					}
					return
				}
				var b *audit.Break
				if !errors.As(err, &b) {
					t.Fatalf("tampering not detected: n=%d err=%v", n, err)
				}
				if b.Seq != c.wantSeq {
					t.Fatalf("first bad entry = %d (%s), want %d", b.Seq, b.Reason, c.wantSeq)
				}
			})
		})
	}
}

func TestListFiltersAndPaginates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seed(t, db, 7)
		ctx := context.Background()
		page, err := audit.List(ctx, db, audit.Filter{Limit: 3})
		if err != nil || len(page) != 3 || page[0].Seq != 7 {
			t.Fatalf("first page: %v %v", page, err)
		}
		next, err := audit.List(ctx, db, audit.Filter{Limit: 3, BeforeSeq: page[2].Seq})
		if err != nil || len(next) != 3 || next[0].Seq != 4 {
			t.Fatalf("second page: %v %v", next, err)
		}
		byActor, _ := audit.List(ctx, db, audit.Filter{Actor: "user2"})
		if len(byActor) != 1 || byActor[0].Detail["name"] != "单位2" {
			t.Fatalf("by actor: %+v", byActor)
		}
		scoped, _ := audit.List(ctx, db, audit.Filter{ScopePaths: []string{"/999/"}})
		if len(scoped) != 0 {
			t.Fatalf("scope leaked %d entries", len(scoped))
		}
	})
}
