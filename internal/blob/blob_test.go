package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/blob/blobtest"
)

var ctx = context.Background()

func TestStore(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, s blob.Store) {
		data := bytes.Repeat([]byte("证据"), 5000)
		if err := blob.Put(ctx, s, "ab/cd/abcd", data); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Exists(ctx, "ab/cd/abcd"); !ok || err != nil {
			t.Fatalf("exists: %v %v", ok, err)
		}
		if ok, err := s.Exists(ctx, "ab/cd/other"); ok || err != nil {
			t.Fatalf("exists other: %v %v", ok, err)
		}
		o, err := s.Open(ctx, "ab/cd/abcd")
		if err != nil {
			t.Fatal(err)
		}
		// a download resumes in the middle (http.ServeContent seeks)
		if _, err := o.Seek(6, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		o.Close()
		if err != nil || !bytes.Equal(b, data[6:]) {
			t.Fatalf("read after seek: %v, %d bytes", err, len(b))
		}
		if _, err := s.Open(ctx, "ab/cd/missing"); !errors.Is(err, blob.ErrNotExist) {
			t.Fatalf("missing: %v", err)
		}
		// the same key again keeps one object
		if err := blob.Put(ctx, s, "ab/cd/abcd", data); err != nil {
			t.Fatal(err)
		}
		// an aborted object leaves nothing
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("half"))
		w.Abort()
		if err := blob.Put(ctx, s, "sealed/ef/01/ef01", []byte("x")); err != nil {
			t.Fatal(err)
		}
		var keys []string
		if err := s.Walk(ctx, "", func(k string, n int64) error {
			keys = append(keys, k)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"ab/cd/abcd", "sealed/ef/01/ef01"}) {
			t.Fatalf("walk: %q", keys)
		}
		keys = nil
		s.Walk(ctx, "sealed/", func(k string, n int64) error {
			keys = append(keys, k)
			if n != 1 {
				t.Errorf("size %d", n)
			}
			return nil
		})
		if !slices.Equal(keys, []string{"sealed/ef/01/ef01"}) {
			t.Fatalf("walk sealed/: %q", keys)
		}
		if err := s.Delete(ctx, "sealed/ef/01/ef01"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "sealed/ef/01/ef01"); err != nil {
			t.Fatalf("delete twice: %v", err)
		}
		if ok, _ := s.Exists(ctx, "sealed/ef/01/ef01"); ok {
			t.Fatal("deleted object exists")
		}
		// keys that could leave the store are refused
		for _, k := range []string{"", "../x", "a/../../x", "/etc/passwd", ".tmp/x", "a//b", `a\b`, "a/./b"} {
			if err := blob.Put(ctx, s, k, []byte("x")); err == nil {
				t.Errorf("key %q accepted", k)
			}
			if _, err := s.Open(ctx, k); err == nil {
				t.Errorf("open %q accepted", k)
			}
		}
	})
}

func TestOpenSpec(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	s, err := blob.Open("", "/data/attachments", env(nil))
	if err != nil || s.String() != "folder /data/attachments" {
		t.Fatalf("%v %v", s, err)
	}
	s, err = blob.Open("/srv/files", "/data/attachments", env(nil))
	if err != nil || s.String() != "folder /srv/files" {
		t.Fatalf("%v %v", s, err)
	}
	vars := map[string]string{"LUOSHI_S3_ENDPOINT": "https://oss.example.cn/", "LUOSHI_S3_ACCESS_KEY": "AK",
		"LUOSHI_S3_SECRET_KEY": "very-secret", "LUOSHI_S3_REGION": "cn-north-1"}
	s, err = blob.Open("s3://luoshi-files/prod", "", env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.String(); got != "s3://luoshi-files/prod/ at https://oss.example.cn" || strings.Contains(got, "very-secret") {
		t.Fatalf("%q", got)
	}
	vars["LUOSHI_S3_BUCKET"] = "from-env"
	vars["LUOSHI_S3_ENDPOINT"] = "http://minio:9000"
	s, err = blob.Open("", "/data/attachments", env(vars))
	if err != nil || s.String() != "s3://from-env/ at http://minio:9000" {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"s3://user:secret@bucket/p", "gs://bucket", "s3://", "s3://b/p?x=1"} {
		_, err := blob.Open(bad, "", env(vars))
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the secret: %v", bad, err)
		}
	}
	delete(vars, "LUOSHI_S3_ENDPOINT")
	if _, err := blob.Open("s3://b", "", env(vars)); err == nil {
		t.Error("no endpoint accepted")
	}
}
