package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/warn"
)

// The scorecard target (issue 6): every unit's card for one quarter over
// 1,000,000 items recomputed in < 60 s. The fixture's generated items
// (LUOSHI_BENCH_PROBLEMS, spread over the last 52 weeks) get, once per
// engine, a rating for every fourth item and a report for every tenth, then
// score.ComputeAll recomputes the quarter that holds most deadlines.

var (
	scoreMu     sync.Mutex
	scoreLoaded = map[store.Dialect]error{}
)

func withScoreData(b *testing.B, f *fixture) {
	b.Helper()
	withProblems(b, f)
	scoreMu.Lock()
	defer scoreMu.Unlock()
	err, done := scoreLoaded[f.db.Dialect]
	if !done {
		err = genScoreData(context.Background(), f.db, benchProblems())
		scoreLoaded[f.db.Dialect] = err
	}
	if err != nil {
		b.Fatal(err)
	}
}

// genScoreData adds n/4 ratings and n/10 reports with their timers over the
// last year, spread over every unit.
func genScoreData(ctx context.Context, db *store.DB, n int) error {
	var units []int64
	rows, err := db.Read.QueryContext(ctx, `SELECT id FROM units`)
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
	rnd := rand.New(rand.NewPCG(6, 2026))
	now := time.Now()
	cst := time.FixedZone("CST", 8*3600)
	day := func(t time.Time) string { return t.In(cst).Format(time.DateOnly) }
	var ratings, reports [][]any
	for i := range n / 4 {
		at := now.Add(-time.Duration(rnd.Int64N(int64(365 * 24 * time.Hour)))).UnixMilli()
		num := "PJ-B-" + strconv.Itoa(i)
		ratings = append(ratings, []any{num, "report", int64(i), num, num, units[rnd.IntN(len(units))], "online", 1 + rnd.IntN(5), at, at, at})
	}
	for i := range n / 10 {
		recv := now.Add(-time.Duration(rnd.Int64N(int64(365 * 24 * time.Hour))))
		ackDue := recv.AddDate(0, 0, 7)
		acked := recv.Add(time.Duration(rnd.Int64N(int64(9 * 24 * time.Hour)))).UnixMilli()
		concludeDue := recv.AddDate(0, 0, 60)
		concluded := recv.AddDate(0, 0, 20+rnd.IntN(50))
		num := "JB-B-" + strconv.Itoa(i)
		u := units[rnd.IntN(len(units))]
		reports = append(reports, []any{num, num, "x", "public", "other", u, u, "concluded", rnd.IntN(2), []byte("x"), []byte("x"),
			day(recv), day(ackDue), acked, day(concludeDue), day(concluded), day(concluded.AddDate(0, 0, 15)), concluded.AddDate(0, 0, 10).UnixMilli(),
			recv.UnixMilli(), recv.UnixMilli()})
	}
	if err := bulk(ctx, db, "ratings", "number, target_type, target_id, target_ref, once_key, unit_id, channel, level, first_at, created_at, updated_at", ratings); err != nil {
		return err
	}
	if err := bulk(ctx, db, "reports", "number, receipt, key_hash, channel, category, unit_id, handling_unit_id, status, real_name, wrapped_key, sealed, "+
		"received_on, ack_due, acked_at, conclude_due, concluded_on, feedback_due, feedback_at, created_at, updated_at", reports); err != nil {
		return err
	}
	for _, t := range []string{"ratings", "reports"} {
		if _, err := db.Write.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return err
		}
	}
	return nil
}

// bulk writes rows in multi-row INSERTs inside one transaction.
func bulk(ctx context.Context, db *store.DB, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := 4000 / width
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for lo := 0; lo < len(rows); lo += per {
			hi := min(lo+per, len(rows))
			var sb strings.Builder
			sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
			args := make([]any, 0, (hi-lo)*width)
			for i, r := range rows[lo:hi] {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteByte('(')
				for j := range r {
					if j > 0 {
						sb.WriteByte(',')
					}
					args = append(args, r[j])
					sb.WriteString("$" + strconv.Itoa(len(args)))
				}
				sb.WriteByte(')')
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("insert %s: %w", table, err)
			}
		}
		return nil
	})
}

