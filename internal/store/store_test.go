package store_test

import (
	"context"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestMigrateIsIdempotentAndVersioned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur != v || cur != latest || cur < 1 {
			t.Fatalf("versions: migrate=%d current=%d latest=%d", v, cur, latest)
		}
	})
}

func TestAuditLogIsAppendOnlyInTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.Write.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, detail, prev_hash, hash)
			VALUES (1, 1, 'x', 'a', 'o', '1', '{}', '', 'h')`)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE audit_log SET actor = 'y'`); err == nil {
			t.Fatal("update of audit_log succeeded")
		}
		if _, err := db.Write.ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
			t.Fatal("delete from audit_log succeeded")
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ins := `INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', 1)`
		if _, err := db.Write.ExecContext(ctx, ins); err != nil {
			t.Fatal(err)
		}
		_, err := db.Write.ExecContext(ctx, ins)
		if !store.IsUniqueViolation(err) {
			t.Fatalf("want unique violation, got %v", err)
		}
	})
}

func TestSubtreeSelectsExactlyTheSubtree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		paths := []string{"/1/", "/1/7/", "/1/7/42/", "/1/70/", "/1/8/", "/10/", "/1/7/9/11/"}
		for i, p := range paths {
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO units (code, name, path, depth, created_at, updated_at)
				VALUES ($1, 'u', $2, 1, 0, 0)`, p, p); err != nil {
				t.Fatal(i, err)
			}
		}
		cases := map[string]int{"/1/": 6, "/1/7/": 3, "/1/70/": 1, "/10/": 1, "/2/": 0, "/1/7/42/": 1}
		for root, want := range cases {
			var args []any
			arg := func(v any) string { args = append(args, v); return "$" + string(rune('0'+len(args))) }
			var n int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM units WHERE `+store.Subtree("path", root, arg), args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("subtree %s: %d rows, want %d", root, n, want)
			}
		}
	})
}
