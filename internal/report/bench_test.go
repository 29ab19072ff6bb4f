package report_test

import (
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// BenchmarkSubmit is one public submission with encryption and a durable
// commit, submitters in parallel (group commit batches them).
func BenchmarkSubmit(b *testing.B) {
	for _, d := range storetest.Engines(b) {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			e := newEnv(&testing.T{}, db)
			e.r.Rules.PerDay = 0
			in := report.Input{Category: "work", UnitCode: "k1-court-xs", Subject: "压测", Content: strings.Repeat("群众反映的具体情况。", 40),
				Accused: []report.Accused{{Name: "某某", Post: "民警"}}, Reporter: &report.Identity{Name: "压测", Phone: "13800000000"}}
			b.SetParallelism(25) // 50 submitters on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.r.Submit(ctx, in, nil, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkLookup is a reporter's look-up by receipt and key (slow hash included).
func BenchmarkLookup(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	e := newEnv(&testing.T{}, db)
	rc, err := e.r.Submit(ctx, report.Input{Category: "work", UnitCode: "k1-court", Subject: "s", Content: "c"}, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := e.r.Lookup(ctx, rc.Receipt, rc.Key); err != nil {
			b.Fatal(err)
		}
	}
}
