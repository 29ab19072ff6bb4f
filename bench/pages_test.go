package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/luoshi/luoshi/bench/benchdata"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/web"
)

// mixWorker is one of the load generator's workers: a bench account signed in
// and the unit codes it read from the API at the start.
type mixWorker struct {
	cookie string
	units  []string
}

// mixWorkers signs in the first n bench accounts, as `bench/loadgen --mix
// pages --concurrency n` does, and reads each one's 50 unit codes.
func (f *fixture) mixWorkers(b *testing.B, n int) []mixWorker {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if len(f.mix) >= n {
		return f.mix[:n]
	}
	ctx := context.Background()
	f.mix = nil
	for _, a := range f.res.Accounts[:n] {
		lr, err := auth.Login(ctx, f.db, auth.DefaultPolicy, a.Username, benchdata.Password)
		if err != nil {
			b.Fatal(err)
		}
		w := mixWorker{cookie: lr.Token}
		req := httptest.NewRequest("GET", "/api/v1/units?per_page=50", nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: w.cookie})
		rec := httptest.NewRecorder()
		f.handler.ServeHTTP(rec, req)
		var units struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &units); err != nil || len(units.Items) == 0 {
			b.Fatalf("%s: units %d %v %.200s", a.Username, rec.Code, err, rec.Body.String())
		}
		for _, u := range units.Items {
			w.units = append(w.units, u.Code)
		}
		f.mix = append(f.mix, w)
	}
	return f.mix
}

// BenchmarkPagesMix serves the load test's `pages` mix in process: the same 32
// accounts (province and city inspectors, leaders, deputies, handlers,
// officers) and the same unit codes as `bench/run.sh`, one route per
// sub-benchmark, requests spread evenly over the workers. cpu-µs/op is what
// the load test runs out of; the mean of the four is the CPU of one page view
// of the mix.
func BenchmarkPagesMix(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		ws := f.mixWorkers(b, 32)
		routes := []struct {
			name string
			path func(unit string) string
		}{
			{"home", func(string) string { return "/" }},
			{"units", func(string) string { return "/units" }},
			{"unit-page", func(u string) string { return "/units/" + url.PathEscape(u) }},
			{"users", func(u string) string { return "/users?unit=" + url.QueryEscape(u) }},
		}
		for _, rt := range routes {
			b.Run(rt.name, func(b *testing.B) {
				cpu0 := processCPU()
				i := 0
				for b.Loop() {
					w := ws[i%len(ws)]
					unit := w.units[(i/len(ws)*7+i)%len(w.units)]
					i++
					req := httptest.NewRequest("GET", rt.path(unit), nil)
					req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: w.cookie})
					rec := httptest.NewRecorder()
					f.handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d %.300s", req.URL, rec.Code, rec.Body.String())
					}
				}
				reportCPU(b, cpu0)
			})
		}
	})
}
