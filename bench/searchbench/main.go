// Command searchbench measures the staff search (internal/search) on a
// persistent corpus of ledger items with realistic Chinese text: built once,
// then queried as often as wanted without building again.
//
//	go run ./bench/searchbench --data /work/data-search --docs 1000000          # SQLite
//	go run ./bench/searchbench --db postgres://…/luoshi_search --docs 1000000   # PostgreSQL
//
// A first run fills the database: a generated unit tree (bench/benchdata:
// 20,000 units) and --docs items whose titles and descriptions are the
// citizen messages of the TipDM data set (/work/shared/data/tipdm2020c, read
// at run time, never stored in the repository) recombined: each item takes a
// message's subject and sentences, rotated and mixed with a sentence of
// another message, so a million items keep the messages' length and
// vocabulary without being copies of 7,000 texts. It then builds the search
// index (the indexer job's own Sync), timed. Later runs find the items and
// the index there and only measure: the query set of queryClasses, per
// class, as the users of principals (a province inspector down to an officer
// who sees only the items he is responsible for), p50/p95/p99 and CPU per
// query; then --update items are changed and indexed again (the incremental
// cost per item).
//
// CPU: this process's (on SQLite the engine's work too) and, on PostgreSQL,
// that of the server processes serving this database (from /proc), so the
// figures hold on a shared machine where wall time mostly measures others.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luoshi/luoshi/bench/benchdata"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text/tipdm"
)

