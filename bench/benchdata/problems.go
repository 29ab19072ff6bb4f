package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/store"
)

// ProblemsConfig says how many ledger items to add to generated units.
type ProblemsConfig struct {
	N        int       // items to add
	Now      time.Time // the items are recorded over the year before; zero = time.Now()
	Progress io.Writer // optional progress lines
}

// problemBatch is how many items one transaction writes.
const problemBatch = 50_000

// EventsPerProblem is how many timeline lines (problem_events) each
// generated item gets: 1,000,000 items make the 5,000,000 events of the
// problem-ledger issue's target.
const EventsPerProblem = 5

// GenerateProblems adds cfg.N items of the problem ledger to a database that
// Generate filled: spread over every unit, in a plausible mix of statuses
// (about half closed), lights (a fifth of the active items red), classes and
// sources, recorded over the last 52 weeks, a few under named supervision,
// each with a timeline of EventsPerProblem lines.
// It writes plain SQL in big transactions, like Generate, and no audit entry
// per item; one entry (system.bench_problems) records the run.
func GenerateProblems(ctx context.Context, db *store.DB, cfg ProblemsConfig) error {
	start := time.Now()
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	var units []int64
	rows, err := db.Read.QueryContext(ctx, `SELECT id FROM units ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		units = append(units, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(units) == 0 {
		return fmt.Errorf("benchdata: no units: run Generate first")
	}
	// a responsible person per unit where the unit has people
	resp := map[int64]int64{}
	rows, err = db.Read.QueryContext(ctx, `SELECT unit_id, MIN(id) FROM users GROUP BY unit_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u, id int64
		if err := rows.Scan(&u, &id); err != nil {
			rows.Close()
			return err
		}
		resp[u] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var first int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM problems`).Scan(&first); err != nil {
		return err
	}

	rnd := rand.New(rand.NewPCG(2026, 12))
	pick := func(weights []int) int {
		total := 0
		for _, w := range weights {
			total += w
		}
		n := rnd.IntN(total)
		for i, w := range weights {
			if n < w {
				return i
			}
			n -= w
		}
		return len(weights) - 1
	}
	statuses := []string{"closed", "in_progress", "open", "pending_verification", "reopened", "draft"}
	statusW := []int{45, 20, 15, 8, 4, 8}
	classes := []string{"immediate", "deadline", "longterm"}
	classW := []int{30, 55, 15}
	sources := []string{"self_check", "inspection", "citizen_report", "rating", "clue", "other"}
	sourceW := []int{35, 30, 20, 7, 5, 3}
	cst := time.FixedZone("CST", 8*3600)
	day := func(t time.Time) string { return t.In(cst).Format(time.DateOnly) }
	const cols = "id, number, title, source, class, unit_id, responsible_id, measures, deadline, start_day, status, percent, light, " +
		"supervised_at, closed_on, created_by, created_at, updated_at"
	const eventCols = "id, problem_id, at, actor_id, actor_name, kind, from_status, to_status, note, percent, detail"
	var firstEvent int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM problem_events`).Scan(&firstEvent); err != nil {
		return err
	}
	nextEvent := firstEvent
	events := 0
	// Random inserts into seven secondary indexes are what makes a bulk load
	// slow (SQLite's default page cache is 2 MB): drop them, load, and build
	// them again by sorting, which is several times faster.
	restore, err := dropIndexes(ctx, db, "problems", "problem_events")
	if err != nil {
		return err
	}
	for lo := 0; lo < cfg.N; lo += problemBatch {
		hi := min(lo+problemBatch, cfg.N)
		batch := make([][]any, 0, hi-lo)
		evs := make([][]any, 0, (hi-lo)*EventsPerProblem)
		for i := lo; i < hi; i++ {
			id := first + int64(i) + 1
			unit := units[rnd.IntN(len(units))]
			var respID any
			actor, actorName := int64(1), "基准管理员"
			if rid, ok := resp[unit]; ok {
				respID, actor, actorName = rid, rid, "责任人"
			}
			created := now.Add(-time.Duration(rnd.Int64N(int64(52 * 7 * 24 * time.Hour))))
			status := statuses[pick(statusW)]
			deadline := created.AddDate(0, 0, 7+rnd.IntN(90))
			light, percent := "green", rnd.IntN(90)
			var closedOn, supervised any
			end := now
			switch status {
			case "open", "in_progress", "reopened":
				switch r := rnd.IntN(10); {
				case r < 2:
					light = "red"
				case r < 4:
					light = "yellow"
				}
			case "closed":
				percent = 100
				c := created.AddDate(0, 0, 1+rnd.IntN(60))
				if c.After(now) {
					c = now
				}
				closedOn = day(c)
				end = c
			case "draft":
				percent = 0
			}
			if rnd.IntN(100) < 3 && status != "draft" {
				supervised = created.Add(24 * time.Hour).UnixMilli()
			}
			ms := created.UnixMilli()
			batch = append(batch, []any{id, fmt.Sprintf("WT-B-%08d", id), fmt.Sprintf("基准问题 %d", i+1),
				sources[pick(sourceW)], classes[pick(classW)], unit, respID, "逐项整改", day(deadline), day(created),
				status, percent, light, supervised, closedOn, int64(1), ms, ms})
			// the timeline: recorded, then progress reports spread up to the
			// item's end (closing or now), the last one closing a closed item
			span := max(end.UnixMilli()-ms, int64(EventsPerProblem))
			for k := 0; k < EventsPerProblem; k++ {
				nextEvent++
				at := ms + span*int64(k)/int64(EventsPerProblem)
				var pct any
				kind, from, to, note := "progress", "", "", "按计划推进"
				switch {
				case k == 0:
					kind, to, note = "created", "open", ""
				case k == EventsPerProblem-1 && status == "closed":
					kind, from, to, note, pct = "verified", "pending_verification", "closed", "验收通过", 100
				default:
					pct = percent * k / EventsPerProblem
				}
				evs = append(evs, []any{nextEvent, id, at, actor, actorName, kind, from, to, note, pct, ""})
			}
		}
		if err := bulkInsert(ctx, db, "problems", cols, batch); err != nil {
			return err
		}
		if err := bulkInsert(ctx, db, "problem_events", eventCols, evs); err != nil {
			return err
		}
		events += len(evs)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%6.1fs  %d of %d problems, %d events written\n", time.Since(start).Seconds(), hi, cfg.N, events)
		}
	}
	if err := restore(); err != nil {
		return err
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%6.1fs  indexes built\n", time.Since(start).Seconds())
	}
	// the triggers queued every new item as a pending count change: fold
	// them in now, as the server's ledger_tally job would within a minute
	if err := (&ledger.Ledger{DB: db}).CompactTally(ctx); err != nil {
		return fmt.Errorf("dashboard counts: %w", err)
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%6.1fs  dashboard counts compacted\n", time.Since(start).Seconds())
	}
	if db.Dialect == store.Postgres {
		// the ids were given explicitly: move the identity sequences past them
		for _, t := range []string{"problems", "problem_events"} {
			if _, err := db.Write.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
				return err
			}
		}
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "system.bench_problems", ObjectType: "system",
			ObjectID: "bench", Detail: map[string]any{"problems": cfg.N, "events": events}})
		return err
	}); err != nil {
		return err
	}
	// fresh statistics (and, on PostgreSQL, a set visibility map for
	// index-only scans) before anything is measured
	for _, t := range []string{"problems", "problem_events", "problem_tally", "problem_days"} {
		stmt := "ANALYZE " + t
		if db.Dialect == store.Postgres {
			stmt = "VACUUM ANALYZE " + t
		}
		if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%6.1fs  %d problems and %d events, statistics fresh\n", time.Since(start).Seconds(), cfg.N, events)
	}
	return nil
}