// BenchmarkScorecards recomputes every unit's card for a quarter, and one
// unit's card view (computed live, no publication) for an organ leader.
func BenchmarkScorecards(b *testing.B) {
	each(b, func(b *testing.B, f *fixture) {
		withScoreData(b, f)
		ctx := context.Background()
		// the quarter ending about two months ago holds the most deadlines of items recorded over the past year
		per := score.Containing(score.Quarter, time.Now().AddDate(0, -2, 0))
		var due, units int
		if err := f.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems WHERE status <> 'draft' AND deadline >= $1 AND deadline <= $2`,
			per.FromDay(), per.ToDay()).Scan(&due); err != nil {
			b.Fatal(err)
		}
		b.Run("all-units-quarter", func(b *testing.B) {
			for b.Loop() {
				cards, err := score.ComputeAll(ctx, f.db.Read, per, score.DefaultFormula(), nil)
				if err != nil {
					b.Fatal(err)
				}
				units = len(cards)
			}
			b.ReportMetric(float64(units), "units")
			b.ReportMetric(float64(due), "items-due")
		})
		s := score.New(f.db)
		organ, err := org.UnitByCode(ctx, f.db.Read, f.organC)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("organ-subtree", func(b *testing.B) {
			for b.Loop() {
				if _, err := score.ComputeTree(ctx, f.db.Read, organ.Path, per, score.DefaultFormula(), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("organ-view-live", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.View(ctx, f.organ, f.organC, per.Key); err != nil {
					b.Fatal(err)
				}
			}
		})
		// the job: the quarter's snapshot, then the view reading it
		b.Run("snapshot-job-quarter", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SnapshotPeriod(ctx, per); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("organ-view-snapshot", func(b *testing.B) {
			for b.Loop() {
				v, err := s.View(ctx, f.organ, f.organC, per.Key)
				if err != nil || v.Snapshot == nil {
					b.Fatal(err, v.Snapshot)
				}
			}
		})
		// published: the card, its siblings and the trend come from the snapshot
		if _, err := s.Publish(ctx, org.SystemPrincipal(), per.Key, true); err != nil {
			b.Fatal(err)
		}
		b.Run("organ-view-published", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.View(ctx, f.organ, f.organC, per.Key); err != nil {
					b.Fatal(err)
				}
			}
		})
		// the warnings of an organ's subtree, and of the whole province
		w := warn.New(f.db)
		var root string
		if err := f.db.Read.QueryRowContext(ctx, `SELECT code FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&root); err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			p    *org.Principal
			unit string
		}{{"warnings-organ", f.organ, f.organC}, {"warnings-province", f.province, root}} {
			b.Run(c.name+"-live", func(b *testing.B) {
				var n int
				for b.Loop() {
					flags, err := w.List(ctx, c.p, c.unit, per.Key)
					if err != nil {
						b.Fatal(err)
					}
					n = len(flags)
				}
				b.ReportMetric(float64(n), "flags")
			})
		}
		b.Run("warnings-snapshot-job-quarter", func(b *testing.B) {
			for b.Loop() {
				if _, err := w.SnapshotPeriod(ctx, per); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, c := range []struct {
			name string
			p    *org.Principal
			unit string
		}{{"warnings-organ", f.organ, f.organC}, {"warnings-province", f.province, root}} {
			b.Run(c.name+"-snapshot", func(b *testing.B) {
				var n int
				for b.Loop() {
					flags, sn, err := w.ListSnapshot(ctx, c.p, c.unit, per.Key)
					if err != nil || sn == nil {
						b.Fatal(err, sn)
					}
					n = len(flags)
				}
				b.ReportMetric(float64(n), "flags")
			})
		}
	})
}
