package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/store"
)

// TestCheckpointsRunOffTheWriter: the writer's commits never checkpoint
// (wal_autocheckpoint is 0 on its connection), yet the log is copied into the
// database file by the background checkpointer, and a closed database leaves
// no log behind.
func TestCheckpointsRunOffTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ck.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := db.Write.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, want 0", auto)
	}
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := st.Size()
	blob := strings.Repeat("x", 4000)
	for range 3 {
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			for range 300 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES ($1)`, blob); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// 3.6 MB went to the log; the checkpointer moves it into the file.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > before+3_000_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (was %d): no checkpoint ran", st.Size(), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close() // a second Close is harmless
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("log left behind after Close: %v", err)
	}
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 900 {
		t.Fatalf("rows after reopen: %d, %v", n, err)
	}
}

// TestLogStartsAgainUnderSteadyWrites: a stream of write transactions with
// readers running alongside (a bulk index build reads its next batch while
// it writes one) keeps the log near walRestartAt: the writer checkpoints
// after a commit that leaves the log past it, so a later transaction starts
// the log again. Before, the background checkpoints were always a
// transaction behind and the log grew with everything written (6 GB in a
// million-item search index build).
func TestLogStartsAgainUnderSteadyWrites(t *testing.T) {
	ctx := context.Background()
	defer store.SetWALRestart(1 << 20)()
	path := filepath.Join(t.TempDir(), "steady.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			// short reads with pauses, as a prefetching indexer or a
			// page view makes them
			var v string
			db.Read.QueryRowContext(ctx, `SELECT v FROM t ORDER BY rowid DESC LIMIT 1`).Scan(&v)
			time.Sleep(time.Millisecond)
		}
	}()
	blob := strings.Repeat("y", 4000)
	largest := int64(0)
	for range 100 { // 40 MB in all
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			for range 100 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES ($1)`, blob); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, st.Size())
		}
	}
	close(stop)
	<-done
	if largest > 16<<20 {
		t.Fatalf("the log reached %d bytes under 40 MB of steady writes, want it started again near 1 MB", largest)
	}
}
