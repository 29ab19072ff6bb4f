// Command ledgerbench measures the problem ledger's reads and its daily job
// on a database that bench/gen filled (with --problems), in process, the way
// the server calls them:
//
//	go run ./bench/ledgerbench --data DIR [--db URL] [--n 40] [--daily]
//	go run ./bench/ledgerbench --data DIR [--db URL] --import SHEET.xlsx --unit CODE --as USER [--cpuprofile FILE]
//	go run ./bench/ledgerbench --data DIR [--db URL] --export OUT.xlsx --as USER [--cpuprofile FILE]
//
// --import and --export do what `luoshi ledger import|export` do (the same
// calls, in the same order), timed and optionally under the CPU profiler.
//
// Before measuring reads it folds the maintained counts' pending changes
// (left by an import or by writes since) as the ledger_tally job does every
// minute in production; --import does the same after the import, timed apart.
//
// It prints, per realistic list filter, the p50/p95/max of List (the count
// and the first page of 50), the same for the province-level dashboard, and
// with --daily the time of one run of the daily job (RefreshLights, Escalate).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/warn"
)

func main() {
	data := flag.String("data", "", "data folder of the SQLite database (DIR/luoshi.db)")
	dbURL := flag.String("db", "", "postgres:// URL instead of SQLite")
	n := flag.Int("n", 40, "iterations per read")
	daily := flag.Bool("daily", false, "also run the daily job (RefreshLights, Escalate) once, timed")
	only := flag.String("only", "", "comma-separated case names to run (default all)")
	imp := flag.String("import", "", "import this .xlsx (with --unit and --as) instead of measuring reads")
	exp := flag.String("export", "", "export the whole ledger (in --as's reach) to this .xlsx instead of measuring reads")
	unit := flag.String("unit", "", "with --import: the unit code")
	as := flag.String("as", "", "with --import or --export: the username")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of --import or --export to this file")
	jobPeriods := flag.String("job-periods", "", "with --job: only these periods (comma-separated keys, e.g. 2026-Q4,2026-Q3)")
	job := flag.Bool("job", false, "first run the scorecard and warnings snapshot job once over every maintained period, timed (the cases then read the snapshots)")
	flag.Parse()
	var err error
	if *imp != "" || *exp != "" {
		err = sheetRun(*data, *dbURL, *imp, *exp, *unit, *as, *cpuprofile)
	} else {
		err = run(*data, *dbURL, *n, *daily, *only, *job, *jobPeriods)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(1)
	}
}

func principalOf(ctx context.Context, db *store.DB, query string, args ...any) (*org.Principal, error) {
	var id int64
	if err := db.Read.QueryRowContext(ctx, query, args...).Scan(&id); err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	return org.LoadPrincipal(ctx, db.Read, id)
}

