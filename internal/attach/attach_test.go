package attach_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/blob/blobtest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

var ctx = context.Background()

// a real 1×1 PNG
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

// each runs fn on every database engine with both blob stores: a folder
// and an S3 bucket on an in-process S3-compatible server.
func each(t *testing.T, fn func(t *testing.T, db *store.DB, s *attach.Store, b blob.Store)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		blobtest.Each(t, func(t *testing.T, b blob.Store) { fn(t, db, attach.NewOn(b), b) })
	})
}

func objects(t *testing.T, b blob.Store) []string {
	var keys []string
	if err := b.Walk(ctx, "", func(k string, _ int64) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// hugePNG is pngBytes with its IHDR saying 100000 × 100000 (the CRC is
// not checked before the size is).
var hugePNG = func() []byte {
	b := append([]byte{}, pngBytes...)
	copy(b[16:24], "\x00\x01\x86\xa0\x00\x01\x86\xa0")
	return b
}()

func TestPutAndOpen(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, s *attach.Store, b blob.Store) {
		f, err := s.Put(ctx, db.Write, 0, `C:\照片\现场.PNG`, bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pngBytes)
		if f.Name != "现场.PNG" || f.MIME != "image/png" || f.Size != int64(len(pngBytes)) || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("%+v", f)
		}
		got, err := attach.Get(ctx, db.Read, f.ID)
		if err != nil || got != f {
			t.Fatalf("get %v %+v", err, got)
		}
		r, err := s.Open(ctx, got)
		if err != nil {
			t.Fatal(err)
		}
		got2, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got2, pngBytes) {
			t.Fatal("bytes differ")
		}
		// the same content twice is stored once, recorded twice
		g, err := s.Put(ctx, db.Write, 0, "again.png", bytes.NewReader(pngBytes))
		if err != nil || g.ID == f.ID || g.SHA256 != f.SHA256 {
			t.Fatalf("second put %v %+v", err, g)
		}
		if keys := objects(t, b); len(keys) != 1 || keys[0] != attach.Key(f.SHA256) {
			t.Fatalf("objects %q", keys)
		}
	})
}

// TestStoredBeforeRow: the bytes are in the store when Put returns, before
// the transaction that names them commits; a store that fails leaves no row.
func TestStoredBeforeRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := blobtest.NewServer(t, "evidence")
		env := srv.Env("evidence")
		b, err := blob.Open("s3://evidence/luoshi", "", func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		s := attach.NewOn(b)
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.Put(ctx, tx, 0, "整改前.png", bytes.NewReader(pngBytes))
		if err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		// before the commit, the object is already readable
		if ok, err := b.Exists(ctx, attach.Key(f.SHA256)); !ok || err != nil {
			tx.Rollback()
			t.Fatalf("object missing before commit: %v %v", ok, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		srv.Close() // the storage goes away
		tx, err = db.Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := s.Put(ctx, tx, 0, "整改后.txt", strings.NewReader("已整改")); err == nil {
			t.Fatal("put succeeded with the storage down")
		}
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})
}

func TestPutRefuses(t *testing.T) {
	each(t, func(t *testing.T, db *store.DB, s *attach.Store, b blob.Store) {
		var before int
		db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments`).Scan(&before)
		s.MaxSize = 1 << 10
		for _, tc := range []struct {
			name, file string
			body       []byte
			key        string
		}{
			{"program renamed to png", "photo.png", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "err.attach.content"},
			{"unknown extension", "setup.exe", []byte("MZ"), "err.attach.type"},
			{"no extension", "README", []byte("text"), "err.attach.type"},
			{"empty", "a.txt", nil, "err.attach.empty"},
			{"too large", "a.txt", bytes.Repeat([]byte("a"), 1<<10+1), "err.attach.too_large"},
			{"binary as text", "a.txt", []byte("ab\x00cd"), "err.attach.content"},
			{"path only", "../", []byte("x"), "err.attach.name"},
			{"control characters", "a\nb.txt", []byte("x"), "err.attach.name"},
			{"zip named docx is fine but html named pdf is not", "x.pdf", []byte("<html><body>"), "err.attach.content"},
			{"svg with script named txt", "说明.txt", []byte(`<svg onload="alert(1)"/>`), "err.scrub.active"},
			{"PDF+HTML polyglot", "x.pdf", []byte("%PDF-1.4\n<html><script>alert(1)</script>"), "err.scrub.polyglot"},
			{"PNG declaring 100000×100000 pixels", "huge.png", hugePNG, "err.scrub.pixels"},
		} {
			_, err := s.Put(ctx, db.Write, 0, tc.file, bytes.NewReader(tc.body))
			if e := apperr.As(err); e == nil || e.Key != tc.key {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.key)
			}
		}
		var n int
		db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments`).Scan(&n)
		if n != before {
			t.Fatalf("%d rows after refusals", n-before)
		}
		if keys := objects(t, b); len(keys) != 0 {
			t.Fatalf("objects after refusals: %q", keys)
		}
		if _, err := s.Put(ctx, db.Write, 0, "说明.txt", strings.NewReader("整改说明:已完成。")); err != nil {
			t.Fatal(err)
		}
	})
}
