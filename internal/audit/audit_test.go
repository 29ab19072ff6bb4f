package audit_test

import (
	"context"
	"database/sql"
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

// AppendMany writes the same chain as one Append per event: Verify accepts
// it, interleaved with single appends, and the entries read back in order.
func TestAppendMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		testAppendMany(t, db, func(ctx context.Context, tx *sql.Tx, evs []audit.Event) ([]audit.Entry, error) {
			return audit.AppendMany(ctx, tx, evs)
		})
	})
}

// AppendManyIn with the engine's own parameters writes the same chain.
func TestAppendManyIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		testAppendMany(t, db, func(ctx context.Context, tx *sql.Tx, evs []audit.Event) ([]audit.Entry, error) {
			return audit.AppendManyIn(ctx, tx, db.Dialect, evs)
		})
	})
}

func testAppendMany(t *testing.T, db *store.DB, appendMany func(context.Context, *sql.Tx, []audit.Event) ([]audit.Entry, error)) {
	{
		ctx := context.Background()
		seed(t, db, 2)
		var evs []audit.Event
		for i := range 123 { // more than one INSERT chunk
			evs = append(evs, audit.Event{Actor: audit.Actor{ID: 7, Name: "导入人"}, Action: "problem.create",
				ObjectType: "problem", ObjectID: fmt.Sprintf("WT-%03d", i), UnitID: int64(i % 3),
				Detail: map[string]any{"title": fmt.Sprintf("问题%d", i), "n": i}})
		}
		var got []audit.Entry
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			got, err = appendMany(ctx, tx, evs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(evs) || got[0].Seq != 3 || got[len(got)-1].Seq != 125 {
			t.Fatalf("entries %d, seq %d..%d", len(got), got[0].Seq, got[len(got)-1].Seq)
		}
		seed(t, db, 1) // a single append continues the chain
		n, err := audit.Verify(ctx, db)
		if err != nil || n != 126 {
			t.Fatalf("verify: n=%d err=%v", n, err)
		}
		var obj string
		if err := db.Read.QueryRowContext(ctx, `SELECT object_id FROM audit_log WHERE seq = 50`).Scan(&obj); err != nil || obj != "WT-047" {
			t.Fatalf("seq 50 = %q, %v", obj, err)
		}
		// an empty batch writes nothing
		if err := db.Tx(ctx, func(tx *sql.Tx) error { _, err := appendMany(ctx, tx, nil); return err }); err != nil {
			t.Fatal(err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n != 126 {
			t.Fatalf("after empty batch: n=%d err=%v", n, err)
		}
	}
}
