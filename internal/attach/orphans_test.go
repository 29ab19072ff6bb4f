package attach_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/blob/blobtest"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/org"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// eachFresh is each with a fresh database for every blob store.
func eachFresh(t *testing.T, fn func(t *testing.T, db *store.DB, s *attach.Store, b blob.Store)) {
	blobtest.Each(t, func(t *testing.T, b blob.Store) {
		storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, db, attach.NewOn(b), b) })
	})
}

func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestSweepOrphans: on both engines, with a folder and with an S3 bucket.
// Objects that a record names (an attachment, a report's sealed file) and
// objects of no known layout are never touched; an object left by a failed
// transaction (an attachment whose row was rolled back, a sealed file with
// no row) stays while it is recent, is set aside once older than the grace
// period, and is deleted for good on a later run, unless a record names it
// by then, in which case it is put back with its bytes. Temporary files of
// interrupted writes go too.
func TestSweepOrphans(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *store.DB, s *attach.Store, b blob.Store) {
		// a named attachment
		named, err := s.Put(ctx, db.Write, 0, "现场.png", bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatal(err)
		}
		// an attachment whose transaction failed after the bytes were written
		orphanText := []byte("整改报告（事务失败）")
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := s.Put(ctx, tx, 0, "报告.txt", bytes.NewReader(orphanText)); err != nil {
				return err
			}
			return errors.New("the record was refused")
		})
		if err == nil {
			t.Fatal("the transaction committed")
		}
		orphanKey := attach.Key(sumOf(orphanText))
		// a report's sealed file with its row, and one without
		unit, err := org.CreateUnit(ctx, db, org.SystemPrincipal(), org.UnitInput{Code: "u", Name: "某法院", Kind: "organ"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddReports(ctx, db.Write, []st.Report{{UnitID: unit.ID, AckDue: "2026-11-02"}}); err != nil {
			t.Fatal(err)
		}
		var reportID int64
		if err := db.Read.QueryRowContext(ctx, `SELECT MAX(id) FROM reports`).Scan(&reportID); err != nil {
			t.Fatal(err)
		}
		sealed, sealedOrphan := []byte("sealed bytes of a report file"), []byte("sealed bytes nobody names")
		sealedKey := func(sum string) string { return "sealed/" + sum[:2] + "/" + sum[2:4] + "/" + sum }
		for _, d := range [][]byte{sealed, sealedOrphan} {
			if err := blob.Put(ctx, b, sealedKey(sumOf(d)), d); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO report_files (report_id, sha256, plain_sha, sealed_name, mime, size, created_at)
			VALUES ($1, $2, $2, $3, 'text/plain', 1, 1)`, reportID, sumOf(sealed), []byte("x")); err != nil {
			t.Fatal(err)
		}
		// objects of no known layout: never the sweep's business
		strangers := []string{"notes/readme.txt", "ab/cd/abcd", attach.Key(sumOf([]byte("x")))[:10] + "/zz"}
		for _, k := range strangers {
			if err := blob.Put(ctx, b, k, []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		// a folder keeps the temporary file of a write that never finished
		var tmpFile string
		if d, ok := b.(*blob.Dir); ok {
			w, err := d.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("half"))
			m, _ := filepath.Glob(filepath.Join(d.Root, ".tmp", "up-*"))
			if len(m) != 1 {
				t.Fatalf("temporary files %q", m)
			}
			tmpFile = m[0]
		}

		now := time.Now()
		sw := attach.NewSweeper(db, b)
		sw.Now = func() time.Time { return now }
		keys := func() []string {
			k := objects(t, b)
			slices.Sort(k)
			return k
		}
		has := func(k string) bool { return slices.Contains(keys(), k) }
		all := keys()

		// 1. everything is recent: nothing moves
		stats, err := sw.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Objects != 4 || stats.Kept != 2 || stats.Quarantined != 0 || stats.Temp != 0 || !slices.Equal(keys(), all) {
			t.Fatalf("run 1: %+v\n%q", stats, keys())
		}

		// 2. two days later: the two orphans are set aside, the rest stays
		now = now.Add(48 * time.Hour)
		stats, err = sw.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Quarantined != 2 || stats.Deleted != 0 {
			t.Fatalf("run 2: %+v", stats)
		}
		for _, k := range []string{orphanKey, sealedKey(sumOf(sealedOrphan))} {
			if has(k) || !has("orphans/"+k) {
				t.Errorf("run 2: %s not set aside: %q", k, keys())
			}
		}
		for _, k := range append([]string{attach.Key(named.SHA256), sealedKey(sumOf(sealed))}, strangers...) {
			if !has(k) {
				t.Errorf("run 2: %s is gone", k)
			}
		}
		if tmpFile != "" {
			if _, err := os.Stat(tmpFile); !os.IsNotExist(err) || stats.Temp != 1 {
				t.Errorf("run 2: the temporary file is still there (%d removed): %v", stats.Temp, err)
			}
		}

		// 3. a record names the attachment orphan after all (the retried
		// upload committed just as it was set aside): it comes back; the
		// sealed orphan, still unnamed after the hold, is deleted
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO attachments (sha256, name, mime, size, created_at)
			VALUES ($1, '报告.txt', 'text/plain; charset=utf-8', $2, 1)`, sumOf(orphanText), len(orphanText)); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour)
		stats, err = sw.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Restored != 1 || stats.Deleted != 1 || stats.Quarantined != 0 {
			t.Fatalf("run 3: %+v", stats)
		}
		if got, err := blob.ReadAll(ctx, b, orphanKey); err != nil || !bytes.Equal(got, orphanText) {
			t.Errorf("run 3: restored %q %v", got, err)
		}
		want := []string{attach.Key(named.SHA256), orphanKey, sealedKey(sumOf(sealed))}
		want = append(want, strangers...)
		slices.Sort(want)
		if got := keys(); !slices.Equal(got, want) {
			t.Errorf("run 3: objects\n got %q\nwant %q", got, want)
		}

		// 4. nothing left to do
		if stats, err = sw.Sweep(ctx); err != nil || stats.Quarantined+stats.Deleted+stats.Restored != 0 {
			t.Errorf("run 4: %+v %v", stats, err)
		}
	})
}

// TestSweepJobRunsOnceAcrossNodes: three nodes' job runners on one database
// claim the orphan sweep at once; it runs on exactly one of them.
func TestSweepJobRunsOnceAcrossNodes(t *testing.T) {
	eachFresh(t, func(t *testing.T, db *store.DB, _ *attach.Store, b blob.Store) {
		log := slog.New(slog.DiscardHandler)
		var runs atomic.Int32
		var wg sync.WaitGroup
		for range 3 {
			j := attach.NewSweeper(db, b).Job(log)
			if j.Name != "orphan_sweep" {
				t.Fatalf("job %q", j.Name)
			}
			run := j.Run
			j.Run = func(ctx context.Context) error { runs.Add(1); return run(ctx) }
			r := jobs.NewRunner(db, log, nil, j)
			wg.Go(func() { r.RunDue(ctx) })
		}
		wg.Wait()
		if n := runs.Load(); n != 1 {
			t.Errorf("the sweep ran %d times", n)
		}
	})
}
