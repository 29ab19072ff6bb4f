package ledger_test

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// ledgerBook is a sheet of n rows in the header's format, spread over the
// fixture's units and people.
func ledgerBook(b *testing.B, n int) []byte {
	rows := [][]any{header}
	people := []string{"c-k-off", "c-k-hand", "测试c-hand", "c-dep"}
	for i := range n {
		unit := ""
		if i%4 < 2 {
			unit = "东城区委政法委"
		}
		rows = append(rows, []any{i + 1, "", "问题 " + strconv.Itoa(i) + ":执行案件超期未结,群众反映强烈", "督查巡察", "限期整改",
			"逐案清理,每周通报", unit, people[i%4], time.Date(2026, 12, 1+i%28, 0, 0, 0, 0, time.UTC)})
	}
	return book(b, rows, nil)
}

// BenchmarkImport parses and records a sheet of n rows (one transaction).
// Run: go test ./internal/ledger/ -run XXX -bench Import -benchtime 3x
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run("rows="+strconv.Itoa(n), func(b *testing.B) {
			for _, d := range storetest.Engines(b) {
				b.Run(string(d), func(b *testing.B) {
					f := setup(b, storetest.Open(b, d))
					data := ledgerBook(b, n)
					b.ReportAllocs()
					for b.Loop() {
						s, err := ledger.ParseSheet(data)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := f.l.Import(ctx, f.p["c-hand"], "c", "bench.xlsx", s, nil); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(n), "rows/op")
				})
			}
		})
	}
}

// BenchmarkExport writes n items as .xlsx (ids in order, then pages by id; StreamWriter).
// Run: go test ./internal/ledger/ -run XXX -bench Export -benchtime 3x
func BenchmarkExport(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run("rows="+strconv.Itoa(n), func(b *testing.B) {
			for _, d := range storetest.Engines(b) {
				b.Run(string(d), func(b *testing.B) {
					f := setup(b, storetest.Open(b, d))
					for left := n; left > 0; left -= ledger.MaxImportRows {
						s, err := ledger.ParseSheet(ledgerBook(b, min(left, ledger.MaxImportRows)))
						if err != nil {
							b.Fatal(err)
						}
						if _, err := f.l.Import(ctx, f.p["c-hand"], "c", "bench.xlsx", s, nil); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						got, err := f.l.Export(ctx, f.p["c-hand"], ledger.Filter{}, io.Discard)
						if err != nil || got != n {
							b.Fatal(got, err)
						}
					}
					b.ReportMetric(float64(n), "rows/op")
				})
			}
		})
	}
}
