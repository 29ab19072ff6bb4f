package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/vault"
)

// TestBackupLeavesTheMasterKeyOut: a backup that carried the master key would
// hand whoever holds the archive every encrypted report. The key is backed up
// separately (README: "Master key and its backup").
func TestBackupLeavesTheMasterKeyOut(t *testing.T) {
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
	v, err := vault.LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Check(ctx, db.Write); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, vault.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "attachments", "ab"), 0o700)
	os.WriteFile(filepath.Join(dir, "attachments", "ab", "f"), []byte("sealed bytes"), 0o600)

	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if _, err := Write(ctx, db, filepath.Join(dir, "attachments"), out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	var all []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		b, _ := io.ReadAll(tr)
		all = append(all, b...)
	}
	if len(names) != 2 {
		t.Fatalf("archive entries %v, want the database and one attachment", names)
	}
	for _, n := range names {
		if strings.Contains(n, vault.KeyFileName) {
			t.Fatalf("the archive holds %s", n)
		}
	}
	if bytes.Contains(all, bytes.TrimSpace(key)) {
		t.Fatal("the master key's text is inside the archive")
	}
	// and the registered key check is: a restore started with another key is refused
	restored := t.TempDir()
	if _, err := Restore(out, restored); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(restored, vault.KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("restore produced a master key file")
	}
	rdb, err := store.Open(ctx, filepath.Join(restored, DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	fresh, _ := vault.LoadKey(restored, "")
	if err := fresh.Check(ctx, rdb.Write); err == nil {
		t.Fatal("a restored database accepted a new master key")
	}
	os.WriteFile(filepath.Join(restored, vault.KeyFileName), key, 0o600)
	right, err := vault.LoadKey(restored, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := right.Check(ctx, rdb.Write); err != nil {
		t.Fatalf("restored database with the backed-up key: %v", err)
	}
}
