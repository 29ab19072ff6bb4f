// Package search is the staff search box: one index over ledger items,
// projects, ratings and reports/leads, on SQLite FTS5 and PostgreSQL GIN
// alike. Tokens are made in Go (internal/text); sealed report text is indexed
// only as keyed hashes of its tokens (blind tokens, internal/vault), so no
// readable copy of it is stored. Permissions are applied in SQL at query
// time, from the live source rows. Design: docs/text.md, section 7.
package search

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/text"
)

// Kinds of searchable items, in the order the filter offers them.
var Kinds = []string{"problem", "report", "project", "rating"}

// blindField separates the blind hashes of report text from any other
// blinded column (see vault.BlindTokens).
const blindField = "search.report"

// blindPrefix starts every blind token with a letter, so PostgreSQL's
// parser reads each hex hash as one word (a hash such as 12e45… would
// otherwise parse as a number in scientific notation).
const blindPrefix = "x"

// Margin is how far behind its mark the indexer looks again: a transaction
// that stamped updated_at earlier but committed after a later one is still
// seen. Rows whose indexed updated_at is unchanged are skipped, so looking
// again costs a range read, not a re-index.
const Margin = 10 * time.Minute

// SearchMargin is how far behind its mark the sync that runs before each
// search looks: the rows changed since the last sync, and a commit that
// took a little while. The full Margin is the job's (every minute): looking
// 10 minutes back before every search read and compared every row changed
// in those minutes — after a bulk import, tens of milliseconds a search.
const SearchMargin = 2 * time.Second

// Index is the search index of one deployment.
type Index struct {
	DB      *store.DB
	Reports *report.Reports
	// Blind maps tokens to keyed hashes (vault.BlindTokens). Nil (no master
	// key) leaves reports out of the index and of the results.
	Blind func(field string, tokens []string) []string
	// Batch is the rows indexed per transaction.
	Batch int
	// Threshold is the confidence below which no routing is suggested
	// (0: text.DefaultThreshold).
	Threshold float64

	cache   models
	hot     hotMemo
	replies struct { // the reply checker (reply.go)
		mu       sync.Mutex
		at       time.Time
		checker  *text.ReplyChecker
		building bool // a rebuild runs in the background
	}
	narrowed narrowMemo
	synced   struct {
		sync.Mutex
		at map[string]int64
	}
	hist struct { // the histogram of keys last read (see histogram)
		sync.Mutex
		h  keyHistogram
		at time.Time
	}
}

// New returns the index. blind may be nil.
func New(db *store.DB, reports *report.Reports, blind func(string, []string) []string) *Index {
	return &Index{DB: db, Reports: reports, Blind: blind, Batch: 500}
}

// doc is one item as the index and the result page read it.
type doc struct {
	Kind    string
	ID      int64
	Updated int64
	Number  string
	Title   string
	Body    string // the rest of the searchable text
	Unit    string // unit name, for the result line
	Sealed  bool
	// the reach of a ledger item, project or rating, for its scope
	// lexemes on PostgreSQL (scopeLexemes): its unit's path and the
	// responsible person (0: none)
	UnitPath string
	Person   int64
}

// Text is everything searchable of the item, in the order snippets show it.
func (d *doc) Text() string {
	return d.Number + "\n" + d.Title + "\n" + d.Body
}

// source says how one kind is read.
type source struct {
	kind string
	from string // FROM clause with the row as x and its unit as un
	cols string
	scan func(ix *Index, s interface{ Scan(...any) error }) (doc, error)
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}

