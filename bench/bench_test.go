// Package bench holds the performance benchmarks of luoshi (figures in
// BENCHMARKS.md). The benchmarks run on a generated database of moderate size
// (2,000 units, 20,000 people), built once per run, on SQLite and, when
// LUOSHI_TEST_POSTGRES is set, on PostgreSQL. The only test here is a fast
// generator smoke test, because `go test ./...` runs it in CI.
package bench

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/luoshi/luoshi/bench/benchdata"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web"
)

// cheap hashing for the smoke test: the cost parameters do not change what is tested
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

func TestGenerateSmall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		res, err := benchdata.Generate(ctx, db, benchdata.Config{Units: 60, People: 400, Accounts: 20,
			Hash: password.HashWith(benchdata.Password, cheap)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Units != 60 || res.People != 400 || len(res.Accounts) != 20 || res.MaxDepth < 5 {
			t.Fatalf("generated %+v", res)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatalf("audit chain: %v", err)
		}
		// the materialized paths agree with parent_id and depth
		var bad int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM units c LEFT JOIN units p ON p.id = c.parent_id
			WHERE (p.id IS NULL AND c.path <> '/' || c.id || '/') OR (p.id IS NOT NULL AND (c.path <> p.path || c.id || '/' OR c.depth <> p.depth + 1))`).
			Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Fatalf("%d units with a wrong path or depth", bad)
		}
		// a bench account signs in and sees its unit
		a := res.Accounts[0]
		lr, err := auth.Login(ctx, db, auth.DefaultPolicy, a.Username, benchdata.Password)
		if err != nil || lr.Stage != auth.StageFull {
			t.Fatalf("login %s: %v (stage %d)", a.Username, err, lr.Stage)
		}
		s, err := auth.Authenticate(ctx, db, auth.DefaultPolicy, lr.Token)
		if err != nil {
			t.Fatal(err)
		}
		p, err := org.LoadPrincipal(ctx, db.Read, s.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := org.GetUnit(ctx, db, p, a.UnitCode); err != nil {
			t.Fatalf("%s cannot read its unit %s: %v", a.Username, a.UnitCode, err)
		}
		// the identity sequences moved past the generated ids: new rows still insert
		sys := org.SystemPrincipal()
		if _, err := org.CreateUnit(ctx, db, sys, org.UnitInput{Code: "new-unit", Name: "新单位", ParentCode: "qh"}); err != nil {
			t.Fatalf("create unit after generation: %v", err)
		}
		// a second run refuses the non-empty database
		if _, err := benchdata.Generate(ctx, db, benchdata.Config{Units: 60, People: 400, Accounts: 20, Hash: "x"}); err == nil ||
			!strings.Contains(err.Error(), "not empty") {
			t.Fatalf("second generation: %v, want a refusal", err)
		}
	})
}

// fixture is a generated database shared by the benchmarks of one engine.
type fixture struct {
	db       *store.DB
	res      *benchdata.Result
	handler  http.Handler
	deep     *org.Principal // an officer in a depth-6 unit
	organ    *org.Principal // an organ leader
	province *org.Principal // a province-wide inspector
	cookies  map[string]string
	organC   string // an organ code (its departments are children)
	deptC    string
	mix      []mixWorker // the load test's workers (pages_test.go)
	err      error
}

// The moderate default size; LUOSHI_BENCH_UNITS and LUOSHI_BENCH_PEOPLE
// override it (e.g. to profile at the full 20,000 / 200,000).
func benchSize() (units, people int) {
	units, people = 2000, 20000
	if n, err := strconv.Atoi(os.Getenv("LUOSHI_BENCH_UNITS")); err == nil && n > 0 {
		units = n
	}
	if n, err := strconv.Atoi(os.Getenv("LUOSHI_BENCH_PEOPLE")); err == nil && n > 0 {
		people = n
	}
	return
}

var (
	fixtures   = map[store.Dialect]*fixture{}
	fixturesMu sync.Mutex
	cleanups   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

func engines(b *testing.B) []store.Dialect {
	e := []store.Dialect{store.SQLite}
	if os.Getenv(storetest.EnvPostgres) != "" {
		e = append(e, store.Postgres)
	}
	return e
}

// openFresh opens an empty migrated database that lives until the run ends.
func openFresh(d store.Dialect) (*store.DB, error) {
	ctx := context.Background()
	var target string
	if d == store.SQLite {
		dir, err := os.MkdirTemp("", "luoshi-bench-")
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		target = filepath.Join(dir, "luoshi.db")
	} else {
		base := os.Getenv(storetest.EnvPostgres)
		var rb [6]byte
		for i := range rb {
			rb[i] = byte(rand.IntN(256))
		}
		schema := "bench_" + hex.EncodeToString(rb[:])
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return nil, err
		}
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			admin.Close()
			return nil, err
		}
		cleanups = append(cleanups, func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	db, err := store.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	cleanups = append([]func(){func() { db.Close() }}, cleanups...)
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

func getFixture(b *testing.B, d store.Dialect) *fixture {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[d]; ok {
		if f.err != nil {
			b.Fatal(f.err)
		}
		return f
	}
	f := &fixture{cookies: map[string]string{}}
	fixtures[d] = f
	f.err = f.build(d)
	if f.err != nil {
		b.Fatal(f.err)
	}
	return f
}

func (f *fixture) build(d store.Dialect) error {
	ctx := context.Background()
	db, err := openFresh(d)
	if err != nil {
		return err
	}
	f.db = db
	// one real argon2id hash, as in the load test
	units, people := benchSize()
	f.res, err = benchdata.Generate(ctx, db, benchdata.Config{Units: units, People: people, Accounts: 200})
	if err != nil {
		return err
	}
	pick := func(match func(a benchdata.Account) bool) (*org.Principal, error) {
		for _, a := range f.res.Accounts {
			if match(a) {
				u, err := org.UserByUsername(ctx, db.Read, a.Username)
				if err != nil {
					return nil, err
				}
				return org.LoadPrincipal(ctx, db.Read, u.ID)
			}
		}
		return nil, fmt.Errorf("no bench account fits")
	}
	if f.deep, err = pick(func(a benchdata.Account) bool { return a.Role == "officer" && a.Depth == 6 }); err != nil {
		return err
	}
	if f.organ, err = pick(func(a benchdata.Account) bool { return a.Role == "leader" }); err != nil {
		return err
	}
	if f.province, err = pick(func(a benchdata.Account) bool { return a.Role == "inspector" && a.UnitCode == "qh-zfw" }); err != nil {
		return err
	}
	f.organC = f.organ.UnitCode
	if err := db.Read.QueryRowContext(ctx, `SELECT code FROM units WHERE parent_id = $1 ORDER BY id LIMIT 1`, f.organ.UnitID).Scan(&f.deptC); err != nil {
		return err
	}
	f.handler = web.New(db, &config.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	for _, p := range []*org.Principal{f.deep, f.organ, f.province} {
		lr, err := auth.Login(ctx, db, auth.DefaultPolicy, p.Username, benchdata.Password)
		if err != nil {
			return err
		}
		f.cookies[p.Username] = lr.Token
	}
	return nil
}

// each runs fn as a sub-benchmark per engine.
func each(b *testing.B, fn func(b *testing.B, f *fixture)) {
	for _, d := range engines(b) {
		b.Run(string(d), func(b *testing.B) {
			f := getFixture(b, d)
			b.ReportAllocs()
			b.ResetTimer()
			fn(b, f)
		})
	}
}

// BenchmarkCan is the authorization decision for a person six levels deep:
// a target inside their unit (hit) and one in another branch (miss).
func BenchmarkCan(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		p := f.deep
		if strings.Count(p.UnitPath, "/")-1 != 6 {
			b.Fatalf("principal unit %s is not 6 levels deep", p.UnitPath)
		}
		hit := p.UnitPath
		miss := "/1/999999/999998/999997/999996/999995/"
		b.Run("hit", func(b *testing.B) {
			for b.Loop() {
				if !org.Can(p, org.UserRead, hit) {
					b.Fatal("denied")
				}
			}
		})
		b.Run("miss", func(b *testing.B) {
			for b.Loop() {
				if org.Can(p, org.UserRead, miss) {
					b.Fatal("allowed")
				}
			}
		})
	})
}

func BenchmarkLoadPrincipal(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := org.LoadPrincipal(ctx, f.db.Read, f.deep.UserID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSessionAuthenticate(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		ctx := context.Background()
		tok := f.cookies[f.deep.Username]
		for b.Loop() {
			if _, err := auth.Authenticate(ctx, f.db, auth.DefaultPolicy, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkListUnits(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		ctx := context.Background()
		b.Run("children-of-organ", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := org.ListUnits(ctx, f.db, f.organ, org.UnitFilter{ParentCode: f.organC, Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("province-scope-page", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := org.ListUnits(ctx, f.db, f.province, org.UnitFilter{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkListUsers(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		ctx := context.Background()
		b.Run("department", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := org.ListUsers(ctx, f.db, f.organ, org.UserFilter{UnitCode: f.deptC, Limit: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("organ-subtree", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := org.ListUsers(ctx, f.db, f.organ, org.UserFilter{UnitCode: f.organC, Limit: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("province-scope-page", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := org.ListUsers(ctx, f.db, f.province, org.UserFilter{Limit: 20}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkHandler serves whole requests in process (no network, no load
// generator): the harness to profile with -cpuprofile.
func BenchmarkHandler(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		cases := []struct{ name, user, path string }{
			{"home-officer", f.deep.Username, "/"},
			{"home-province", f.province.Username, "/"},
			{"units-officer", f.deep.Username, "/units"},
			{"unit-page-organ", f.organ.Username, "/units/" + f.organC},
			{"users-organ", f.organ.Username, "/users?unit=" + f.organC},
			{"api-me", f.deep.Username, "/api/v1/me"},
			{"api-units-children", f.organ.Username, "/api/v1/units?parent_code=" + f.organC},
			{"api-users-organ", f.organ.Username, "/api/v1/users?per_page=20&unit_code=" + f.organC},
		}
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				cpu0 := processCPU()
				for b.Loop() {
					req := httptest.NewRequest("GET", c.path, nil)
					req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: f.cookies[c.user]})
					w := httptest.NewRecorder()
					f.handler.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", c.path, w.Code, w.Body.String())
					}
				}
				reportCPU(b, cpu0)
			})
		}
	})
}

// processCPU is the CPU time this process has used (user and system). The
// machine is shared: wall time per operation swings with other load, CPU time
// per operation much less, and CPU is what the load test runs out of.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the process CPU time per operation since cpu0 (on the
// PostgreSQL engine this leaves out the database server's own CPU).
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
	}
}
