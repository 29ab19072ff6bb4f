// Package blobtest runs tests against both blob stores: a folder, and an
// S3 bucket on an in-process S3-compatible server (gofakes3). Only tests
// import it, so the server never reaches the luoshi binary.
package blobtest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	handler http.Handler
}

// Close stops the server (tests of an outage call it early).
func (s *Server) Close() { s.srv.Close() }

// Restart starts a stopped server again at the same address, with the
// same objects.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	addr := strings.TrimPrefix(s.URL, "http://")
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart the S3 server at %s: %v", addr, err)
	}
	s.srv = httptest.NewUnstartedServer(s.handler)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	t.Cleanup(s.srv.Close)
}

// NewServer starts a server with the bucket created; it stops with the test.
func NewServer(t testing.TB, bucket string) *Server { return newServer(t, bucket, nil) }

// newServer starts a server; with a clock, objects get their times from it
// (and requests are not checked against it).
func newServer(t testing.TB, bucket string, clock gofakes3.TimeSource) *Server {
	t.Helper()
	var bopts []s3mem.Option
	opts := []gofakes3.Option{gofakes3.WithIntegrityCheck(true)}
	if clock != nil {
		bopts = append(bopts, s3mem.WithTimeSource(clock))
		opts = append(opts, gofakes3.WithTimeSource(clock), gofakes3.WithTimeSkewLimit(0))
	}
	be := s3mem.New(bopts...)
	if err := be.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(be, opts...).Server()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Backend: be, srv: srv, handler: h}
}

// Env is what luoshi reads to use the server's bucket: pass it as the
// getenv of blob.Open, or set the variables with t.Setenv.
func (s *Server) Env(bucket string) map[string]string {
	return map[string]string{"LUOSHI_S3_ENDPOINT": s.URL, "LUOSHI_S3_BUCKET": bucket,
		"LUOSHI_S3_ACCESS_KEY": AccessKey, "LUOSHI_S3_SECRET_KEY": SecretKey, "LUOSHI_S3_REGION": "us-east-1"}
}

var buckets atomic.Int64

// S3 returns a store on a fresh bucket of a fresh server, under a prefix.
func S3(t testing.TB) *blob.S3 { return S3WithClock(t, nil) }

// S3WithClock is S3 on a server whose objects take their times from clock
// (gofakes3.FixedTimeSource: a test makes an object old).
func S3WithClock(t testing.TB, clock gofakes3.TimeSource) *blob.S3 {
	t.Helper()
	name := "luoshi-test-" + strconv.FormatInt(buckets.Add(1), 10)
	srv := newServer(t, name, clock)
	s, err := blob.NewS3(blob.S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Insecure: true,
		Bucket: name, Prefix: "files/", Region: "us-east-1", AccessKey: AccessKey, SecretKey: SecretKey, SpoolDir: t.TempDir(), MaxRetries: 1})
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