func main() {
	data := flag.String("data", "", "data folder of the SQLite database (DIR/luoshi.db)")
	dbURL := flag.String("db", "", "postgres:// URL instead of SQLite")
	docs := flag.Int("docs", 1_000_000, "ledger items the corpus holds (added when fewer)")
	tipdmDir := flag.String("tipdm", "../shared/data/tipdm2020c", "folder of the TipDM data set (the default: run from the repository root)")
	runs := flag.Int("runs", 15, "runs of each query per user")
	update := flag.Int("update", 1000, "items changed and indexed again after the queries (0: none)")
	only := flag.String("only", "", "run only these query classes (comma-separated)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the index build and the queries")
	noQuery := flag.Bool("build-only", false, "fill and build, measure nothing else")
	fillOnly := flag.Bool("fill-only", false, "fill the corpus, build no index")
	flag.Parse()
	target := *dbURL
	if target == "" {
		if *data == "" {
			fmt.Fprintln(os.Stderr, "searchbench: --data or --db")
			os.Exit(2)
		}
		target = filepath.Join(*data, "luoshi.db")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "searchbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(target, *tipdmDir, *docs, *runs, *update, *only, *noQuery, *fillOnly); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Printf("%s  "+format+"  (%s)\n", append([]any{time.Now().UTC().Format("15:04:05")}, append(args, loadavg())...)...)
}

func run(target, tipdmDir string, n, runs, update int, only string, noQuery, fillOnly bool) error {
	ctx := context.Background()
	db, err := store.Open(ctx, target)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	var units int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM units`).Scan(&units); err != nil {
		return err
	}
	if units == 0 {
		logf("generating the unit tree")
		if _, err := benchdata.Generate(ctx, db, benchdata.Config{Units: 20_000, People: 40_000, Progress: os.Stdout}); err != nil {
			return err
		}
	}
	var have int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems WHERE number LIKE 'SB-%'`).Scan(&have); err != nil {
		return err
	}
	if have < n {
		msgs, err := loadMessages(tipdmDir)
		if err != nil {
			return err
		}
		logf("adding items %d..%d", have, n)
		t0, c0 := time.Now(), cpuTime()
		if err := fill(ctx, db, msgs, have, n); err != nil {
			return err
		}
		logf("filled %d items in %v, CPU %v", n-have, time.Since(t0).Round(time.Second), (cpuTime() - c0).Round(time.Second))
	}
	if fillOnly {
		return nil
	}
	ix := search.New(db, nil, nil)
	pg := newPGCPU(target)
	var indexed int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_docs`).Scan(&indexed); err != nil {
		return err
	}
	t0, c0, p0 := time.Now(), cpuTime(), pg.cpu()
	stop := progress(db, t0, c0)
	built, err := ix.Sync(ctx)
	stop()
	if err != nil {
		return err
	}
	if built > 0 {
		wall, cpu, pcpu := time.Since(t0), cpuTime()-c0, pg.cpu()-p0
		logf("index: %d items indexed (%d were) in %v; CPU: this process %v (%.3f ms/item), PostgreSQL server %v (%.3f ms/item)",
			built, indexed, wall.Round(time.Second), cpu.Round(time.Second), ms(cpu)/float64(built), pcpu.Round(time.Second), ms(pcpu)/float64(built))
	}
	if noQuery {
		return nil
	}
	if err := queries(ctx, db, ix, pg, runs, only); err != nil {
		return err
	}
	if update > 0 {
		return incremental(ctx, db, ix, pg, update)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// progress logs the build every two minutes.
func progress(db *store.DB, t0 time.Time, c0 time.Duration) func() {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Minute):
			}
			var c int
			db.Read.QueryRow(`SELECT COUNT(*) FROM search_docs`).Scan(&c)
			logf("… %d indexed after %v, CPU %v", c, time.Since(t0).Round(time.Second), (cpuTime() - c0).Round(time.Second))
		}
	}()
	return func() { close(done) }
}

func loadMessages(dir string) ([]tipdm.Message, error) {
	var out []tipdm.Message
	for _, f := range []string{tipdm.Votes, tipdm.Replies, tipdm.Labeled} {
		ms, err := tipdm.Load(dir, f)
		if errors.Is(err, tipdm.ErrMissing) {
			return nil, fmt.Errorf("the TipDM data set is needed to build the corpus (--tipdm): %w", err)
		}
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if strings.TrimSpace(m.Body) != "" {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// sentences splits a message body after each 。！？ (kept).
func sentences(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == '。' || r == '！' || r == '？' {
			end := i + len(string(r))
			out = append(out, s[start:end])
			start = end
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, s[start:])
	}
	return out
}

// item is the text of the i-th item: message i mod len(msgs) for the first
// copy; later copies rotate its sentences and swap one for a sentence of
// another message (chosen from i), so no two copies are equal.
func item(msgs []tipdm.Message, i int) (title, body string) {
	m := msgs[i%len(msgs)]
	k := i / len(msgs)
	if k == 0 {
		return m.Subject, m.Body
	}
	r := rand.New(rand.NewPCG(uint64(i), 7))
	s := sentences(m.Body)
	rot := k % len(s)
	s = append(s[rot:len(s):len(s)], s[:rot]...)
	o := sentences(msgs[r.IntN(len(msgs))].Body)
	s[r.IntN(len(s))] = o[r.IntN(len(o))]
	return m.Subject, strings.Join(s, "")
}

// fill adds items from..n-1, one every span/n up to now, over every unit;
// a third have a responsible person (an officer sees those).
func fill(ctx context.Context, db *store.DB, msgs []tipdm.Message, from, n int) error {
	type unit struct{ id, person int64 }
	var us []unit
	rows, err := db.Read.QueryContext(ctx, `SELECT u.id, COALESCE(MIN(p.id), 0) FROM units u LEFT JOIN users p ON p.unit_id = u.id GROUP BY u.id ORDER BY u.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.id, &u.person); err != nil {
			rows.Close()
			return err
		}
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var creator int64
	if err := db.Read.QueryRowContext(ctx, `SELECT MIN(id) FROM users`).Scan(&creator); err != nil {
		return err
	}
	if db.Dialect == store.SQLite {
		if _, err := db.Write.ExecContext(ctx, `PRAGMA cache_size = -1000000`); err != nil {
			return err
		}
	}
	const span = 2 * 365 * 24 * time.Hour
	end := time.Now().Add(-time.Hour).UnixMilli()
	step := span.Milliseconds() / int64(n)
	statuses := []string{"closed", "in_progress", "open", "pending_verification", "draft"}
	const perStmt, perTx = 1000, 20_000
	t0 := time.Now()
	for lo := from; lo < n; lo += perTx {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for s := lo; s < min(n, lo+perTx); s += perStmt {
				var vals []string
				var args []any
				arg := func(v any) string {
					args = append(args, v)
					if db.Dialect == store.Postgres {
						return "$" + strconv.Itoa(len(args))
					}
					return "?" // SQLite looks "$n" up by name: quadratic
				}
				for i := s; i < min(n, s+perStmt); i++ {
					title, body := item(msgs, i)
					u := us[(i*7919)%len(us)]
					var resp any
					if i%3 == 0 && u.person != 0 {
						resp = u.person
					}
					at := end - int64(n-i)*step
					day := time.UnixMilli(at).UTC().Format(time.DateOnly)
					vals = append(vals, "("+arg(fmt.Sprintf("SB-%07d", i))+", "+arg(title)+", "+arg(body)+", 'citizen_report', 'deadline', "+
						arg(u.id)+", "+arg(resp)+", "+arg(day)+", "+arg(statuses[i%len(statuses)])+", "+arg(creator)+", "+arg(at)+", "+arg(at)+")")
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO problems (number, title, description, source, class, unit_id, responsible_id,
					start_day, status, created_by, created_at, updated_at) VALUES `+strings.Join(vals, ", "), args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if done := min(n, lo+perTx); done%100_000 == 0 || done == n {
			logf("… %d items after %v", done, time.Since(t0).Round(time.Second))
		}
	}
	// the items' table only: statistics of the (empty) search index would
	// mislead the planner once it is built (search.dropFTSStats)
	_, err = db.Write.ExecContext(ctx, `ANALYZE problems`)
	return err
}

// queryClass is one kind of query a user types.
type queryClass struct {
	name string
	qs   []string
}

// queryClasses: two-character words, phrases, several words, mixed
// latin/number and Chinese, item numbers, rare and very common terms.
func queryClasses(db *store.DB, ctx context.Context) []queryClass {
	// numbers of real items (an old one, a recent one) and a part of one
	var n1, n2 string
	db.Read.QueryRowContext(ctx, `SELECT number FROM problems WHERE number LIKE 'SB-%' ORDER BY id LIMIT 1 OFFSET 1234`).Scan(&n1)
	db.Read.QueryRowContext(ctx, `SELECT MAX(number) FROM problems WHERE number LIKE 'SB-%'`).Scan(&n2)
	return []queryClass{
		{"two-char", []string{"拆迁", "噪音", "学位", "油烟", "物业"}},
		{"phrase", []string{"公积金提取", "\"小区 停车位\"", "违章建筑", "垃圾处理站"}},
		{"words", []string{"物业 收费", "小区 停车位 收费", "西地省 地铁", "魅力之城 油烟"}},
		{"mixed", []string{"A3区", "A3区 一米阳光", "一米阳光", "K8县 教师"}},
		{"number", []string{n1, n2, strings.TrimPrefix(n1, "SB-")}},
		{"rare", []string{"蚯蚓", "高铁站 噪音 夜间", "不存在的词语组合"}},
		{"common", []string{"小区", "问题", "区", "市", "我们 希望"}},
	}
}

// principals are the users who search: from the widest reach to the
// narrowest, as the generated tree grants them.
func principals(ctx context.Context, db *store.DB) ([]named, error) {
	var out []named
	for _, c := range []struct {
		name, q string
	}{
		{"province inspector", `SELECT ur.user_id FROM user_roles ur JOIN units u ON u.id = ur.scope_unit_id WHERE ur.role = 'inspector' AND u.depth = (SELECT MIN(depth) FROM units) ORDER BY ur.user_id LIMIT 1`},
		{"city inspector", `SELECT ur.user_id FROM user_roles ur JOIN units u ON u.id = ur.scope_unit_id WHERE ur.role = 'inspector' AND u.kind = 'city' ORDER BY ur.user_id LIMIT 1`},
		{"organ leader", `SELECT ur.user_id FROM user_roles ur JOIN units u ON u.id = ur.scope_unit_id WHERE ur.role = 'leader' AND u.kind = 'organ' ORDER BY ur.user_id DESC LIMIT 1`},
		{"handler", `SELECT ur.user_id FROM user_roles ur WHERE ur.role = 'handler' ORDER BY ur.user_id LIMIT 1`},
		{"officer", `SELECT p.responsible_id FROM problems p JOIN user_roles ur ON ur.user_id = p.responsible_id AND ur.role = 'officer'
			WHERE p.responsible_id NOT IN (SELECT user_id FROM user_roles WHERE role <> 'officer') ORDER BY p.id LIMIT 1`},
	} {
		var id int64
		if err := db.Read.QueryRowContext(ctx, c.q).Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		p, err := org.LoadPrincipal(ctx, db.Read, id)
		if err != nil {
			return nil, err
		}
		out = append(out, named{c.name, p})
	}
	return out, nil
}

type named struct {
	name string
	p    *org.Principal
}

func pct(ts []time.Duration, p float64) float64 {
	s := slices.Clone(ts)
	slices.Sort(s)
	return ms(s[int(p*float64(len(s)-1)+0.5)])
}

func queries(ctx context.Context, db *store.DB, ix *search.Index, pg *pgCPU, runs int, only string) error {
	users, err := principals(ctx, db)
	if err != nil {
		return err
	}
	classes := queryClasses(db, ctx)
	var all []time.Duration
	perUser := map[string][]time.Duration{}
	userCPU, userPG := map[string]time.Duration{}, map[string]time.Duration{}
	var cpu, pcpu time.Duration
	fmt.Printf("\n| class | query | user | hits | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|---|\n")
	perClass := map[string][]time.Duration{}
	for _, c := range classes {
		if only != "" && !slices.Contains(strings.Split(only, ","), c.name) {
			continue
		}
		for _, q := range c.qs {
			for _, u := range users {
				var ts []time.Duration
				var hits int
				more := false
				// CPU around the searches only (reading the servers' CPU
				// from /proc costs this process some)
				p0 := pg.cpu()
				c0 := cpuTime()
				for range runs {
					t0 := time.Now()
					res, err := ix.Search(ctx, u.p, search.Params{Q: q, Limit: 20})
					if err != nil {
						return fmt.Errorf("%q as %s: %w", q, u.name, err)
					}
					ts = append(ts, time.Since(t0))
					hits, more = len(res.Hits), res.More
				}
				dc, pc := cpuTime()-c0, pg.cpu()-p0
				cpu, pcpu = cpu+dc, pcpu+pc
				userCPU[u.name] += dc
				userPG[u.name] += pc
				perUser[u.name] = append(perUser[u.name], ts...)
				h := strconv.Itoa(hits)
				if more {
					h += "+"
				}
				fmt.Printf("| %s | %s | %s | %s | %.1f | %.1f | %.1f |\n", c.name, q, u.name, h, pct(ts, 0.5), pct(ts, 0.95), pct(ts, 1))
				perClass[c.name] = append(perClass[c.name], ts...)
				all = append(all, ts...)
			}
		}
	}
	fmt.Printf("\n| class | searches | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|\n")
	for _, c := range classes {
		if ts := perClass[c.name]; len(ts) > 0 {
			fmt.Printf("| %s | %d | %.1f | %.1f | %.1f |\n", c.name, len(ts), pct(ts, 0.5), pct(ts, 0.95), pct(ts, 0.99))
		}
	}
	if len(all) == 0 {
		return nil
	}
	fmt.Printf("| **all** | %d | %.1f | %.1f | %.1f |\n\n", len(all), pct(all, 0.5), pct(all, 0.95), pct(all, 0.99))
	fmt.Printf("| reader | searches | p50 ms | p95 ms | p99 ms | CPU/search: this process ms | PostgreSQL server ms |\n|---|---|---|---|---|---|---|\n")
	for _, u := range users {
		if ts := perUser[u.name]; len(ts) > 0 {
			n := float64(len(ts))
			fmt.Printf("| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2f |\n", u.name, len(ts), pct(ts, 0.5), pct(ts, 0.95), pct(ts, 0.99),
				ms(userCPU[u.name])/n, ms(userPG[u.name])/n)
		}
	}
	fmt.Println()
	logf("%d searches; CPU per search: this process %.2f ms, PostgreSQL server %.2f ms", len(all), ms(cpu)/float64(len(all)), ms(pcpu)/float64(len(all)))
	return nil
}

// incremental changes n items (their description gets a sentence, their
// updated_at moves to now) and times the sync that indexes them again.
func incremental(ctx context.Context, db *store.DB, ix *search.Index, pg *pgCPU, n int) error {
	var total int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems`).Scan(&total); err != nil {
		return err
	}
	step := max(total/n, 1)
	now := time.Now().UnixMilli()
	if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET description = description || $1, updated_at = $2 + id % 1000
		WHERE id % `+strconv.Itoa(step)+` = 0`, "（复核：已电话回访）", now); err != nil {
		return err
	}
	t0, c0, p0 := time.Now(), cpuTime(), pg.cpu()
	k, err := ix.Sync(ctx)
	if err != nil {
		return err
	}
	wall, cpu, pcpu := time.Since(t0), cpuTime()-c0, pg.cpu()-p0
	logf("incremental: %d changed items indexed again in %v (%.2f ms/item); CPU per item: this process %.3f ms, PostgreSQL server %.3f ms",
		k, wall.Round(time.Millisecond), ms(wall)/float64(max(k, 1)), ms(cpu)/float64(max(k, 1)), ms(pcpu)/float64(max(k, 1)))
	return nil
}

// cpuTime is the user+system CPU time of this process.
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
