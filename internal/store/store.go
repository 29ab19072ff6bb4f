// Package store opens the database (embedded SQLite or PostgreSQL), applies the
// embedded migrations and offers the few helpers every capability needs to run
// portable SQL on both engines.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// DB bundles the pools of one database. On SQLite, writes go through a
// single-connection pool with immediate transactions (one writer at a time, no
// SQLITE_BUSY upgrades) while reads use a wider pool; on PostgreSQL both are the
// same pool.
type DB struct {
	Read    *sql.DB
	Write   *sql.DB
	Dialect Dialect
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
	ckpt *checkpointer // SQLite: the background checkpoints (checkpoint.go)
}

// ErrNotFound is returned by lookups that find no row.
var ErrNotFound = errors.New("not found")

// Open connects to url: a postgres:// or postgresql:// URL, or else the path of
// an SQLite file (created if missing).
func Open(ctx context.Context, url string) (*DB, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return openPostgres(ctx, url)
	}
	return openSQLite(ctx, url)
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{Read: db, Write: db, Dialect: Postgres}, nil
}

func sqliteDSN(path string, txlock string) string {
	// synchronous=FULL: an acknowledged commit survives power loss, even in WAL mode.
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=" + txlock
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	}
	// The writer never checkpoints in its commits; checkpoint.go does (and
	// afterCommit when the log has grown large). It keeps 64 MB of pages and
	// maps the file as the readers do: FTS5's segment merges read back what
	// earlier statements wrote, a read call per 4 KB page with the default
	// 2 MB cache.
	w, err := sql.Open("sqlite", sqliteDSN(path, "immediate")+"&_pragma=wal_autocheckpoint(0)"+
		"&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)"+
		"&_pragma=journal_size_limit("+strconv.Itoa(walRestartAt)+")")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Readers map the database file (mmap_size): a page they need is read
	// from the operating system's cache without a read call and a copy. A
	// commit empties every reader's own page cache (WAL mode), so without the
	// map a page view spent a tenth of its CPU in pread (bench/, 2026-12-02).
	rc, err := newStmtCacheConnector(sqliteDSN(path, "deferred") + "&_pragma=query_only(1)&_pragma=mmap_size(1073741824)") // stmtcache.go
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r := sql.OpenDB(rc)
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	ck, err := startCheckpointer(sqliteDSN(path, "deferred"))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return &DB{Read: r, Write: w, Dialect: SQLite, Path: path, ckpt: ck}, nil
}

// Close closes the pools.
func (db *DB) Close() error {
	var err error
	if db.ckpt != nil {
		err = db.ckpt.close()
	}
	if e := db.Write.Close(); err == nil {
		err = e
	}
	if db.Read != db.Write {
		if e := db.Read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.Read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFS, "migrations/"+string(db.Dialect))
	if err != nil {
		return nil, err
	}
	d := goose.DialectSQLite3
	if db.Dialect == Postgres {
		d = goose.DialectPostgres
	}
	// Capabilities number their migrations independently and may land out of
	// number order (each creates its own tables): a database that applied a
	// later number first takes the earlier ones at the next start.
	return goose.NewProvider(d, db.Write, sub, goose.WithAllowOutofOrder(true))
}

// Migrate applies every embedded migration not yet applied and returns the
// resulting schema version.
func (db *DB) Migrate(ctx context.Context) (int64, error) {
	p, err := db.provider()
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if db.Dialect == Postgres {
		// Several nodes may start at once: one migrates, the others wait.
		conn, err := db.Write.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7410001)"); err != nil {
			return 0, fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(7410001)")
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// SchemaVersion reports the applied schema version and the newest one this
// binary carries.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := db.provider()
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}

// Tx runs fn in a write transaction and commits when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.afterCommit(ctx)
	return nil
}

// Queryer is what both *sql.DB and *sql.Tx offer.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Now is the clock in unix milliseconds, the unit of every stored time.
// Times are integers on both engines so comparisons and arithmetic are portable.
func Now() int64 { return time.Now().UnixMilli() }

// Millis converts a time to stored form.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// Time converts a stored time back.
func Time(ms int64) time.Time { return time.UnixMilli(ms) }

// IsUniqueViolation reports whether err is a unique-constraint failure on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// EscapeLike escapes LIKE wildcards in s (escape character is backslash;
// queries must say ESCAPE '\').
func EscapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Subtree returns an index-friendly SQL condition selecting the rows whose
// materialized path column col lies in the subtree rooted at path (a path such
// as "/1/7/", ending in a slash). Paths are ASCII digits and slashes, so the
// subtree is exactly the byte range [path, path with its final "/" replaced by
// "0"): a range scan on both engines (PostgreSQL compares path with COLLATE "C").
// arg binds a value and returns its placeholder.
func Subtree(col, path string, arg func(any) string) string {
	upper := path[:len(path)-1] + "0"
	return "(" + col + " >= " + arg(path) + " AND " + col + " < " + arg(upper) + ")"
}

// Limit writes the value of a LIMIT clause. A common page size goes into the
// query text as a literal, any other (a size a caller asked for) is bound
// through arg. SQLite's planner only sees a literal
// LIMIT: with it, it costs a top-N sort by the page size and prefers walking an
// index in ORDER BY order that stops at the end of the page; a bound LIMIT
// plans as if every match were wanted. The value is an int from the code,
// never text, and the few sizes keep the prepared statement caches small.
func Limit(n int, arg func(any) string) string {
	switch n { // the page sizes of the pages and the API's defaults
	case 1, 5, 10, 20, 25, 50, 100, 200, 500:
		return strconv.Itoa(n)
	}
	return arg(n)
}

// Next hands out the next value of a named counter (1, 2, …) inside tx: the
// source of human-quotable numbers such as WT-2026-000123.
func Next(ctx context.Context, q Queryer, name string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`, name).Scan(&n)
	return n, err
}

// Page turns a list's page number (from 1) and page size into LIMIT and
// OFFSET: a size outside 1–500 is 50, a page below 1 is the first.
func Page(page, perPage int) (limit, offset int) {
	if perPage <= 0 || perPage > 500 {
		perPage = 50
	}
	return perPage, (max(page, 1) - 1) * perPage
}

// Values appends "(…),(…)" for rows to head and returns the statement and
// its arguments. SQLite gets positional "?" parameters: modernc's SQLite
// resolves "$N" by a linear search, which makes statements with many
// parameters slow (so a tail appended after it must not bind any).
func Values(d Dialect, head string, rows [][]any) (string, []any) {
	var sb strings.Builder
	sb.WriteString(head)
	var args []any
	for i, r := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j, v := range r {
			if j > 0 {
				sb.WriteByte(',')
			}
			args = append(args, v)
			if d == SQLite {
				sb.WriteByte('?')
			} else {
				sb.WriteString("$" + strconv.Itoa(len(args)))
			}
		}
		sb.WriteByte(')')
	}
	return sb.String(), args
}

// InsertRows runs head + "(…),(…)" + tail for rows, batch rows a statement:
// one statement per batch instead of one per row, each batch under the
// engines' limits on bound parameters. tail binds nothing.
func InsertRows(ctx context.Context, q Queryer, d Dialect, head, tail string, rows [][]any, batch int) error {
	for lo := 0; lo < len(rows); lo += batch {
		stmt, args := Values(d, head, rows[lo:min(lo+batch, len(rows))])
		if _, err := q.ExecContext(ctx, stmt+tail, args...); err != nil {
			return err
		}
	}
	return nil
}
