package study

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// BenchmarkCheck is the originality check of a new 2,000-character
// reflection against N stored ones and the reference corpus: signature,
// LSH look-up, loading the candidates' texts (regenerated here, a database
// read in the service) and the alignments. Half the queries are disguised
// copies, half independent texts.
//
//	go test -run XXX -bench Check -benchtime 200x -v ./internal/study/
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c := benchCorpus(b, n)
			g := newGen(7)
			queries := make([]string, 64)
			for i := range queries {
				if i%2 == 0 {
					queries[i] = g.disguise(c.body(int64(1+g.r.IntN(n))), thirty)
				} else {
					queries[i] = g.text(2000)
				}
			}
			cands := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := queries[i%len(queries)]
				res := c.check(q)
				cands += len(res.Matches)
			}
			b.StopTimer()
			b.ReportMetric(float64(cands)/float64(b.N), "matches/op")
		})
	}
}

var benchCorpora = map[int]*memCorpus{}

// benchCorpus builds the corpus of n stored texts once per process (the
// benchmark function runs several times with growing b.N).
func benchCorpus(b *testing.B, n int) *memCorpus {
	if c, ok := benchCorpora[n]; ok {
		return c
	}
	clear(benchCorpora) // keep one at a time in memory
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	c := newMemCorpus(n)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.Logf("N=%d: index built in %s (signing %d texts of 2,000 characters on 2 goroutines), %.0f bytes of heap per stored text",
		n, build.Round(time.Millisecond), n, float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n))
	benchCorpora[n] = c
	return c
}

// BenchmarkServiceCheck is Service.Check on SQLite with 20,000 stored
// reflections: the incremental index refresh (a query for rows above the
// last id), the candidates' texts read from the table, and the alignments.
//
//	go test -run XXX -bench ServiceCheck -benchtime 200x ./internal/study/
func BenchmarkServiceCheck(b *testing.B) {
	const n = 20_000
	db := storetest.Open(b, store.SQLite)
	ctx := context.Background()
	var unit, user, task int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO units (code, name, path, depth, created_at, updated_at)
			VALUES ('b', '基准单位', '/', 0, 0, 0) RETURNING id`).Scan(&unit); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE units SET path = $1 WHERE id = $2`, "/"+strconv.FormatInt(unit, 10)+"/", unit); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (username, name, unit_id, password_hash, password_changed_at, created_at, updated_at)
			VALUES ('bench', '基准', $1, '-', 0, 0, 0) RETURNING id`, unit).Scan(&user); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO study_tasks (number, title, unit_id, min_length, due_at, created_by, created_at)
			VALUES ('XX-B', '基准任务', $1, 0, 0, $2, 0) RETURNING id`, unit, user).Scan(&task); err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			body := storedText(int64(i))
			sig := Sign(Normalize(body))
			if _, err := tx.ExecContext(ctx, `INSERT INTO study_reflections (task_id, user_id, unit_id, body, chars, similarity, matches,
				signature, submitted_at) VALUES ($1, $2, $3, $4, 0, 0, '[]', $5, 0)`, task, user, unit, body, sigBytes(sig)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, nil)
	start := time.Now()
	if err := s.refresh(ctx); err != nil { // the first check of a process loads every signature
		b.Fatal(err)
	}
	b.Logf("index loaded from %d rows in %s", s.idx.Len(), time.Since(start).Round(time.Millisecond))
	g := newGen(11)
	queries := make([]string, 64)
	for i := range queries {
		if i%2 == 0 {
			queries[i] = g.disguise(storedText(int64(1+g.r.IntN(n))), thirty)
		} else {
			queries[i] = g.text(2000)
		}
	}
	flagged := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _, err := s.Check(ctx, queries[i%len(queries)], CheckScope{Author: -1, Task: -1})
		if err != nil {
			b.Fatal(err)
		}
		if res.Similarity >= float64(DefaultThreshold)/1000 {
			flagged++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(flagged)/float64(b.N), "flagged/op")
}
