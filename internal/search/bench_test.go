package search_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/text/tipdm"
)

// benchDocs is the number of ledger items of BenchmarkSearch
// (LUOSHI_BENCH_SEARCH_DOCS, default 20,000).
func benchDocs() int {
	if n, err := strconv.Atoi(os.Getenv("LUOSHI_BENCH_SEARCH_DOCS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// BenchmarkSearch fills the ledger with items whose titles and descriptions
// are real citizen messages (the TipDM set, attachments 3 and 4, sentences
// rotated per copy so copies differ), builds the index and measures queries
// of a province-wide inspector, who reaches every item: the worst case for
// the permission filter. It reports the index build time and the p50/p95
// of the query mix.
func BenchmarkSearch(b *testing.B) {
	var msgs []tipdm.Message
	for _, f := range []string{tipdm.Votes, tipdm.Replies} {
		ms, err := tipdm.Load(tipdm.TestDir, f)
		if errors.Is(err, tipdm.ErrMissing) {
			b.Skipf("data set absent (%v): measured where /work/shared/data/tipdm2020c exists", err)
		}
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, ms...)
	}
	n := benchDocs()
	for _, d := range storetest.Engines(b) {
		db := storetest.Open(b, d)
		e := newEnv(b, db)
		unit := unitID(b, db, "k1-ga")
		start := time.Now()
		b.Logf("fill %d items (%s)", n, loadavg())
		if err := fillProblems(db, unit, msgs, n); err != nil {
			b.Fatal(err)
		}
		fill := time.Since(start)
		start = time.Now()
		cpu0 := cpuTime()
		stop := make(chan struct{})
		go func() { // progress of a long build
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Minute):
				}
				var c int
				db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_docs`).Scan(&c)
				b.Logf("%s: %d indexed after %v, CPU %v (%s)", d, c, time.Since(start).Round(time.Second), (cpuTime() - cpu0).Round(time.Second), loadavg())
			}
		}()
		_, err := e.ix.Sync(ctx)
		close(stop)
		if err != nil {
			b.Fatal(err)
		}
		build := time.Since(start)
		buildCPU := cpuTime() - cpu0
		b.Logf("%s: index built in %v, this process's CPU %v (%s)", d, build.Round(time.Millisecond), buildCPU.Round(time.Millisecond), loadavg())
		// an incremental update: 100 items change now
		if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET updated_at = $1 + id WHERE id % 200 = 0 AND id <= 20000`, time.Now().UnixMilli()); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		upd, err := e.ix.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		incr := time.Since(start)
		b.Logf("%s: %d items filled in %v, index built in %v (%.0f items/s), %d changed items re-indexed in %v",
			db.Dialect, n, fill.Round(time.Millisecond), build.Round(time.Millisecond), float64(n)/build.Seconds(), upd, incr.Round(time.Millisecond))
		p := &org.Principal{UserID: -1, Username: "province", Grants: []org.Grant{{Role: org.RoleInspector, ScopePath: "/"}}}
		queries := []string{"拆迁", "噪音", "物业 收费", "公积金提取", "A3区", "一米阳光", "西地省 地铁", "小区 停车位 收费", "学位", "魅力之城 油烟", "区"}
		for _, q := range queries { // one pass, logged: which terms cost what
			t0 := time.Now()
			res, err := e.ix.Search(ctx, p, search.Params{Q: q, Limit: 20})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s %q: %d hits (more %v) in %v", d, q, len(res.Hits), res.More, time.Since(t0).Round(time.Microsecond))
		}
		b.Run(string(d), func(b *testing.B) {
			var times []time.Duration
			per := map[string][]time.Duration{}
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				q := queries[i%len(queries)]
				t0 := time.Now()
				if _, err := e.ix.Search(ctx, p, search.Params{Q: q, Limit: 20}); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(t0))
				per[q] = append(per[q], time.Since(t0))
			}
			cpu := cpuTime() - cpu0
			pct := func(times []time.Duration, p float64) float64 {
				slices.Sort(times)
				return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000
			}
			for _, q := range queries {
				if t := per[q]; len(t) > 0 {
					b.Logf("%s %q: %d runs, p50 %.1f ms, p95 %.1f ms", d, q, len(t), pct(t, 0.5), pct(t, 0.95))
				}
			}
			b.Logf("%s: %d searches, this process's CPU %v (%s)", d, len(times), cpu.Round(time.Millisecond), loadavg())
			b.ReportMetric(pct(times, 0.5), "p50-ms")
			b.ReportMetric(pct(times, 0.95), "p95-ms")
			b.ReportMetric(build.Seconds(), "build-s")
			b.ReportMetric(buildCPU.Seconds(), "build-cpu-s")
		})
	}
}

