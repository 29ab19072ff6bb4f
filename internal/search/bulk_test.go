package search_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestBulkBuild: the bulk path of a first build (PostgreSQL: GIN index
// dropped and built once at the end; SQLite: FTS5 optimized after) gives
// the same hits as a build row by row, leaves the text index in place and
// sound, and later changes are indexed incrementally on top of it. A build
// that died without its GIN index gets it back at the next sync.
func TestBulkBuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		fill(t, e)
		ga := unitID(t, db, "k1-ga")
		now := time.Now().UnixMilli()
		for i := range 30 {
			title := []string{"拆迁噪音", "停车收费", "A3区拆迁", "噪音扰民", "公积金提取"}[i%5]
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO problems (number, title, description, source, class, unit_id,
				start_day, status, created_by, created_at, updated_at) VALUES ($1, $2, '', 'self_check', 'immediate', $3,
				'2026-01-01', 'draft', 0, $4, $4)`, "WT-K-"+strconv.Itoa(i), title, ga, now-int64(i)*1000); err != nil {
				t.Fatal(err)
			}
		}
		queries := []search.Params{{Q: "拆迁"}, {Q: "噪音", Limit: 3}, {Q: "A3区"}, {Q: "收费"}, {Q: "公积金提取"},
			{Q: "一米阳光"}, {Q: "迁", Limit: 7}, {Q: "WT-K-7"}}
		who := []string{"inspector", "jj-county", "jj-court", "ga-handler"}
		results := func() [][]string {
			var out [][]string
			for _, w := range who {
				for _, sp := range queries {
					res, err := e.ix.Search(ctx, e.p(t, w), sp)
					if err != nil {
						t.Fatal(err)
					}
					var ids []string
					for _, h := range res.Hits {
						ids = append(ids, h.Type+":"+itoa(h.ID))
					}
					out = append(out, append(ids, strconv.FormatBool(res.More)))
				}
			}
			return out
		}
		empty := func() {
			for _, q := range []string{`DELETE FROM search_docs`, `DELETE FROM search_marks`} {
				if _, err := db.Write.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		ginIndex := func() bool {
			var ok bool
			if err := db.Read.QueryRowContext(ctx, `SELECT to_regclass('search_docs_fts') IS NOT NULL`).Scan(&ok); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		sound := func() {
			t.Helper()
			if db.Dialect == store.Postgres {
				if !ginIndex() {
					t.Fatal("no GIN index after the build")
				}
				return
			}
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO search_fts (search_fts) VALUES ('integrity-check')`); err != nil {
				t.Fatalf("FTS5 integrity: %v", err)
			}
		}

		// row by row (thresholds out of reach)
		empty()
		undo := search.SetBulk(1<<30, 1<<30)
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		undo()
		before := results()

		// in bulk, the merge after it a page a step
		empty()
		undo = search.SetBulk(1, 1)
		defer undo()
		defer search.SetMergeStep(1)()
		n, err := e.ix.Sync(ctx)
		if err != nil || n < 30 {
			t.Fatalf("bulk build: %d indexed, %v", n, err)
		}
		sound()
		if db.Dialect != store.Postgres {
			// every segment merged into one (a page's rowid holds its segment id above bit 37)
			var segs int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT id >> 37) FROM search_fts_data WHERE id >= 1 << 37`).Scan(&segs); err != nil || segs != 1 {
				t.Errorf("segments after a bulk build: %d (%v), want 1", segs, err)
			}
		}
		if got := results(); !slices.EqualFunc(got, before, slices.Equal) {
			t.Errorf("bulk build: got %v, want %v", got, before)
		}

		// an item changes: indexed on top of the bulk-built index
		id := e.ids["problem:拆迁"]
		if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET title = '蚯蚓养殖场异味', description = '', updated_at = $1 WHERE id = $2`,
			time.Now().UnixMilli()+1000, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		sound()
		e.check(t, "inspector", search.Params{Q: "蚯蚓"}, want{"problem:拆迁"})
		if db.Dialect == store.Postgres {
			// rows indexed by the job leave nothing in GIN's pending list
			undoG := search.SetGINSettle(1, 1)
			if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET title = '蚯蚓养殖场', updated_at = $1 WHERE id = $2`,
				time.Now().UnixMilli()+2000, id); err != nil {
				t.Fatal(err)
			}
			if _, err := e.ix.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			undoG()
			var pages int
			if err := db.Write.QueryRowContext(ctx, `SELECT gin_clean_pending_list('search_docs_fts')`).Scan(&pages); err != nil || pages != 0 {
				t.Errorf("GIN pending list after the job's sync: %d pages (%v), want 0", pages, err)
			}
		}
		e.check(t, "inspector", search.Params{Q: "拆迁补偿款"}, want{}) // the old text is gone

		if db.Dialect != store.Postgres {
			// FTS5 merges as it goes again after the bulk build
			var auto string
			if err := db.Read.QueryRowContext(ctx, `SELECT v FROM search_fts_config WHERE k = 'automerge'`).Scan(&auto); err != nil || auto != "16" {
				t.Errorf("automerge after a bulk build = %q (%v), want 16", auto, err)
			}
		}

		if db.Dialect == store.Postgres {
			// a build that died between the drop and the end
			if _, err := db.Write.ExecContext(ctx, `DROP INDEX search_docs_fts`); err != nil {
				t.Fatal(err)
			}
			if _, err := e.ix.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if !ginIndex() {
				t.Error("the GIN index was not built again")
			}
		}
	})
}

// TestStaleFTSStatistics (SQLite): statistics of FTS5's shadow tables taken
// while the index was small (an ANALYZE of the whole database before the
// first build) are replaced by the next bulk sync with a large size, so
// FTS5's range deletes of merged pages seek by rowid instead of scanning
// search_fts_data (at a million documents the build had slowed past 3 ms
// an item), on the writer's connection too.
func TestStaleFTSStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect == store.Postgres {
			t.Skip("SQLite's FTS5 only")
		}
		e := newEnv(t, db)
		fill(t, e)
		plan := func() string {
			t.Helper()
			// the writer's connection: FTS5 merges there
			conn, err := db.Write.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var id, parent, notused int
			var detail string
			if err := conn.QueryRowContext(ctx, `EXPLAIN QUERY PLAN DELETE FROM search_fts_data WHERE id >= 1 AND id <= 2`).
				Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			return detail
		}
		if _, err := db.Write.ExecContext(ctx, `ANALYZE`); err != nil {
			t.Fatal(err)
		}
		if p := plan(); !strings.HasPrefix(p, "SCAN") {
			t.Fatalf("the fixture should make SQLite scan: %q", p)
		}
		defer search.SetBulk(1, 1)()
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if p := plan(); !strings.Contains(p, "INTEGER PRIMARY KEY") {
			t.Errorf("after a bulk sync FTS5's range delete plans as %q, want a rowid search", p)
		}
	})
}

// TestUnitMoveFollowsInSearch: when a unit moves to another branch of the
// tree, its items are found by the readers of the new branch (on
// PostgreSQL the job re-indexes them, whose scope lexemes follow) and no
// longer by those of the old one (the reach is checked on the source rows).
func TestUnitMoveFollowsInSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		fill(t, e)
		// every reader through the text index (a narrow reader's items
		// are read through the source tables)
		defer search.SetNarrow(0)()
		// the first build writes each item once (it wrote every item a
		// second time, for units whose path it had not recorded yet)
		n, err := e.ix.Sync(ctx)
		var docs int
		if err == nil {
			err = db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_docs`).Scan(&docs)
		}
		if err != nil || n != docs {
			t.Fatalf("first build: %d rows written (%v) for %d documents", n, err, docs)
		}
		e.check(t, "inspector-c2", search.Params{Q: "补偿款"}, want{})
		if _, err := org.MoveUnit(ctx, db, setup, "k1-court", "c2"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ix.Sync(ctx); err != nil { // the job's
			t.Fatal(err)
		}
		e.check(t, "inspector-c2", search.Params{Q: "补偿款"}, want{"problem:拆迁"})
		e.check(t, "inspector", search.Params{Q: "补偿款"}, want{})
	})
}

