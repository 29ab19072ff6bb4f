// Package blobtest runs tests against both blob stores: a folder, and an
// S3 bucket on an in-process S3-compatible server (gofakes3). Only tests
// import it, so the server never reaches the luoshi binary.
package blobtest

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/luoshi/luoshi/internal/blob"
)

// Test credentials of the fake server (it accepts any).
const (
	AccessKey = "luoshi-test-access"
	SecretKey = "luoshi-test-secret-do-not-log"
)

// Server is a running S3-compatible server.
type Server struct {
	URL     string // http://127.0.0.1:port
	Backend *s3mem.Backend
	srv     *httptest.Server
}

// Close stops the server (tests of an outage call it early).
func (s *Server) Close() { s.srv.Close() }

// NewServer starts a server with the bucket created; it stops with the test.
func NewServer(t testing.TB, bucket string) *Server {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithIntegrityCheck(true)).Server())
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Backend: be, srv: srv}
}

// Env is what luoshi reads to use the server's bucket: pass it as the
// getenv of blob.Open, or set the variables with t.Setenv.
func (s *Server) Env(bucket string) map[string]string {
	return map[string]string{"LUOSHI_S3_ENDPOINT": s.URL, "LUOSHI_S3_BUCKET": bucket,
		"LUOSHI_S3_ACCESS_KEY": AccessKey, "LUOSHI_S3_SECRET_KEY": SecretKey, "LUOSHI_S3_REGION": "us-east-1"}
}

var buckets atomic.Int64

// S3 returns a store on a fresh bucket of a fresh server, under a prefix.
func S3(t testing.TB) *blob.S3 {
	t.Helper()
	name := "luoshi-test-" + strconv.FormatInt(buckets.Add(1), 10)
	srv := NewServer(t, name)
	s, err := blob.NewS3(blob.S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Insecure: true,
		Bucket: name, Prefix: "files/", Region: "us-east-1", AccessKey: AccessKey, SecretKey: SecretKey, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// Each runs fn once with a folder store and once with an S3 store.
func Each(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	t.Run("folder", func(t *testing.T) { fn(t, blob.NewDir(t.TempDir())) })
	t.Run("s3", func(t *testing.T) { fn(t, S3(t)) })
}