// cpuTime is the CPU time this process has used (on SQLite, the engine's
// work too; PostgreSQL's is in its own processes).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg is the machine's load average, for figures taken on shared cores.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(b))
	return "load " + strings.Join(f[:min(3, len(f))], " ")
}

// fillProblems writes n items, one a minute up to now (a million span
// about two years), so the index's margin and windows see a realistic
// rate of change.
func fillProblems(db *store.DB, unit int64, msgs []tipdm.Message, n int) error {
	now := time.Now().UnixMilli() - int64(n)*60_000
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		var vals []string
		var args []any
		for i := lo; i < min(n, lo+batch); i++ {
			m := msgs[i%len(msgs)]
			body := m.Body
			if k := i / len(msgs); k > 0 { // later copies: sentences rotated
				s := strings.Split(body, "。")
				r := k % len(s)
				body = strings.Join(append(s[r:], s[:r]...), "。")
			}
			base := len(args)
			ph := make([]string, 6)
			for j := range ph {
				ph[j] = "$" + strconv.Itoa(base+j+1)
				if db.Dialect != store.Postgres { // SQLite looks "$n" up by name: quadratic
					ph[j] = "?"
				}
			}
			vals = append(vals, "("+ph[0]+", "+ph[1]+", "+ph[2]+", 'self_check', 'immediate', "+ph[3]+", '2026-01-01', 'draft', 0, "+ph[4]+", "+ph[5]+")")
			args = append(args, fmt.Sprintf("WT-B-%07d", i), m.Subject, body, unit, now+int64(i)*60_000, now+int64(i)*60_000)
		}
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO problems (number, title, description, source, class, unit_id,
			start_day, status, created_by, created_at, updated_at) VALUES `+strings.Join(vals, ", "), args...); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkLedgerQ measures the ledger list's q filter (count and first
// page) on the items of BenchmarkSearch (LUOSHI_BENCH_SEARCH_DOCS), with
// the plain LIKE scan and narrowed by the index (Ledger.TextMatch), for a
// province-wide inspector.
func BenchmarkLedgerQ(b *testing.B) {
	var msgs []tipdm.Message
	for _, f := range []string{tipdm.Votes, tipdm.Replies} {
		ms, err := tipdm.Load(tipdm.TestDir, f)
		if errors.Is(err, tipdm.ErrMissing) {
			b.Skipf("data set absent (%v): measured where /work/shared/data/tipdm2020c exists", err)
		}
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, ms...)
	}
	n := benchDocs()
	for _, d := range storetest.Engines(b) {
		db := storetest.Open(b, d)
		e := newEnv(b, db)
		if err := fillProblems(db, unitID(b, db, "k1-ga"), msgs, n); err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		if _, err := e.ix.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d items, index built in %v, this process's CPU %v (%s)", d, n, time.Since(start).Round(time.Millisecond),
			(cpuTime() - cpu0).Round(time.Millisecond), loadavg())
		p := &org.Principal{UserID: -1, Username: "province", Grants: []org.Grant{{Role: org.RoleInspector, ScopePath: "/"}}}
		plain := *e.l
		plain.TextMatch = nil
		indexed := *e.l
		indexed.TextMatch = e.ix.ProblemMatch
		for _, q := range []string{"WT-B-00123", "公积金提取", "A3区", "噪音", "小区 停车位", "00123"} {
			for _, c := range []struct {
				name string
				l    *ledger.Ledger
			}{{"LIKE", &plain}, {"index", &indexed}} {
				var times []time.Duration
				total := 0
				for range 5 {
					t0 := time.Now()
					_, tot, err := c.l.List(ctx, p, ledger.Filter{Q: q})
					if err != nil {
						b.Fatal(err)
					}
					times, total = append(times, time.Since(t0)), tot
				}
				slices.Sort(times)
				b.Logf("%s q=%q %s: %d items, p50 %v, max %v (%s)", d, q, c.name, total, times[2].Round(time.Microsecond),
					times[4].Round(time.Microsecond), loadavg())
			}
		}
	}
}