var sources = map[string]source{
	"problem": {
		kind: "problem",
		from: `problems x JOIN units un ON un.id = x.unit_id LEFT JOIN users ru ON ru.id = x.responsible_id`,
		cols: `x.id, x.updated_at, x.number, x.title, x.description, x.measures, x.mech_title, x.mech_doc_no, COALESCE(ru.name, ''), un.name, un.path, COALESCE(x.responsible_id, 0)`,
		scan: func(_ *Index, s interface{ Scan(...any) error }) (doc, error) {
			d := doc{Kind: "problem"}
			var desc, measures, mech, mechNo, person string
			err := s.Scan(&d.ID, &d.Updated, &d.Number, &d.Title, &desc, &measures, &mech, &mechNo, &person, &d.Unit, &d.UnitPath, &d.Person)
			d.Body = join(desc, measures, mech, mechNo, person)
			return d, err
		},
	},
	"project": {
		kind: "project",
		from: `projects x JOIN units un ON un.id = x.unit_id`,
		cols: `x.id, x.updated_at, x.number, x.title, x.area, x.beneficiaries, x.plan, x.measures, un.name, un.path`,
		scan: func(_ *Index, s interface{ Scan(...any) error }) (doc, error) {
			d := doc{Kind: "project"}
			var area, ben, plan, measures string
			err := s.Scan(&d.ID, &d.Updated, &d.Number, &d.Title, &area, &ben, &plan, &measures, &d.Unit, &d.UnitPath)
			d.Body = join(area, ben, plan, measures)
			return d, err
		},
	},
	"rating": {
		kind: "rating",
		from: `ratings x JOIN units un ON un.id = x.unit_id`,
		cols: `x.id, x.updated_at, x.number, x.target_ref, x.comment, x.visit_said, x.visit_reply, x.appeal_reason, x.appeal_note, un.name, un.path`,
		scan: func(_ *Index, s interface{ Scan(...any) error }) (doc, error) {
			d := doc{Kind: "rating"}
			var comment, said, reply, reason, note string
			err := s.Scan(&d.ID, &d.Updated, &d.Number, &d.Title, &comment, &said, &reply, &reason, &note, &d.Unit, &d.UnitPath)
			d.Body = join(comment, said, reply, reason, note)
			return d, err
		},
	},
	"report": {
		kind: "report",
		from: `reports x JOIN units un ON un.id = x.handling_unit_id`,
		cols: `x.id, x.updated_at, x.number, x.receipt, x.wrapped_key, x.sealed, un.name`,
		scan: func(ix *Index, s interface{ Scan(...any) error }) (doc, error) {
			d := doc{Kind: "report", Sealed: true}
			var receipt string
			var wrapped, sealed []byte
			if err := s.Scan(&d.ID, &d.Updated, &d.Number, &receipt, &wrapped, &sealed, &d.Unit); err != nil {
				return d, err
			}
			o, err := ix.Reports.OpenSealed(receipt, wrapped, sealed)
			if err != nil {
				return d, err
			}
			var acc []string
			for _, a := range o.Accused {
				acc = append(acc, strings.TrimSpace(a.Name+" "+a.Post))
			}
			d.Title = o.Subject
			d.Body = join(o.Content, o.When, o.Where, strings.Join(acc, "，"))
			return d, nil
		},
	},
}

