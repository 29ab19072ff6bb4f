// Package storetest opens real databases for tests: a fresh SQLite file, and a
// fresh PostgreSQL schema when LUOSHI_TEST_POSTGRES holds a URL.
// LUOSHI_TEST_ENGINES ("sqlite", "postgres" or "sqlite,postgres") narrows the
// engines, so CI can run the suite once per engine. In CI (CI=true) a missing
// PostgreSQL is a failure, not a skip.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "LUOSHI_TEST_POSTGRES"

// EnvEngines names the variable that narrows the engines tests run against.
const EnvEngines = "LUOSHI_TEST_ENGINES"

// Engines lists the engines the tests run against here.
func Engines(t testing.TB) []store.Dialect {
	if v := os.Getenv(EnvEngines); v != "" {
		var e []store.Dialect
		for _, name := range strings.Split(v, ",") {
			switch d := store.Dialect(strings.TrimSpace(name)); d {
			case store.SQLite:
				e = append(e, d)
			case store.Postgres:
				if os.Getenv(EnvPostgres) == "" {
					t.Fatalf("%s includes postgres but %s is not set", EnvEngines, EnvPostgres)
				}
				e = append(e, d)
			default:
				t.Fatalf("%s: unknown engine %q (want sqlite or postgres)", EnvEngines, name)
			}
		}
		return e
	}
	e := []store.Dialect{store.SQLite}
	if os.Getenv(EnvPostgres) != "" {
		e = append(e, store.Postgres)
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI must run the PostgreSQL tests", EnvPostgres)
	}
	return e
}

// Each runs fn once per available engine, each with a freshly migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// URL returns a database URL for a fresh, empty database of dialect d, removed
// when the test ends. For SQLite it is a file path.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return filepath.Join(t.TempDir(), "luoshi.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated database of dialect d, closed when the test ends.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
