package backup

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := audit.Record(ctx, db, audit.Event{Actor: audit.System, Action: "test.event", ObjectType: "x", ObjectID: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	att := filepath.Join(dir, "attachments", "ab")
	os.MkdirAll(att, 0o700)
	os.WriteFile(filepath.Join(att, "file.bin"), []byte("evidence"), 0o600)

	out := filepath.Join(t.TempDir(), "snap.tar.gz")
	n, err := Write(ctx, db, filepath.Join(dir, "attachments"), out)
	if err != nil || n != 2 {
		t.Fatalf("backup: %d files, %v", n, err)
	}
	// a write after the snapshot is not in it
	audit.Record(ctx, db, audit.Event{Actor: audit.System, Action: "test.after", ObjectType: "x", ObjectID: "2"})

	restored := t.TempDir()
	if _, err := Restore(out, restored); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Open(ctx, filepath.Join(restored, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if n, err := audit.Verify(ctx, rdb); err != nil || n != 20 {
		t.Fatalf("restored chain: %d entries, %v", n, err)
	}
	b, err := os.ReadFile(filepath.Join(restored, "attachments", "ab", "file.bin"))
	if err != nil || string(b) != "evidence" {
		t.Fatalf("attachment: %q %v", b, err)
	}
	if _, err := Restore(out, restored); err == nil {
		t.Fatal("restore over an existing database succeeded")
	}
}