// enabled lists the kinds this index serves (reports only with a blind key).
func (ix *Index) enabled() []string {
	var out []string
	for _, k := range Kinds {
		if k == "report" && (ix.Blind == nil || ix.Reports == nil) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// tokens is the index column of a document: the search text, or for sealed
// text its distinct tokens blinded and sorted (no positions, no order: the
// column says which hashed bigrams occur, nothing about where).
func (ix *Index) tokens(d *doc) string {
	if !d.Sealed {
		return text.SearchText(d.Text())
	}
	toks := text.Tokens(d.Text())
	slices.Sort(toks)
	toks = slices.Compact(toks)
	return strings.Join(ix.blind(toks), " ")
}

func (ix *Index) blind(toks []string) []string {
	out := ix.Blind(blindField, toks)
	for i := range out {
		out[i] = blindPrefix + out[i]
	}
	return out
}

// Sync brings the index up to date: for each kind, the rows changed since
// its mark (less Margin) whose indexed version differs are re-indexed, in
// batches. It returns the number of rows indexed. It is the indexer job's
// work and runs before each search, so results are current; when nothing
// changed it costs one indexed range read per kind.
func (ix *Index) Sync(ctx context.Context) (int, error) { return ix.sync(ctx, -1, Margin) }

// BulkBatch is the rows indexed per transaction when the job works through
// a backlog (the first build, an import): larger transactions and one
// multi-row statement each, so FTS5 writes fewer, larger segments and
// PostgreSQL commits less often. A search's own sync keeps Batch.
// 4,000 rows of 6 or 7 parameters stay under both engines' limits.
const BulkBatch = 4000

// bulkRebuild is the backlog from which a sync into an empty index builds
// PostgreSQL's GIN index once at the end instead of row by row (see
// bulkStart), and bulkOptimize the rows indexed in one sync after which
// SQLite's FTS5 index is merged into one segment.
var (
	bulkRebuild  = 50_000
	bulkOptimize = 50_000
)

// cursor is a position in a kind's rows ordered by (updated_at, id).
type cursor struct{ at, id int64 }

// sync runs at most batches batches per kind (all when negative): a search
// does a little so it sees recent changes, and leaves a large backlog (the
// first build, an import) to the job. Within one sync the rows are walked
// once, by (updated_at, id) from mark less margin: each batch starts after
// the last row of the one before, so a backlog costs one pass over it, not
// a pass over the whole margin per batch (at a million rows changed within
// the margin, that was quadratic: hours).
func (ix *Index) sync(ctx context.Context, batches int, margin time.Duration) (total int, err error) {
	size := ix.batch()
	if batches < 0 {
		size = max(size, BulkBatch)
		finish, ferr := ix.bulkStart(ctx)
		if ferr != nil {
			return 0, ferr
		}
		defer func() {
			if e := finish(ctx, total); err == nil {
				err = e
			}
		}()
	}
	for _, k := range ix.enabled() {
		var mark int64
		err := ix.DB.Read.QueryRowContext(ctx, `SELECT mark FROM search_marks WHERE kind = $1`, k).Scan(&mark)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return total, err
		}
		// look back margin from the mark, or from when this process last
		// read the kind to its end if that is later: a row stamped before
		// then and committed after it would have taken longer than the
		// margin to commit. (After an import stamped 20,000 rows within
		// the two seconds before the mark, every search read and compared
		// them all again until another change moved the mark: 99 ms a
		// search on PostgreSQL.)
		began := store.Now()
		from := max(mark, ix.completed(k)) - margin.Milliseconds()
		cur := cursor{at: from, id: -1 << 62}
		next := ix.prefetch(ctx, sources[k], cur, size)
		for b := 0; batches < 0 || b < batches; b++ {
			pb := <-next
			if pb.err != nil {
				return total, pb.err
			}
			end := len(pb.docs) < size // the kind is read to its end
			if len(pb.docs) == size && (batches < 0 || b+1 < batches) {
				// read and tokenize the next batch while this one is written
				next = ix.prefetch(ctx, sources[k], pb.last, size)
			} else {
				next = nil
			}
			if len(pb.docs) > 0 {
				if err := ix.write(ctx, k, pb); err != nil {
					if next != nil {
						<-next
					}
					return total, err
				}
			}
			total += len(pb.docs)
			if end {
				// and its last batch is written
				ix.complete(k, began)
			}
			if next == nil {
				break
			}
		}
	}
	if batches < 0 && ix.DB.Dialect == store.Postgres {
		n, err := ix.syncUnits(ctx, size)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// completed is when this process last began a sync of kind that read it
// to its end (unix ms; 0: never).
func (ix *Index) completed(kind string) int64 {
	ix.synced.Lock()
	defer ix.synced.Unlock()
	return ix.synced.at[kind]
}

// complete records that a sync of kind that began at began read it to its
// end and wrote everything it read.
func (ix *Index) complete(kind string, began int64) {
	ix.synced.Lock()
	defer ix.synced.Unlock()
	if ix.synced.at == nil {
		ix.synced.at = map[string]int64{}
	}
	ix.synced.at[kind] = max(ix.synced.at[kind], began)
}

// syncUnits re-indexes, on PostgreSQL, the ledger items, projects and
// ratings of the units whose path is not the one the index last saw
// (search_unit_paths): a unit moved, with its subtree, so the items' scope
// lexemes (scopeLexemes) follow. Only the job's sync runs it (a move of a
// county re-indexes every item below it); meanwhile a search may miss an
// item moved into the reader's reach, never show one outside it (the
// reach is checked on the source rows). Units are found by updated_at
// since the 'unit' mark (less Margin), which a move stamps on every unit
// it moves. A unit's path is recorded when its first items are indexed
// (write), so one never recorded has nothing indexed to follow it.
func (ix *Index) syncUnits(ctx context.Context, size int) (int, error) {
	var mark, newest int64
	err := ix.DB.Read.QueryRowContext(ctx, `SELECT mark FROM search_marks WHERE kind = 'unit'`).Scan(&mark)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(updated_at), 0) FROM units`).Scan(&newest); err != nil {
		return 0, err
	}
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT u.id, u.path FROM units u LEFT JOIN search_unit_paths sp ON sp.unit_id = u.id
		WHERE u.updated_at >= $1 AND (sp.path IS NULL OR sp.path <> u.path)`, mark-Margin.Milliseconds())
	if err != nil {
		return 0, err
	}
	var ids []int64
	var paths []string
	for rows.Next() {
		var id int64
		var path string
		if err := rows.Scan(&id, &path); err != nil {
			rows.Close()
			return 0, err
		}
		ids, paths = append(ids, id), append(paths, path)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	total := 0
	for _, k := range []string{"problem", "project", "rating"} {
		src := sources[k]
		after := int64(-1 << 62)
		for len(ids) > 0 {
			b := ix.readUnits(ctx, src, ids, after, size)
			if b.err != nil {
				return total, b.err
			}
			if len(b.docs) == 0 {
				break
			}
			if err := ix.write(ctx, k, b); err != nil {
				return total, err
			}
			total += len(b.docs)
			after = b.docs[len(b.docs)-1].ID
		}
	}
	seen := make([][]any, len(ids))
	for i, id := range ids {
		seen[i] = []any{id, paths[i]}
	}
	return total, ix.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.InsertRows(ctx, tx, ix.DB.Dialect, `INSERT INTO search_unit_paths (unit_id, path) VALUES `,
			` ON CONFLICT (unit_id) DO UPDATE SET path = excluded.path`, seen, 1000); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO search_marks (kind, mark) VALUES ('unit', $1)
			ON CONFLICT (kind) DO UPDATE SET mark = excluded.mark`, newest)
		return err
	})
}

// readUnits reads the rows of src whose unit is one of units, after the
// row id after, at most size, tokenized (as read does).
func (ix *Index) readUnits(ctx context.Context, src source, units []int64, after int64, size int) batchDocs {
	return ix.readDocs(ctx, src, `SELECT `+src.cols+` FROM `+src.from+`
		WHERE x.unit_id = ANY($1) AND x.id > $2 ORDER BY x.id LIMIT $3`, units, after, size)
}

// bulkStart prepares a sync that may index a backlog (the job's) and
// returns what to do after it, given the rows it indexed.
//
// PostgreSQL: into an empty index with a backlog of at least bulkRebuild
// rows, the GIN index is dropped and built once at the end: GIN built in
// bulk sorts every posting once, where inserting row by row (through its
// pending list) cost most of the server's CPU of a first build. A search
// meanwhile scans (correct, slower: the index is being built anyway). The
// end also creates the GIN index if a build died without it.
//
// SQLite: before a backlog of at least bulkOptimize rows FTS5 stops
// merging as it goes (automerge 0), and after it merges every segment into
// one (ftsMergeAll), so searches read one segment. Merging as it goes (16
// segments of a level into one, a little after every statement, migration
// 00036) rewrote every posting once per level and deleted the merged pages
// as it went: past 400,000 items 90% of the build's CPU, 3 ms an item and
// rising, where one merge at the end reads and writes each posting once.
// The segments pile up meanwhile (a crisis merge at bulkCrisis of a level);
// a search during the build probes each one. The end also restores the
// incremental settings if a build died before it did.
func (ix *Index) bulkStart(ctx context.Context) (func(context.Context, int) error, error) {
	if ix.DB.Dialect != store.Postgres {
		if err := ix.pinFTSStats(ctx); err != nil {
			return nil, err
		}
		backlog, err := ix.backlog(ctx)
		if err != nil {
			return nil, err
		}
		bulk := backlog >= bulkOptimize
		if bulk {
			if err := ix.ftsMerging(ctx, 0, bulkCrisis); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context, n int) error {
			var auto string
			if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COALESCE((SELECT v FROM search_fts_config WHERE k = 'automerge'), '')`).Scan(&auto); err != nil {
				return err
			}
			if !bulk && n < bulkOptimize && auto != "0" {
				return nil
			}
			if err := ix.ftsMerging(ctx, ftsAutomerge, ftsCrisismerge); err != nil {
				return err
			}
			return ix.ftsMergeAll(ctx)
		}, nil
	}
	var empty bool
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM search_docs)`).Scan(&empty); err != nil {
		return nil, err
	}
	if empty {
		backlog := 0
		for _, k := range ix.enabled() {
			var n int
			if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+k+`s`).Scan(&n); err != nil {
				return nil, err
			}
			backlog += n
		}
		if backlog >= bulkRebuild {
			if _, err := ix.DB.Write.ExecContext(ctx, `DROP INDEX IF EXISTS search_docs_fts`); err != nil {
				return nil, err
			}
		}
	}
	return func(ctx context.Context, n int) error {
		var missing bool
		if err := ix.DB.Read.QueryRowContext(ctx, `SELECT to_regclass('search_docs_fts') IS NULL`).Scan(&missing); err != nil {
			return err
		}
		if !missing {
			return ix.ginSettle(ctx, n)
		}
		return ix.DB.Tx(ctx, func(tx *sql.Tx) error {
			// the build sorts in memory up to this, then in runs on disk
			if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS search_docs_fts ON search_docs USING gin (tsv)`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `ANALYZE search_docs`)
			return err
		})
	}, nil
}