// TestJobAnalyzesWhatSearchesIndexed: on PostgreSQL the job takes the
// statistics of search_docs again once enough rows changed since the last
// ANALYZE, also when searches' own syncs indexed them and the job found
// nothing left to do: the search windows are sized by the histogram of
// keys, which knows nothing of rows written after it.
func TestJobAnalyzesWhatSearchesIndexed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != store.Postgres {
			return // SQLite walks FTS5 in key order: no windows, no histogram
		}
		e := newEnv(t, db)
		fill(t, e)
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write.ExecContext(ctx, `ANALYZE search_docs`); err != nil {
			t.Fatal(err)
		}
		ga := unitID(t, db, "k1-ga")
		now := time.Now().UnixMilli() + 1000
		for i := range 5 {
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO problems (number, title, description, source, class, unit_id,
				start_day, status, created_by, created_at, updated_at) VALUES ($1, '新增噪音', '', 'self_check', 'immediate', $2,
				'2026-01-01', 'draft', 0, $3, $3)`, "WT-A-"+strconv.Itoa(i), ga, now+int64(i)); err != nil {
				t.Fatal(err)
			}
		}
		// a search indexes them
		if res, err := e.ix.Search(ctx, e.p(t, "inspector"), search.Params{Q: "新增噪音"}); err != nil || len(res.Hits) != 5 {
			t.Fatalf("search before the job: %d hits (%v), want 5", len(res.Hits), err)
		}
		var newest int64
		if err := db.Read.QueryRowContext(ctx, `SELECT MAX(id) FROM search_docs`).Scan(&newest); err != nil {
			t.Fatal(err)
		}
		// the writers report their counts to the statistics a moment later
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, since, err := e.ix.KeyHistogram(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if since >= 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("rows changed since the ANALYZE: %d, want 5 or more", since)
			}
		}
		top := func() int64 {
			bounds, _, err := e.ix.KeyHistogram(ctx)
			if err != nil || len(bounds) == 0 {
				t.Fatalf("histogram of keys: %v (%v)", bounds, err)
			}
			return bounds[len(bounds)-1]
		}
		if top() >= newest {
			t.Fatal("the histogram already holds the new rows")
		}
		undo := search.SetGINSettle(1000, 5)
		defer undo()
		if n, err := e.ix.Sync(ctx); err != nil || n != 0 {
			t.Fatalf("job's sync: %d rows (%v), want 0 (the search indexed them)", n, err)
		}
		if got := top(); got != newest {
			t.Errorf("histogram's newest key after the job: %d, want %d (the newest row: analyzed again)", got, newest)
		}
	})
}
