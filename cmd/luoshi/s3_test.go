package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/blob/blobtest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/vault"
)

// TestS3Attachments runs the real binary with its attachments in a bucket
// of an S3-compatible server (gofakes3, in this process): public reports with
// files and progress reports with evidence are uploaded and downloaded
// through the API and the portal, intact; their bytes are in the bucket and
// not in the data folder. When the storage goes away an upload is answered
// 503 and nothing is recorded; when it is back, uploads work again without
// a restart. On SQLite, `luoshi backup` copies the bucket's objects into the
// archive, and a restore into a plain data folder serves every file.
func TestS3Attachments(t *testing.T) {
	bin := buildLuoshi(t)
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			s3 := blobtest.NewServer(t, "luoshi-files")
			env := s3.Env("luoshi-files")
			for k, v := range env {
				t.Setenv(k, v)
			}
			dir := t.TempDir()
			flags := []string{"--data", dir, "--attachments", "s3://luoshi-files/node"}
			dbURL := filepath.Join(dir, "luoshi.db")
			if d == store.Postgres {
				dbURL = freshPostgresDB(t)
				flags = append(flags, "--db", dbURL)
			}
			tokens := seedCrash(t, dbURL)
			srv := startServer(t, bin, flags)
			defer srv.stop()
			var w crashWork
			w.problems = createProblems(t, srv.base, tokens, 1)
			acked, stop := w.drive(t, srv.base, tokens)
			for start := time.Now(); time.Since(start) < 60*time.Second && acked.Load() < 12; time.Sleep(20 * time.Millisecond) {
			}
			stop()
			if w.reportFiles() == 0 || len(w.progress) == 0 {
				t.Fatalf("nothing uploaded: %d report files, %d progress reports", w.reportFiles(), len(w.progress))
			}
			if lost := w.check(t, srv.base, tokens); lost != 0 {
				t.Fatalf("%d uploads missing or changed", lost)
			}

			// the bytes are in the bucket, under the prefix, and not on disk
			bucket, err := blob.Open("s3://luoshi-files/node", "", func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			var plain, sealed int
			bucket.Walk(context.Background(), "", func(k string, _ int64) error {
				if strings.HasPrefix(k, "sealed/") {
					sealed++
				} else {
					plain++
				}
				return nil
			})
			if plain < len(w.progress) || sealed < w.reportFiles() {
				t.Fatalf("bucket holds %d evidence files and %d sealed files; sent %d and %d", plain, sealed, len(w.progress), w.reportFiles())
			}
			filepath.WalkDir(filepath.Join(dir, "attachments"), func(p string, e os.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					t.Errorf("a file on disk with S3 configured: %s", p)
				}
				return nil
			})

			// the storage goes away: 503, nothing recorded; it comes back: uploads work
			s3.Close()
			progress := func(note string) (int, string) {
				data := randomText()
				ct, body := multipartBody(map[string]string{"note": note, "percent": "99"}, "evidence", "断开.txt", data)
				req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/problems/%d/progress", srv.base, w.problems[0]), body)
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Authorization", "Bearer "+tokens["off"])
				res, err := (&http.Client{Timeout: time.Minute}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					w.progress = append(w.progress, progressAck{problem: w.problems[0], note: note, file: "断开.txt", sum: sha256.Sum256(data)})
				}
				return res.StatusCode, string(b)
			}
			if st, b := progress("存储断开时的进展"); st != http.StatusServiceUnavailable || !strings.Contains(b, "unavailable") {
				t.Fatalf("upload with the storage down: %d %s, want 503", st, b)
			}
			s3.Restart(t)
			var st int
			var b string
			for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(200 * time.Millisecond) {
				if st, b = progress("存储恢复后的进展"); st == http.StatusOK {
					break
				}
			}
			if st != http.StatusOK {
				t.Fatalf("upload after the storage came back: %d %s", st, b)
			}
			if lost := w.check(t, srv.base, tokens); lost != 0 {
				t.Fatalf("%d uploads missing or changed after the outage", lost)
			}
			_, events := func() (int, string) {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/problems/%d/events", srv.base, w.problems[0]), nil)
				req.Header.Set("Authorization", "Bearer "+tokens["off"])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}()
			if strings.Contains(events, "存储断开时的进展") {
				t.Fatal("the progress report refused with 503 is on the timeline")
			}
			srv.stop()
			if d != store.SQLite {
				return
			}

			// backup: the archive carries the bucket's objects; restored into
			// a plain data folder, every file is served
			archive := filepath.Join(t.TempDir(), "backup.tar.gz")
			exe(t, bin, "backup", "--data", dir, "--attachments", "s3://luoshi-files/node", "--out", archive)
			t.Setenv("LUOSHI_S3_BUCKET", "")
			restored := filepath.Join(t.TempDir(), "restored")
			exe(t, bin, "restore", "--in", archive, "--data", restored)
			copyFile(t, filepath.Join(dir, vault.KeyFileName), filepath.Join(restored, vault.KeyFileName))
			rsrv := startServer(t, bin, []string{"--data", restored})
			defer rsrv.stop()
			if lost := w.check(t, rsrv.base, tokens); lost != 0 {
				t.Fatalf("%d uploads missing from the restored copy", lost)
			}
			t.Logf("%s: %d report files and %d evidence files through S3, an outage answered 503, backup restored to a folder",
				d, w.reportFiles(), len(w.progress))
		})
	}
}
