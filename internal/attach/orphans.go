package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/store"
)

// Orphans. An object is written, durably, before the row that names it
// commits (an acknowledged upload survives a crash). So a transaction that
// fails after the write (a refused record, a database gone away) or a crash
// in between leaves an object that no record names: an orphan, and for a
// sealed report file one that decrypts for no one. The Sweeper removes them.
//
// It never deletes an object outright. An unnamed object older than Grace is
// first copied to orphans/<key> and then removed; a later run deletes the
// copy once it has waited Hold and is still unnamed, or puts it back if a
// record names it by then. That covers the one race there is: a new upload
// of the very same bytes (a retried upload, content-addressed to the same
// key) finding the old object in place just as the sweep removes it. The
// writer refreshes an old object's time (blob.Fresh) and the sweep looks at
// the time again after copying, so the object is normally left alone;
// should the upload commit its row in between anyway, the copy brings the
// bytes back at once or on the next run. Nothing acknowledged is lost.
//
// The sweep reads the attachments table (this package's) and report_files
// (internal/report's sealed files, under sealed/): a blob store is shared by
// both, and asking each package in turn would cost a query per object.

// quarantine is the prefix of the copies kept while an orphan is removed.
const quarantine = "orphans/"

// Sweeper removes orphan objects from a blob store.
type Sweeper struct {
	DB    *store.DB
	Blobs blob.Store
	// Grace is how old an unnamed object must be to be an orphan (default
	// 24 hours: far longer than any upload's transaction).
	Grace time.Duration
	// Hold is how long the quarantined copy waits (default 1 hour).
	Hold time.Duration
	// Now is the clock (nil: time.Now); tests move it forward.
	Now func() time.Time
	// Batch is how many keys one query checks (default 500).
	Batch int
}

// NewSweeper returns a sweeper with the default periods.
func NewSweeper(db *store.DB, b blob.Store) *Sweeper { return &Sweeper{DB: db, Blobs: b} }

// SweepStats says what one run did.
type SweepStats struct {
	Objects     int // objects of a known layout looked at
	Quarantined int // orphans copied aside and removed
	Restored    int // quarantined copies put back (a record names them)
	Deleted     int // quarantined copies deleted for good
	Kept        int // unnamed objects left alone: too recent, or refreshed meanwhile
	Temp        int // temporary files of interrupted writes removed
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sweeper) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return 24 * time.Hour
}

func (s *Sweeper) hold() time.Duration {
	if s.Hold > 0 {
		return s.Hold
	}
	return time.Hour
}

// Job runs the sweep on one node at a time (the jobs table's claim), every
// six hours.
func (s *Sweeper) Job(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "orphan_sweep", Every: 6 * time.Hour, Lease: 2 * time.Hour, Run: func(ctx context.Context) error {
		st, err := s.Sweep(ctx)
		if st != (SweepStats{}) {
			log.Info("orphan sweep", "store", s.Blobs.String(), "objects", st.Objects, "quarantined", st.Quarantined,
				"restored", st.Restored, "deleted", st.Deleted, "kept", st.Kept, "temp", st.Temp)
		}
		return err
	}}
}

// ref is an object key of a known layout and the row that would name it.
type ref struct {
	key, table, sum string
}