// ginCleanAt is the rows a job's sync indexes on PostgreSQL after which it
// moves GIN's pending list into the index, and ginAnalyzeAt those after
// which it analyzes search_docs (see ginSettle).
var (
	ginCleanAt   = 1000
	ginAnalyzeAt = 20_000
)

// ginSettle follows a sync of n rows into an existing GIN index. Rows
// inserted go to GIN's pending list (fastupdate), which every search reads
// whole until a vacuum moves it into the index: after an import of 100,000
// items into a million, the job had left 140 pages there and every search
// took 50 ms more (an officer's 9 → 52 ms) until autovacuum, which waits for
// a fifth of the table to change. After ginAnalyzeAt rows changed since
// the last ANALYZE (by this sync, by searches' own syncs, by anyone) the
// statistics are taken again: the planner judged new rows by the old ones,
// and the search windows are sized by the histogram of keys (keyHistogram),
// which knows nothing of rows written since.
func (ix *Index) ginSettle(ctx context.Context, n int) error {
	if n >= ginCleanAt {
		if _, err := ix.DB.Write.ExecContext(ctx, `SELECT gin_clean_pending_list('search_docs_fts')`); err != nil {
			return err
		}
	}
	var since int64
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT pg_stat_get_mod_since_analyze('search_docs'::regclass)`).Scan(&since); err != nil {
		return err
	}
	if n >= ginAnalyzeAt || since >= int64(ginAnalyzeAt) {
		_, err := ix.DB.Write.ExecContext(ctx, `ANALYZE search_docs`)
		return err
	}
	return nil
}

// FTS5's merge settings between bulk builds (migration 00036), and the
// crisis merge during one (see bulkStart).
const (
	ftsAutomerge   = 16
	ftsCrisismerge = 64
	bulkCrisis     = 512
)

// ftsMerging sets FTS5's automerge and crisismerge (kept in its config table).
func (ix *Index) ftsMerging(ctx context.Context, automerge, crisis int) error {
	for _, kv := range [][2]any{{"automerge", automerge}, {"crisismerge", crisis}} {
		if _, err := ix.DB.Write.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES ($1, $2)`, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// pinFTSStats gives the planner a fixed, large size of search_fts_data
// when the database has statistics at all. FTS5 plans its own statements
// (a merge's range deletes of merged pages above all) with them, and
// statistics taken while the index was small (an ANALYZE of the whole
// database before a first build: "2 rows") made SQLite scan the whole
// table for every range delete of every merge instead of seeking by rowid:
// at a million documents the build slowed past 3 ms an item and a merge of
// 200 pages took 34 s. With a large size it always seeks, which is right at
// any size. (Deleting the row would not do: a connection keeps the size it
// last loaded for a table that has none.)
func (ix *Index) pinFTSStats(ctx context.Context) error {
	var n int
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'`).Scan(&n); err != nil || n == 0 {
		return err
	}
	var stat string
	err := ix.DB.Read.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE tbl = 'search_fts_data' AND idx IS NULL`).Scan(&stat)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if stat == ftsDataStat {
		return nil
	}
	return ix.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM sqlite_stat1 WHERE tbl = 'search_fts_data'`,
			`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('search_fts_data', NULL, '` + ftsDataStat + `')`,
			`ANALYZE sqlite_schema`} { // the writer loads the statistics again
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// ftsDataStat is the size of search_fts_data that pinFTSStats gives the planner.
const ftsDataStat = "10000000"

// ftsMergeStep is the pages FTS5 writes in one step of ftsMergeAll.
var ftsMergeStep = 2000

// ftsMergeAll merges FTS5's segments into one, as 'optimize' does, but a
// step of ftsMergeStep pages (8 MB) a transaction ('merge' with a negative
// size puts every segment on one level and merges them): 'optimize' is one
// statement, which held the writer (every other write, a citizen's
// submission too) for the minutes of a million-document merge and grew the
// log by the size of the index. It stops when a step merges nothing.
func (ix *Index) ftsMergeAll(ctx context.Context) error {
	for {
		var before, after int64
		err := ix.DB.Tx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES ('merge', $1)`, -ftsMergeStep); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after)
		})
		// the command counts as one change itself; a step that merged
		// wrote pages and the structure too
		if err != nil || after-before <= 1 {
			return err
		}
	}
}

// backlog counts the source rows changed since the marks (less Margin):
// what a sync will read, an upper bound of what it will index.
func (ix *Index) backlog(ctx context.Context) (int, error) {
	total := 0
	for _, k := range ix.enabled() {
		var n int
		if err := ix.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+k+`s WHERE updated_at >= COALESCE((SELECT mark FROM search_marks WHERE kind = $1), 0) - $2`,
			k, Margin.Milliseconds()).Scan(&n); err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (ix *Index) batch() int {
	if ix.Batch <= 0 {
		return 500
	}
	return ix.Batch
}

// batchDocs is one batch read and tokenized, ready to write.
type batchDocs struct {
	docs []doc
	cols []string // the index column of each doc
	last cursor   // the position of the last row read
	err  error
}

// prefetch reads the next batch after cur in the background.
func (ix *Index) prefetch(ctx context.Context, src source, cur cursor, size int) <-chan batchDocs {
	ch := make(chan batchDocs, 1)
	go func() { ch <- ix.read(ctx, src, cur, size) }()
	return ch
}

// read returns the next rows after cur that the index lacks or holds in an
// older version, at most size, with their index columns.
func (ix *Index) read(ctx context.Context, src source, cur cursor, size int) batchDocs {
	out := ix.readDocs(ctx, src, `SELECT `+src.cols+` FROM `+src.from+`
		LEFT JOIN search_docs sd ON sd.kind = $1 AND sd.ref_id = x.id
		WHERE x.updated_at >= $2 AND (x.updated_at > $2 OR x.id > $3)
		AND (sd.id IS NULL OR sd.src_updated <> x.updated_at)
		ORDER BY x.updated_at, x.id LIMIT $4`, src.kind, cur.at, cur.id, size)
	if len(out.docs) > 0 {
		last := out.docs[len(out.docs)-1]
		out.last = cursor{last.Updated, last.ID}
	}
	return out
}

// readDocs runs a query of src's columns and returns its rows as
// documents with their index columns.
func (ix *Index) readDocs(ctx context.Context, src source, query string, args ...any) batchDocs {
	var out batchDocs
	rows, err := ix.DB.Read.QueryContext(ctx, query, args...)
	if err != nil {
		out.err = err
		return out
	}
	for rows.Next() {
		d, err := src.scan(ix, rows)
		if err != nil {
			rows.Close()
			out.err = err
			return out
		}
		out.docs = append(out.docs, d)
	}
	rows.Close()
	if out.err = rows.Err(); out.err != nil || len(out.docs) == 0 {
		return out
	}
	out.cols = ix.tokenize(out.docs)
	return out
}

// tokenize makes the index columns of docs, on every core: tokenizing is
// the CPU work of a bulk build.
func (ix *Index) tokenize(docs []doc) []string {
	cols := make([]string, len(docs))
	workers := min(runtime.GOMAXPROCS(0), max(len(docs)/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(docs); i += workers {
				cols[i] = ix.tokens(&docs[i])
			}
		})
	}
	wg.Wait()
	return cols
}

// headMark starts the PostgreSQL lexemes that stand for "a token starting
// with this character" (migration 00032): the text parser never leaves it
// in a lexeme of to_tsvector or to_tsquery, so they meet nothing else.
const headMark = "_"

// heads is the heads column of a plain document on PostgreSQL: the first
// character of each of its tokens, once each, marked ("_区 _大 _a"). The
// lexeme _区 is then in the GIN index exactly when the prefix query '区':*
// matches, and answers it from one posting list.
func heads(tokens string) string {
	seen := map[rune]bool{}
	var b strings.Builder
	for tok := range strings.FieldsSeq(tokens) {
		r, _ := utf8.DecodeRuneInString(tok)
		if seen[r] {
			continue
		}
		seen[r] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(headMark)
		b.WriteRune(r)
	}
	return b.String()
}

// scopeLexemes are the PostgreSQL lexemes of a ledger item's, project's or
// rating's reach (migration 00040): _u<id> for its unit and every unit
// above it, and _p<id> for its responsible person. A reader below the
// province asks GIN for the query's tokens and any of the lexemes of his
// reach (scopeQuery), so the matches outside it are never read: a city
// inspector's 噪音 joined every match of a window to its item and unit to
// keep one in fourteen. They are written with heads (no positions), are
// kept current by the item's own changes (its unit or person changes its
// updated_at) and by syncUnits for units moved, and the SQL check of the
// reach on the source rows stays the authority: a stale lexeme could only
// hide an item for a while, never show one.
func scopeLexemes(d *doc) string {
	if d.UnitPath == "" {
		return ""
	}
	var b strings.Builder
	for id := range strings.SplitSeq(strings.Trim(d.UnitPath, "/"), "/") {
		if id == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(headMark + "u" + id)
	}
	if d.Person != 0 {
		b.WriteString(" " + headMark + "p" + strconv.FormatInt(d.Person, 10))
	}
	return b.String()
}

// placeholder is the n-th parameter of a statement of thousands: "?" in
// order on SQLite, which looks every "$n" up by name in a list (quadratic:
// a fifth of a bulk build's CPU at 14,000 parameters a statement).
func placeholder(pg bool, n int) string {
	if pg {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// write stores one batch and moves the kind's mark, in one transaction.
func (ix *Index) write(ctx context.Context, kind string, b batchDocs) error {
	docs, cols := b.docs, b.cols
	var mark int64
	for i := range docs {
		mark = max(mark, docs[i].Updated)
	}
	return ix.DB.Tx(ctx, func(tx *sql.Tx) error {
		keys, err := docKeys(ctx, tx, ix.DB.Dialect, docs)
		if err != nil {
			return err
		}
		// one statement for the batch: FTS5 flushes its pending terms at every
		// statement's savepoint, so row-by-row inserts would write a segment each
		var vals []string
		var args []any
		pg := ix.DB.Dialect == store.Postgres
		arg := func(v any) string { args = append(args, v); return placeholder(pg, len(args)) }
		for i, d := range docs {
			v := "(" + arg(keys[i]) + ", " + arg(d.Kind) + ", " + arg(d.ID) + ", " + arg(boolInt(d.Sealed)) + ", " + arg(cols[i]) + ", " + arg(d.Updated)
			if pg {
				h := ""
				if !d.Sealed {
					h = heads(cols[i])
				}
				// time lexemes of the key's time (keys[i]>>keyShift: d.Updated
				// as the key holds it), for the windows (timelex.go)
				lex := strings.Join(timeLexemes(keys[i]>>keyShift), " ")
				v += ", " + arg(strings.TrimSpace(h+" "+scopeLexemes(&d)+" "+lex))
			}
			vals = append(vals, v+")")
		}
		// the key moves with the source's time: the row (and on SQLite its
		// FTS5 entry, by the update trigger) takes the new one
		names, set := "id, kind, ref_id, sealed, tokens, src_updated", ""
		if pg {
			names, set = names+", heads", ", heads = excluded.heads"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_docs (`+names+`)
			VALUES `+strings.Join(vals, ", ")+` ON CONFLICT (kind, ref_id) DO UPDATE
			SET id = excluded.id, sealed = excluded.sealed, tokens = excluded.tokens, src_updated = excluded.src_updated`+set, args...); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `INSERT INTO search_marks (kind, mark) VALUES ($1, $2)
			ON CONFLICT (kind) DO UPDATE SET mark = CASE WHEN excluded.mark > search_marks.mark THEN excluded.mark ELSE search_marks.mark END`,
			kind, mark); err != nil {
			return err
		}
		if ix.DB.Dialect == store.Postgres {
			// the path a unit's items were first indexed with, for syncUnits
			// (see unitPaths)
			err = store.InsertRows(ctx, tx, ix.DB.Dialect, `INSERT INTO search_unit_paths (unit_id, path) VALUES `,
				` ON CONFLICT (unit_id) DO NOTHING`, unitPaths(docs), 1000)
		}
		return err
	})
}

