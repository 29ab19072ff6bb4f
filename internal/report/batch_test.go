package report_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestConcurrentSubmissionsKeepTheDailyLimit: submissions that arrive
// together are committed in batches (one multi-row statement per table); the
// daily limit per client still holds exactly, a refused submission counts
// nothing, numbers stay consecutive, and each accepted report is complete
// (it decrypts through its receipt and key, and the audit chain verifies).
func TestConcurrentSubmissionsKeepTheDailyLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.r.Rules.PerDay = 5
		type result struct {
			addr string
			rc   report.Receipt
			err  error
		}
		var mu sync.Mutex
		var results []result
		var wg sync.WaitGroup
		for i := range 15 {
			addr := "203.0.113.9"
			if i%5 == 4 {
				addr = "198.51.100.7" // 3 of 15
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := report.Input{Category: "work", UnitCode: "k1-court", Subject: fmt.Sprintf("第%d件", i), Content: "群众反映的情况",
					Accused: []report.Accused{{Name: "孙法官"}}}
				rc, err := e.r.Submit(ctx, in, nil, addr)
				mu.Lock()
				results = append(results, result{addr, rc, err})
				mu.Unlock()
			}()
		}
		wg.Wait()
		ok := map[string]int{}
		numbers := map[string]bool{}
		for _, r := range results {
			if r.err != nil {
				if ae := apperr.As(r.err); ae == nil || ae.Kind != apperr.TooMany {
					t.Fatalf("%s: %v", r.addr, r.err)
				}
				continue
			}
			ok[r.addr]++
			numbers[r.rc.Number] = true
			v, err := e.r.Lookup(ctx, r.rc.Receipt, r.rc.Key)
			if err != nil || v.Content != "群众反映的情况" {
				t.Fatalf("look-up of %s: %v", r.rc.Number, err)
			}
		}
		if ok["203.0.113.9"] != 5 || ok["198.51.100.7"] != 3 {
			t.Fatalf("accepted per client: %v, want 5 and 3", ok)
		}
		for i := 1; i <= 8; i++ {
			if n := fmt.Sprintf("JB-2026-%06d", i); !numbers[n] {
				t.Fatalf("number %s missing: %v", n, numbers)
			}
		}
		var counted int
		if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(count), 0) FROM public_rate`).Scan(&counted); err != nil || counted != 8 {
			t.Fatalf("counted %d (%v), want 8: a refused submission counts nothing", counted, err)
		}
		var named int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM report_named`).Scan(&named); err != nil || named != 8 {
			t.Fatalf("report_named rows %d (%v), want 8", named, err)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}