// parseKey recognizes the two layouts: ab/cd/<sha256> (attachments, Key)
// and sealed/ab/cd/<sha256> (report files). Anything else in the store is
// not the sweep's business and is left alone.
func parseKey(key string) (ref, bool) {
	table, rest := "attachments", key
	if r, ok := strings.CutPrefix(key, "sealed/"); ok {
		table, rest = "report_files", r
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || len(parts[2]) != 64 || !isHex(parts[2]) || parts[0] != parts[2][:2] || parts[1] != parts[2][2:4] {
		return ref{}, false
	}
	return ref{key: key, table: table, sum: parts[2]}, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// named returns the keys among refs that some row names.
func (s *Sweeper) named(ctx context.Context, refs []ref) (map[string]bool, error) {
	out := map[string]bool{}
	by := map[string][]ref{}
	for _, r := range refs {
		by[r.table] = append(by[r.table], r)
	}
	for table, rs := range by {
		ph := make([]string, len(rs))
		args := make([]any, len(rs))
		keyOf := map[string]string{}
		for i, r := range rs {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), r.sum
			keyOf[r.sum] = r.key
		}
		// table is one of two constants (parseKey), never input
		rows, err := s.DB.Read.QueryContext(ctx, `SELECT DISTINCT sha256 FROM `+table+` WHERE sha256 IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var sum string
			if err := rows.Scan(&sum); err != nil {
				rows.Close()
				return nil, err
			}
			out[keyOf[sum]] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Sweep runs once: it settles the quarantined copies of earlier runs, then
// quarantines the objects no record names that are older than Grace, then
// removes the temporary files of interrupted writes older than Grace.
func (s *Sweeper) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	if err := s.settle(ctx, &st); err != nil {
		return st, err
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	var pending []ref
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		named, err := s.named(ctx, pending)
		if err != nil {
			return err
		}
		for _, r := range pending {
			if !named[r.key] {
				if err := s.quarantine(ctx, r, &st); err != nil {
					return err
				}
			}
		}
		pending = pending[:0]
		return nil
	}
	err := s.Blobs.Walk(ctx, "", func(key string, _ int64) error {
		r, ok := parseKey(key)
		if !ok {
			return nil
		}
		st.Objects++
		if pending = append(pending, r); len(pending) >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return st, err
	}
	if ts, ok := s.Blobs.(blob.TempSweeper); ok {
		n, err := ts.SweepTemp(ctx, s.now().Add(-s.grace()))
		st.Temp += n
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

// old reports whether key was last written more than d ago; a missing
// object is not old (there is nothing to do).
func (s *Sweeper) old(ctx context.Context, key string, d time.Duration) (bool, error) {
	fi, err := s.Blobs.Stat(ctx, key)
	if errors.Is(err, blob.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.now().Sub(fi.ModTime) > d, nil
}

// quarantine copies an unnamed object aside and removes it, unless it is
// recent, or is refreshed (named again) meanwhile.
func (s *Sweeper) quarantine(ctx context.Context, r ref, st *SweepStats) error {
	if ok, err := s.old(ctx, r.key, s.grace()); err != nil || !ok {
		st.Kept++
		return err
	}
	if err := s.copy(ctx, r.key, quarantine+r.key); err != nil {
		return err
	}
	// a Commit of the same bytes since the first look refreshed the time
	if ok, err := s.old(ctx, r.key, s.grace()); err != nil || !ok {
		st.Kept++
		if err == nil {
			err = s.Blobs.Delete(ctx, quarantine+r.key)
		}
		return err
	}
	if err := s.Blobs.Delete(ctx, r.key); err != nil {
		return err
	}
	st.Quarantined++
	// a record that committed in between gets its bytes back at once
	named, err := s.named(ctx, []ref{r})
	if err != nil || !named[r.key] {
		return err
	}
	return s.restore(ctx, r.key, st)
}

// settle looks at the quarantined copies: a copy a record now names goes
// back into place; one still unnamed after Hold is deleted.
func (s *Sweeper) settle(ctx context.Context, st *SweepStats) error {
	var refs []ref
	if err := s.Blobs.Walk(ctx, quarantine, func(key string, _ int64) error {
		if r, ok := parseKey(strings.TrimPrefix(key, quarantine)); ok {
			refs = append(refs, r)
		}
		return nil
	}); err != nil {
		return err
	}
	for len(refs) > 0 {
		n := min(len(refs), 500)
		named, err := s.named(ctx, refs[:n])
		if err != nil {
			return err
		}
		for _, r := range refs[:n] {
			if named[r.key] {
				if err := s.restore(ctx, r.key, st); err != nil {
					return err
				}
				continue
			}
			if ok, err := s.old(ctx, quarantine+r.key, s.hold()); err != nil {
				return err
			} else if ok {
				if err := s.Blobs.Delete(ctx, quarantine+r.key); err != nil {
					return err
				}
				st.Deleted++
			}
		}
		refs = refs[n:]
	}
	return nil
}

// restore puts a quarantined copy back (unless the object is there again)
// and drops the copy.
func (s *Sweeper) restore(ctx context.Context, key string, st *SweepStats) error {
	if ok, err := s.Blobs.Exists(ctx, key); err != nil {
		return err
	} else if !ok {
		if err := s.copy(ctx, quarantine+key, key); err != nil {
			return err
		}
		st.Restored++
	}
	return s.Blobs.Delete(ctx, quarantine+key)
}

// copy writes a new object dst with the bytes of src, durably.
func (s *Sweeper) copy(ctx context.Context, src, dst string) error {
	o, err := s.Blobs.Open(ctx, src)
	if err != nil {
		return fmt.Errorf("orphan sweep: %w", err)
	}
	defer o.Close()
	w, err := s.Blobs.Create(ctx)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := io.Copy(w, o); err != nil {
		return err
	}
	return w.Commit(dst)
}