// unitPaths are the units of docs with the path each was read with, once
// each. Recorded when a unit's first items are indexed, kept until
// syncUnits re-indexes them all under a new path: a unit whose path was
// never recorded has no items indexed under another path, so syncUnits
// leaves it alone. (Without, a first build found every unit unrecorded
// and wrote every item a second time: a million items, 2,000,000 rows.)
func unitPaths(docs []doc) [][]any {
	var out [][]any
	seen := map[string]bool{}
	for i := range docs {
		path := docs[i].UnitPath
		if path == "" || seen[path] {
			continue
		}
		seen[path] = true
		id, err := strconv.ParseInt(pathUnit(path), 10, 64)
		if err != nil {
			continue // not a unit path: no lexemes were made of it either
		}
		out = append(out, []any{id, path})
	}
	return out
}

// The key of an index row (search_docs.id, the FTS5 rowid on SQLite) is
// time-sortable: the source's updated_at in the high bits, so that key
// order is the order of results (most recently changed first) and a search
// can read the newest matches first and stop (see Index.Search): FTS5
// answers "rowid >= k" by seeking in its doclists, and PostgreSQL combines
// the key range with the GIN matches in one bitmap. Below the time, 21 bits
// tell rows of the same millisecond apart: the kind (2 bits) and the low
// 19 bits of the source id; docKeys resolves the rare collision within the
// same millisecond.
const (
	keyShift = 21
	keyRef   = 1<<19 - 1
	maxTime  = 1<<(63-keyShift) - 1 // unix ms: the year 2109
)

