package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/vault"
)

// TestBackupDuringLoad takes a backup while public reports and progress
// reports with files keep arriving, restores it into a new data folder (and,
// on PostgreSQL, a new database) with the master key from the key backup,
// and starts a server on it: every request acknowledged before the backup
// began is served intact (content decrypts, file hashes match), and
// `luoshi audit verify` exits 0 on the restored copy. SQLite uses `luoshi
// backup` and `luoshi restore`; PostgreSQL uses pg_dump -Fc and pg_restore
// plus a copy of the attachments folder, as docs/operations.md says.
func TestBackupDuringLoad(t *testing.T) {
	bin := buildLuoshi(t)
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			dir := t.TempDir()
			flags := []string{"--data", dir}
			dbURL := filepath.Join(dir, "luoshi.db")
			if d == store.Postgres {
				if _, err := exec.LookPath("pg_dump"); err != nil {
					if os.Getenv("CI") == "true" {
						t.Fatal("pg_dump is not installed: CI must run the PostgreSQL backup test")
					}
					t.Skip("pg_dump is not installed")
				}
				dbURL = freshPostgresDB(t)
				flags = append(flags, "--db", dbURL)
			}
			tokens := seedCrash(t, dbURL)
			srv := startServer(t, bin, flags)
			var w crashWork
			w.problems = createProblems(t, srv.base, tokens, 2)
			acked, stop := w.drive(t, srv.base, tokens)
			for start := time.Now(); time.Since(start) < 30*time.Second && acked.Load() < 20; time.Sleep(20 * time.Millisecond) {
			}
			// what was acknowledged before the backup began must be in it
			w.mu.Lock()
			before := &crashWork{problems: w.problems, reports: slices.Clone(w.reports), progress: slices.Clone(w.progress)}
			w.mu.Unlock()

			restored := t.TempDir()
			rflags := []string{"--data", restored}
			archive := filepath.Join(t.TempDir(), "backup")
			start := time.Now()
			if d == store.SQLite {
				exe(t, bin, "backup", "--data", dir, "--out", archive)
			} else {
				exe(t, "pg_dump", "-Fc", "-f", archive, "--dbname", dbURL)
			}
			took := time.Since(start)
			time.Sleep(300 * time.Millisecond) // load goes on after the backup too
			stop()
			srv.stop()
			during := acked.Load()

			if d == store.SQLite {
				os.Remove(restored) // restore wants to create the folder itself or find it empty
				exe(t, bin, "restore", "--in", archive, "--data", restored)
			} else {
				newURL := freshPostgresDB(t)
				exe(t, "pg_restore", "--no-owner", "--exit-on-error", "--dbname", newURL, archive)
				// attachments are written before the rows naming them commit:
				// a copy taken after the dump holds every file it refers to
				copyDir(t, filepath.Join(dir, "attachments"), filepath.Join(restored, "attachments"))
				rflags = append(rflags, "--db", newURL)
			}
			copyFile(t, filepath.Join(dir, vault.KeyFileName), filepath.Join(restored, vault.KeyFileName)) // from the key backup
			exe(t, bin, append([]string{"audit", "verify"}, rflags...)...)
			rsrv := startServer(t, bin, rflags)
			defer rsrv.stop()
			if lost := before.check(t, rsrv.base, tokens); lost != 0 {
				t.Fatalf("%d requests acknowledged before the backup are missing from the restored copy", lost)
			}
			t.Logf("%s: backup took %v under load; %d requests acknowledged before it began, all served by the restored copy; %d acknowledged in all",
				d, took.Round(time.Millisecond), len(before.reports)+len(before.progress), during)
		})
	}
}

// exe runs a command and fails the test when it exits non-zero.
func exe(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	os.MkdirAll(filepath.Dir(to), 0o700)
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		copyFile(t, p, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
