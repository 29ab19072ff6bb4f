package store_test

import (
	"context"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestMigrateFillsAGap: capabilities number their migrations independently
// and can land in another order than their numbers (00026 landed before
// 00022–00025). A database that applied a later number first must still
// take the earlier ones at the next start, not refuse to start.
func TestMigrateFillsAGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		// undo 00022 (study) alone, as if the database had never seen it
		for _, q := range []string{`DROP TABLE study_refs`, `DROP TABLE study_reflections`, `DROP TABLE study_assignees`,
			`DROP TABLE study_task_files`, `DROP TABLE study_tasks`, `DELETE FROM goose_db_version WHERE version_id = 22`} {
			if _, err := db.Write.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("a gap in the applied migrations: %v", err)
		}
		var n int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM study_tasks`).Scan(&n); err != nil {
			t.Fatalf("00022 not applied again: %v", err)
		}
		cur, latest, err := db.SchemaVersion(ctx)
		if err != nil || cur != latest {
			t.Fatalf("versions %d/%d: %v", cur, latest, err)
		}
	})
}
