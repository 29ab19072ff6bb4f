package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestIsCanceled: a PostgreSQL statement stopped by its statement_timeout
// is told apart from other failures (a search's walk then falls back to
// its windows).
func TestIsCanceled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != store.Postgres {
			if store.IsCanceled(errors.New("interrupted")) {
				t.Error("an SQLite error taken for a cancelled statement")
			}
			return
		}
		ctx := context.Background()
		tx, err := db.Read.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 10`); err != nil {
			t.Fatal(err)
		}
		_, err = tx.ExecContext(ctx, `SELECT pg_sleep(2)`)
		if !store.IsCanceled(err) {
			t.Errorf("a statement past its timeout: %v, not taken for cancelled", err)
		}
		if _, err := db.Read.ExecContext(ctx, `SELECT 1/0`); store.IsCanceled(err) {
			t.Errorf("a division by zero taken for cancelled: %v", err)
		}
	})
}
