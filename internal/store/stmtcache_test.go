package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func TestCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                             true,
		"  select id FROM t WHERE id = $1":     true,
		"WITH x AS (SELECT 1) SELECT * FROM x": true,
		"SELECT 1; SELECT 2":                   false, // a script
		"INSERT INTO t VALUES (1)":             false,
		"PRAGMA user_version":                  false,
		"":                                     false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%q) = %v, want %v", q, got, want)
		}
	}
}

func openCacheTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Write.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := db.Write.Exec(`INSERT INTO t (id, v) VALUES ($1, $2)`, i, fmt.Sprintf("v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// The read pool reuses prepared statements: results must be those of the
// arguments of each call, also when the same text runs nested inside a
// transaction (the statement is busy: the query runs unprepared) and when the
// cache is over its bound.
func TestStmtCacheReadsCorrectly(t *testing.T) {
	db := openCacheTest(t)
	ctx := context.Background()
	one := func(q sqlQueryer, id int) string {
		t.Helper()
		var v string
		if err := q.QueryRowContext(ctx, `SELECT v FROM t WHERE id = $1`, id).Scan(&v); err != nil {
			t.Fatalf("id %d: %v", id, err)
		}
		return v
	}
	for i := 0; i < 3; i++ {
		for id := 1; id <= 5; id++ {
			if got := one(db.Read, id); got != fmt.Sprintf("v%d", id) {
				t.Fatalf("id %d: %q", id, got)
			}
		}
	}
	// no row: a prepared statement that stepped to its end is reusable
	var v string
	if err := db.Read.QueryRow(`SELECT v FROM t WHERE id = $1`, 99).Scan(&v); err != sql.ErrNoRows {
		t.Fatalf("missing row: %v", err)
	}
	if got := one(db.Read, 2); got != "v2" {
		t.Fatalf("after a miss: %q", got)
	}

	// the same text nested on one connection
	tx, err := db.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT v FROM t WHERE id >= $1 ORDER BY id`, 1)
	if err != nil {
		t.Fatal(err)
	}
	var outer []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, o)
		inner, err := tx.QueryContext(ctx, `SELECT v FROM t WHERE id >= $1 ORDER BY id`, 4)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		inner.Close()
		if n != 2 {
			t.Fatalf("inner query: %d rows, want 2", n)
		}
	}
	rows.Close()
	tx.Rollback()
	if fmt.Sprint(outer) != "[v1 v2 v3 v4 v5]" {
		t.Fatalf("outer rows %v", outer)
	}

	// more distinct texts than the bound
	for i := 0; i < maxCachedStmts+20; i++ {
		var n int
		if err := db.Read.QueryRow(fmt.Sprintf(`SELECT COUNT(*) + %d FROM t WHERE id <= $1`, i), 3).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3+i {
			t.Fatalf("query %d: %d", i, n)
		}
	}
	if got := one(db.Read, 5); got != "v5" {
		t.Fatalf("after eviction: %q", got)
	}
}

// A statement prepared before a schema change still answers afterwards
// (SQLite re-prepares it), and sees new rows written meanwhile.
func TestStmtCacheAfterWritesAndSchemaChange(t *testing.T) {
	db := openCacheTest(t)
	q := `SELECT COUNT(*) FROM t WHERE v <> $1`
	count := func() int {
		var n int
		if err := db.Read.QueryRow(q, "").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 5 {
		t.Fatalf("count %d", n)
	}
	if _, err := db.Write.Exec(`INSERT INTO t (id, v) VALUES (6, 'v6')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`ALTER TABLE t ADD COLUMN w TEXT`); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 6 {
		t.Fatalf("count after insert and schema change: %d", n)
	}
}

type sqlQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// The read pool's connections keep what they prepared; the write pool's do not.
func TestStmtCacheIsUsed(t *testing.T) {
	db := openCacheTest(t)
	ctx := context.Background()
	conn, err := db.Read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := `SELECT v FROM t WHERE id = $1`
	var first *cachedStmt
	for id := 1; id <= 3; id++ {
		var v string
		if err := conn.QueryRowContext(ctx, q, id).Scan(&v); err != nil || v != fmt.Sprintf("v%d", id) {
			t.Fatalf("id %d: %q %v", id, v, err)
		}
		conn.Raw(func(dc any) error {
			c, ok := dc.(*stmtCacheConn)
			if !ok {
				t.Fatalf("read connection is a %T", dc)
			}
			cs := c.stmts[q]
			if cs == nil || cs.busy {
				t.Fatalf("statement not cached or still busy: %+v", cs)
			}
			if first == nil {
				first = cs
			} else if cs != first {
				t.Fatal("statement prepared again")
			}
			return nil
		})
	}
	w, err := db.Write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Raw(func(dc any) error {
		if _, ok := dc.(*stmtCacheConn); ok {
			t.Fatal("the write pool caches statements")
		}
		return nil
	})
}