// bulkInsert writes rows in one transaction: on PostgreSQL by COPY (several
// times faster than multi-row INSERTs there), on SQLite by multi-row INSERTs.
func bulkInsert(ctx context.Context, db *store.DB, table, cols string, rows [][]any) error {
	if db.Dialect != store.Postgres {
		return db.Tx(ctx, func(tx *sql.Tx) error { return insert(ctx, tx, db.Dialect, table, cols, rows) })
	}
	conn, err := db.Write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("benchdata: not a pgx connection: %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, names, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	})
}

// dropIndexes drops the secondary indexes of tables (not the ones behind a
// primary key or a UNIQUE constraint) and returns a function that creates
// them again from their stored definitions.
func dropIndexes(ctx context.Context, db *store.DB, tables ...string) (func() error, error) {
	var defs []string
	for _, t := range tables {
		q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL`
		if db.Dialect == store.Postgres {
			q = `SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 AND i.schemaname = current_schema()
				AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`
		}
		rows, err := db.Write.QueryContext(ctx, q, t)
		if err != nil {
			return nil, err
		}
		var names []string
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return nil, err
			}
			names, defs = append(names, name), append(defs, def)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, n := range names {
			if _, err := db.Write.ExecContext(ctx, `DROP INDEX `+n); err != nil {
				return nil, err
			}
		}
	}
	return func() error {
		if db.Dialect == store.SQLite {
			// a big page cache for the sorts (this one connection writes)
			if _, err := db.Write.ExecContext(ctx, `PRAGMA cache_size = -1000000`); err != nil {
				return err
			}
		} else if _, err := db.Write.ExecContext(ctx, `SET maintenance_work_mem = '512MB'`); err != nil {
			return err
		}
		for _, d := range defs {
			if _, err := db.Write.ExecContext(ctx, d); err != nil {
				return fmt.Errorf("%s: %w", d, err)
			}
		}
		return nil
	}, nil
}