func run(data, dbURL string, n int, daily bool, only string, job bool, jobPeriods string) error {
	target := dbURL
	if target == "" {
		target = filepath.Join(data, "luoshi.db")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	t0 := time.Now()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Printf("migrations checked/applied in %.1f s\n", time.Since(t0).Seconds())
	l := ledger.New(db, nil)
	// the list's text filter through the search index, as the server wires it
	// (internal/web); with no index built the ledger scans, as there
	l.TextMatch = search.New(db, nil, nil).ProblemMatch
	if err := compact(ctx, db, l); err != nil {
		return err
	}
	var items int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems`).Scan(&items); err != nil {
		return err
	}
	// the province inspector of bench/gen: an inspector of the province's 政法委
	province, err := principalOf(ctx, db, `SELECT MIN(ur.user_id) FROM user_roles ur JOIN users us ON us.id = ur.user_id
		JOIN units u ON u.id = us.unit_id WHERE ur.role = 'inspector' AND u.code = 'qh-zfw'`)
	if err != nil {
		return err
	}
	// an organ leader (a county's public security bureau: a big organ with police posts)
	leader, err := principalOf(ctx, db, `SELECT MIN(ur.user_id) FROM user_roles ur JOIN units u ON u.id = ur.scope_unit_id
		WHERE ur.role = 'leader' AND u.kind = 'organ' AND u.depth = 4 AND u.code LIKE '%-ga'`)
	if err != nil {
		return err
	}
	var city, organ, respName string
	if err := db.Read.QueryRowContext(ctx, `SELECT code FROM units WHERE kind = 'city' ORDER BY id LIMIT 1`).Scan(&city); err != nil {
		return fmt.Errorf("city: %w", err)
	}
	if err := db.Read.QueryRowContext(ctx, `SELECT code FROM units WHERE id = $1`, leader.UnitID).Scan(&organ); err != nil {
		return err
	}
	// a responsible person with items: the one of the middle item
	if err := db.Read.QueryRowContext(ctx, `SELECT us.username FROM problems pr JOIN users us ON us.id = pr.responsible_id
		WHERE pr.id >= (SELECT MAX(id) / 2 FROM problems) ORDER BY pr.id LIMIT 1`).Scan(&respName); err != nil {
		return fmt.Errorf("responsible: %w", err)
	}
	// text filters that find something in any data set: the number of the
	// middle item, and the first words of its title
	var midNumber, midTitle string
	if err := db.Read.QueryRowContext(ctx, `SELECT number, title FROM problems WHERE id >= (SELECT MAX(id) / 2 FROM problems) ORDER BY id LIMIT 1`).
		Scan(&midNumber, &midTitle); err != nil {
		return fmt.Errorf("middle item: %w", err)
	}
	midTitle = string([]rune(midTitle)[:min(6, len([]rune(midTitle)))])
	today := time.Now().In(time.FixedZone("CST", 8*3600))
	from, to := today.AddDate(0, 0, -30).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly)
	fmt.Printf("%s, %d items; province inspector %s, organ leader %s of %s, city %s, responsible %s; text filters %q, %q\n",
		db.Dialect, items, province.Username, leader.Username, organ, city, respName, midNumber, midTitle)

	type listCase struct {
		name string
		p    *org.Principal
		f    ledger.Filter
	}
	cases := []listCase{
		{"province-default", province, ledger.Filter{}},
		{"city-subtree+in_progress", province, ledger.Filter{Unit: city, Status: "in_progress"}},
		{"province-red", province, ledger.Filter{Light: "red"}},
		{"province-red-sort-light", province, ledger.Filter{Light: "red", Sort: "light"}},
		{"province-active+deadline-range", province, ledger.Filter{Status: ledger.StatusActive, DeadlineFrom: from, DeadlineTo: to}},
		{"province-deadline-range", province, ledger.Filter{DeadlineFrom: from, DeadlineTo: to}},
		{"province-responsible", province, ledger.Filter{Responsible: respName}},
		{"province-q-number", province, ledger.Filter{Q: "WT-B-00123"}},
		{"province-q-title", province, ledger.Filter{Q: "基准问题 4321"}},
		{"province-q-item-number", province, ledger.Filter{Q: midNumber}},
		{"province-q-item-title", province, ledger.Filter{Q: midTitle}},
		{"city-q-item-title", province, ledger.Filter{Unit: city, Q: midTitle}},
		{"organ-leader-q-item-title", leader, ledger.Filter{Q: midTitle}},
		{"province-created-newest", province, ledger.Filter{Sort: "-created"}},
		{"organ-leader-default", leader, ledger.Filter{}},
		{"organ-leader-active", leader, ledger.Filter{Status: ledger.StatusActive}},
		{"organ-leader-red", leader, ledger.Filter{Light: "red"}},
	}
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s != "" {
			want[s] = true
		}
	}
	measure := func(name string, fn func() (string, error)) error {
		if len(want) > 0 && !want[name] {
			return nil
		}
		var ds []time.Duration
		var info string
		began := time.Now()
		// a slow case stops after 20 s of runs (at least 3 timed ones)
		for i := 0; i < n+1 && (i < 4 || time.Since(began) < 20*time.Second); i++ {
			t := time.Now()
			s, err := fn()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if i == 0 {
				info = s // the first (cold) run is left out of the figures
				continue
			}
			ds = append(ds, time.Since(t))
		}
		slices.Sort(ds)
		p := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
		fmt.Printf("%-34s p50 %8.2f ms  p95 %8.2f ms  max %8.2f ms  runs %2d  %s\n", name, ms(p(0.5)), ms(p(0.95)), ms(ds[len(ds)-1]), len(ds), info)
		return nil
	}
	for _, c := range cases {
		if err := measure(c.name, func() (string, error) {
			page, total, err := l.List(ctx, c.p, c.f)
			return fmt.Sprintf("(%d of %d)", len(page), total), err
		}); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		name string
		p    *org.Principal
		unit string
	}{{"dashboard-province", province, ""}, {"dashboard-city", province, city}, {"dashboard-organ", leader, organ}} {
		if err := measure(c.name, func() (string, error) {
			b, err := l.Dashboard(ctx, c.p, c.unit)
			return fmt.Sprintf("(%d items)", b.Total.Count), err
		}); err != nil {
			return err
		}
	}
	// 民标: one unit's scorecard page (computed now, the quarter) and its
	// warnings, as GET /scorecards and /warnings read them
	sc, wr := score.New(db), warn.New(db)
	quarter := score.Containing(score.Quarter, today).Key
	if job {
		// the job's full recompute, period by period (what score_snapshot and
		// warn_snapshot do when every period is due)
		var total time.Duration
		for _, per := range score.SnapshotPeriods(sc.Today()) {
			if jobPeriods != "" && !slices.Contains(strings.Split(jobPeriods, ","), per.Key) {
				continue
			}
			t := time.Now()
			sn, err := sc.SnapshotPeriod(ctx, per)
			if err != nil {
				return fmt.Errorf("snapshot %s: %w", per.Key, err)
			}
			ts := time.Since(t)
			fmt.Printf("job %-8s scorecards %8.2f s (%d units)\n", per.Key, ts.Seconds(), sn.Units)
			if per.Kind == score.Year { // the job keeps no year of warnings
				total += ts
				continue
			}
			t = time.Now()
			wn, err := wr.SnapshotPeriod(ctx, per)
			if err != nil {
				return fmt.Errorf("warnings %s: %w", per.Key, err)
			}
			tw := time.Since(t)
			total += ts + tw
			fmt.Printf("job %-8s warnings   %8.2f s (%d flags)\n", per.Key, tw.Seconds(), wn.Flags)
		}
		fmt.Printf("job total %.2f s\n", total.Seconds())
	}
	for _, c := range []struct {
		name string
		p    *org.Principal
		unit string
	}{{"scorecard-organ", leader, organ}, {"scorecard-city", province, city}} {
		if err := measure(c.name, func() (string, error) {
			v, err := sc.View(ctx, c.p, c.unit, quarter)
			return fmt.Sprintf("(%s, %d siblings, snapshot %v)", quarter, len(v.Siblings), v.Snapshot != nil), err
		}); err != nil {
			return err
		}
	}
	var root string
	if err := db.Read.QueryRowContext(ctx, `SELECT code FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&root); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		p    *org.Principal
		unit string
	}{{"warnings-organ", leader, organ}, {"warnings-province", province, root}} {
		if err := measure(c.name, func() (string, error) {
			fl, sn, err := wr.ListSnapshot(ctx, c.p, c.unit, quarter)
			return fmt.Sprintf("(%d flags, snapshot %v)", len(fl), sn != nil), err
		}); err != nil {
			return err
		}
	}
	if daily {
		var open int
		if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems WHERE status IN ('open', 'in_progress', 'reopened', 'pending_verification', 'draft')`).Scan(&open); err != nil {
			return err
		}
		t := time.Now()
		relit, err := l.RefreshLights(ctx)
		if err != nil {
			return err
		}
		tl := time.Since(t)
		t = time.Now()
		sent, err := l.Escalate(ctx)
		if err != nil {
			return err
		}
		te := time.Since(t)
		fmt.Printf("daily job over %d unclosed items: RefreshLights %.2f s (%d relit), Escalate %.2f s (%d digests), total %.2f s\n",
			open, tl.Seconds(), relit, te.Seconds(), sent, (tl + te).Seconds())
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sheetRun imports or exports as the luoshi ledger commands do, and prints
// the wall and CPU time of each step.
func sheetRun(data, dbURL, imp, exp, unit, as, cpuprofile string) error {
	target := dbURL
	if target == "" {
		target = filepath.Join(data, "luoshi.db")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	p, err := principalOf(ctx, db, `SELECT id FROM users WHERE username = $1`, as)
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	l := ledger.New(db, nil)
	began, cpu0 := time.Now(), cpuTime()
	step := func(name string) {
		fmt.Printf("%-8s wall %7.2f s  cpu %7.2f s\n", name, time.Since(began).Seconds(), cpuTime()-cpu0)
		began, cpu0 = time.Now(), cpuTime()
	}
	if exp != "" {
		out, err := os.Create(exp)
		if err != nil {
			return err
		}
		defer out.Close()
		n, err := l.Export(ctx, p, ledger.Filter{}, out)
		if err != nil {
			return err
		}
		step("export")
		fmt.Printf("%d rows\n", n)
		return out.Close()
	}
	raw, err := os.ReadFile(imp)
	if err != nil {
		return err
	}
	sheet, err := ledger.ParseSheet(raw)
	if err != nil {
		return err
	}
	step("parse")
	if err := l.CheckImport(ctx, p, unit, sheet); err != nil {
		return err
	}
	if len(sheet.Errors) > 0 {
		return fmt.Errorf("%d rows with errors, the first: line %d: %v", len(sheet.Errors), sheet.Errors[0].Line, sheet.Errors[0].Err)
	}
	step("check")
	res, err := l.Import(ctx, p, unit, filepath.Base(imp), sheet, nil)
	if err != nil {
		return err
	}
	step("import")
	fmt.Printf("recorded %d items, %s to %s\n", res.Created, res.First, res.Last)
	// what the ledger_tally job does within a minute in production; timed
	// apart (it is not part of the import), so the next read run measures
	// compacted counts
	if err := compact(ctx, db, l); err != nil {
		return err
	}
	step("compact")
	return nil
}

// compact folds the maintained counts' pending changes into their rows, as
// the ledger_tally job does every minute in production: an import leaves
// one pending change per item (and two day lines), which every count read
// adds up until the job runs. It prints how many there were.
func compact(ctx context.Context, db *store.DB, l *ledger.Ledger) error {
	var tally, days int
	if err := db.Read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM problem_tally_delta), (SELECT COUNT(*) FROM problem_day_delta)`).
		Scan(&tally, &days); err != nil {
		return err
	}
	if tally+days == 0 {
		return nil
	}
	t := time.Now()
	if err := l.CompactTally(ctx); err != nil {
		return fmt.Errorf("compacting the counts: %w", err)
	}
	fmt.Printf("compacted %d pending count changes and %d day changes (the ledger_tally job) in %.2f s\n", tally, days, time.Since(t).Seconds())
	return nil
}

// cpuTime is the process's user and system CPU time in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