// keyAt is the smallest key of a row changed at t (unix ms).
func keyAt(t int64) int64 { return min(max(t, 0), maxTime) << keyShift }

func docKey(d *doc) int64 {
	return keyAt(d.Updated) | int64(slices.Index(Kinds, d.Kind))<<19 | d.ID&keyRef
}

// docKeys gives each document of a batch its key: docKey, or where another
// item already holds that key (same millisecond, same kind, source ids
// equal in their low 19 bits: a bulk change of over half a million rows),
// the next free key of the same millisecond, so the order by time holds.
func docKeys(ctx context.Context, tx *sql.Tx, dialect store.Dialect, docs []doc) ([]int64, error) {
	keys := make([]int64, len(docs))
	var args []any
	var ph []string
	for i := range docs {
		keys[i] = docKey(&docs[i])
		args = append(args, keys[i])
		ph = append(ph, placeholder(dialect == store.Postgres, len(args)))
	}
	type owner struct {
		kind string
		ref  int64
	}
	held := map[int64]owner{}
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, ref_id FROM search_docs WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k int64
		var o owner
		if err := rows.Scan(&k, &o.kind, &o.ref); err != nil {
			rows.Close()
			return nil, err
		}
		held[k] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range docs {
		me := owner{docs[i].Kind, docs[i].ID}
		base := keyAt(docs[i].Updated)
		k := keys[i]
		for n := 0; ; n++ {
			if n == 1<<keyShift {
				return nil, errors.New("search: no free index key in one millisecond")
			}
			o, ok := held[k]
			if !ok && n > 0 { // a probed key: ask the table too
				err := tx.QueryRowContext(ctx, `SELECT kind, ref_id FROM search_docs WHERE id = $1`, k).Scan(&o.kind, &o.ref)
				if err == nil {
					ok = true
					held[k] = o
				} else if !errors.Is(err, sql.ErrNoRows) {
					return nil, err
				}
			}
			if !ok || o == me {
				break
			}
			k = base | (k+1)&(1<<keyShift-1)
		}
		held[k] = me
		keys[i] = k
	}
	return keys, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Job keeps the index current between searches (a search syncs first too,
// so the job's work is the bulk: the first build and large imports). Every
// minute; a run indexes whatever changed, in batches.
func (ix *Index) Job(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "search_index", Every: time.Minute, Lease: 30 * time.Minute, Run: func(ctx context.Context) error {
		n, err := ix.Sync(ctx)
		if n > 0 && log != nil {
			log.Info("search index", "indexed", n)
		}
		return err
	}}
}
