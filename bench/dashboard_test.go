package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/luoshi/luoshi/bench/benchdata"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/web"
)

// The 晴雨表 target (problem-ledger issue): a province-level dashboard in
// under 200 ms over 1,000,000 items. The benchmarks add generated items to
// the shared fixture once per engine: LUOSHI_BENCH_PROBLEMS of them (default
// 20,000, which keeps `go test -bench .` quick; set 1000000 to measure the
// target, with LUOSHI_BENCH_UNITS=20000 LUOSHI_BENCH_PEOPLE=200000 for the
// full tree).

var (
	problemsMu     sync.Mutex
	problemsLoaded = map[store.Dialect]error{}
)

func benchProblems() int {
	if n, err := strconv.Atoi(os.Getenv("LUOSHI_BENCH_PROBLEMS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

func withProblems(b *testing.B, f *fixture) {
	b.Helper()
	problemsMu.Lock()
	defer problemsMu.Unlock()
	err, done := problemsLoaded[f.db.Dialect]
	if !done {
		err = benchdata.GenerateProblems(context.Background(), f.db, benchdata.ProblemsConfig{N: benchProblems()})
		problemsLoaded[f.db.Dialect] = err
	}
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDashboard computes the 晴雨表 for the province inspector over the
// whole tree, for an organ leader over their organ, and serves the page and
// the API answer for the province.
func BenchmarkDashboard(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		withProblems(b, f)
		ctx := context.Background()
		l := ledger.New(f.db, nil)
		for _, c := range []struct {
			name string
			run  func() (ledger.Board, error)
		}{
			{"province", func() (ledger.Board, error) { return l.Dashboard(ctx, f.province, "") }},
			{"organ", func() (ledger.Board, error) { return l.Dashboard(ctx, f.organ, f.organC) }},
		} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					bd, err := c.run()
					if err != nil {
						b.Fatal(err)
					}
					if c.name == "province" && bd.Total.Count < benchProblems() {
						b.Fatalf("the province counts %d items, want at least %d", bd.Total.Count, benchProblems())
					}
				}
			})
		}
		for _, c := range []struct{ name, path string }{
			{"page-province", "/dashboard"},
			{"api-province", "/api/v1/problems/dashboard"},
		} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					req := httptest.NewRequest("GET", c.path, nil)
					req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: f.cookies[f.province.Username]})
					w := httptest.NewRecorder()
					f.handler.ServeHTTP(w, req)
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d %s", c.path, w.Code, w.Body.String())
					}
				}
			})
		}
	})
}
