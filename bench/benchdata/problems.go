package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
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

// GenerateProblems adds cfg.N items of the problem ledger to a database that
// Generate filled: spread over every unit, in a plausible mix of statuses
// (about half closed), lights (a fifth of the active items red), classes and
// sources, recorded over the last 52 weeks, a few under named supervision.
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
	const cols = "number, title, source, class, unit_id, responsible_id, measures, deadline, start_day, status, percent, light, " +
		"supervised_at, closed_on, created_by, created_at, updated_at"
	for lo := 0; lo < cfg.N; lo += problemBatch {
		hi := min(lo+problemBatch, cfg.N)
		batch := make([][]any, 0, hi-lo)
		for i := lo; i < hi; i++ {
			unit := units[rnd.IntN(len(units))]
			var respID any
			if id, ok := resp[unit]; ok {
				respID = id
			}
			created := now.Add(-time.Duration(rnd.Int64N(int64(52 * 7 * 24 * time.Hour))))
			status := statuses[pick(statusW)]
			deadline := created.AddDate(0, 0, 7+rnd.IntN(90))
			light, percent := "green", rnd.IntN(90)
			var closedOn, supervised any
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
			case "draft":
				percent = 0
			}
			if rnd.IntN(100) < 3 && status != "draft" {
				supervised = created.Add(24 * time.Hour).UnixMilli()
			}
			ms := created.UnixMilli()
			batch = append(batch, []any{fmt.Sprintf("WT-B-%08d", first+int64(i)+1), fmt.Sprintf("基准问题 %d", i+1),
				sources[pick(sourceW)], classes[pick(classW)], unit, respID, "逐项整改", day(deadline), day(created),
				status, percent, light, supervised, closedOn, int64(1), ms, ms})
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			return insert(ctx, tx, db.Dialect, "problems", cols, batch)
		}); err != nil {
			return err
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%6.1fs  %d of %d problems written\n", time.Since(start).Seconds(), hi, cfg.N)
		}
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "system.bench_problems", ObjectType: "system",
			ObjectID: "bench", Detail: map[string]any{"problems": cfg.N}})
		return err
	}); err != nil {
		return err
	}
	// fresh statistics (and, on PostgreSQL, a set visibility map for
	// index-only scans) before anything is measured
	stmt := "ANALYZE problems"
	if db.Dialect == store.Postgres {
		stmt = "VACUUM ANALYZE problems"
	}
	if _, err := db.Write.ExecContext(ctx, stmt); err != nil {
		return err
	}
	return nil
}
