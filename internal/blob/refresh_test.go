package blob_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"

	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/blob/blobtest"
)

// TestCommitRefreshesOldObject: a Commit of a key that holds an old object
// (older than blob.Fresh) gives it a fresh time, so that the orphan sweep
// does not take the bytes a new record is about to name; a recent object is
// left as it is. Stat reports sizes, times and missing keys.
func TestCommitRefreshesOldObject(t *testing.T) {
	const key = "ab/cd/abcd"
	data := []byte("证据")
	check := func(t *testing.T, s blob.Store, age func(), wantOld time.Time) {
		if _, err := s.Stat(ctx, "ab/cd/missing"); !errors.Is(err, blob.ErrNotExist) {
			t.Fatalf("stat of a missing key: %v", err)
		}
		if err := blob.Put(ctx, s, key, data); err != nil {
			t.Fatal(err)
		}
		age()
		fi, err := s.Stat(ctx, key)
		if err != nil || fi.Size != int64(len(data)) || !fi.ModTime.Equal(wantOld) {
			t.Fatalf("stat of the aged object: %+v %v (want time %v)", fi, err, wantOld)
		}
		if err := blob.Put(ctx, s, key, data); err != nil {
			t.Fatal(err)
		}
		fresh, err := s.Stat(ctx, key)
		if err != nil || !fresh.ModTime.After(wantOld.Add(blob.Fresh)) {
			t.Fatalf("an old object was not refreshed: %v, %v", fresh.ModTime, err)
		}
		if err := blob.Put(ctx, s, key, data); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.Stat(ctx, key); !again.ModTime.Equal(fresh.ModTime) {
			t.Errorf("a recent object was written again: %v, then %v", fresh.ModTime, again.ModTime)
		}
		if b, err := blob.ReadAll(ctx, s, key); err != nil || string(b) != string(data) {
			t.Errorf("read back %q %v", b, err)
		}
	}
	t.Run("folder", func(t *testing.T) {
		root := t.TempDir()
		old := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
		check(t, blob.NewDir(root), func() {
			if err := os.Chtimes(filepath.Join(root, key), old, old); err != nil {
				t.Fatal(err)
			}
		}, old)
	})
	t.Run("s3", func(t *testing.T) {
		// the server's clock stands three hours back while the object is
		// written, then catches up
		old := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second)
		clock := gofakes3.FixedTimeSource(old)
		check(t, blobtest.S3WithClock(t, clock), func() { clock.Advance(3 * time.Hour) }, old)
	})
}
