package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says where an S3-compatible bucket is and how to sign in. The
// keys come from the environment only (a flag would show in ps).
type S3Config struct {
	Endpoint  string // host[:port], or a URL whose scheme says http or https
	Bucket    string
	Prefix    string // key prefix inside the bucket, "" or ending in "/"
	Region    string
	AccessKey string
	SecretKey string
	Insecure  bool   // plain HTTP (an endpoint given as http://...)
	SpoolDir  string // where new objects wait for their PUT; "" = the system's temporary folder
	// MaxRetries is how often a failed request is tried again (with
	// backoff); 0 = 3. An upload fails, rather than hangs, when the
	// storage stays away.
	MaxRetries int
}

// String shows the configuration without the secret key.
func (c S3Config) String() string {
	scheme := "https"
	if c.Insecure {
		scheme = "http"
	}
	return fmt.Sprintf("s3://%s/%s at %s://%s", c.Bucket, c.Prefix, scheme, c.Endpoint)
}

// S3 stores objects in a bucket of an S3-compatible service (AWS S3, MinIO,
// Ceph RGW, Alibaba OSS, Tencent COS, ...). A new object is spooled to a
// local temporary file, then sent with one PUT (or a multipart upload for
// large files) whose success S3 acknowledges only once the object is durable.
type S3 struct {
	cfg    S3Config
	client *minio.Client
}

// NewS3 builds the store. It does not contact the service; Check does.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("S3 attachments: no bucket (give --attachments s3://BUCKET/PREFIX or LUOSHI_S3_BUCKET)")
	}
	if cfg.Endpoint == "" {
		return nil, errors.New("S3 attachments: no endpoint (set LUOSHI_S3_ENDPOINT, e.g. https://s3.example.com or minio:9000)")
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return nil, errors.New("S3 attachments: LUOSHI_S3_ACCESS_KEY and LUOSHI_S3_SECRET_KEY go together")
	}
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if strings.HasPrefix(cfg.Prefix, "/") {
		return nil, errors.New("S3 attachments: the key prefix must not start with /")
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		// no keys given: the usual chain (AWS_* variables, instance role)
		creds = credentials.NewChainCredentials([]credentials.Provider{&credentials.EnvAWS{}, &credentials.EnvMinio{},
			&credentials.IAM{Client: &http.Client{Timeout: 10 * time.Second}}})
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 3
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: creds, Secure: !cfg.Insecure, Region: cfg.Region, MaxRetries: cfg.MaxRetries})
	if err != nil {
		return nil, fmt.Errorf("S3 attachments at %s: %w", cfg.Endpoint, err)
	}
	return &S3{cfg: cfg, client: client}, nil
}

func (s *S3) String() string { return s.cfg.String() }

// Check makes sure the bucket exists and the keys work.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("S3 attachments %s: %w", s, err)
	}
	if !ok {
		return fmt.Errorf("S3 attachments %s: the bucket does not exist", s)
	}
	return nil
}

func (s *S3) name(key string) string { return s.cfg.Prefix + key }

// Create spools the new object in a temporary file.
func (s *S3) Create(ctx context.Context) (Writer, error) {
	f, err := os.CreateTemp(s.cfg.SpoolDir, "luoshi-s3-*")
	if err != nil {
		return nil, err
	}
	return &s3Writer{s: s, ctx: ctx, f: f}, nil
}

type s3Writer struct {
	s    *S3
	ctx  context.Context
	f    *os.File
	n    int64
	done bool
}

func (w *s3Writer) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *s3Writer) Commit(key string) error {
	if w.done {
		return errors.New("blob: writer already committed or aborted")
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	defer w.Abort()
	// content-addressed: the same bytes may be there already; an old
	// object is written again all the same, so that its time is fresh for
	// the record about to name it (S3 has no cheaper way to touch one)
	if fi, err := w.s.Stat(w.ctx, key); err == nil && time.Since(fi.ModTime) < Fresh {
		return nil
	} else if err != nil && !errors.Is(err, ErrNotExist) {
		return err
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := w.s.client.PutObject(w.ctx, w.s.cfg.Bucket, w.s.name(key), w.f, w.n,
		minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true})
	if err != nil {
		return wrapErr("put", key, err)
	}
	return nil
}

func (w *s3Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

func notFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NotFound":
		return true
	}
	return false
}

// Open reads the object; it asks for its metadata first so that a missing
// key is reported now rather than at the first read.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	o, err := s.client.GetObject(ctx, s.cfg.Bucket, s.name(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, wrapErr("get", key, err)
	}
	if _, err := o.Stat(); err != nil {
		o.Close()
		if notFound(err) {
			return nil, fmt.Errorf("S3 attachments: %s: %w", key, ErrNotExist)
		}
		return nil, wrapErr("get", key, err)
	}
	return o, nil
}

// Exists asks for the object's metadata.
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	_, err := s.client.StatObject(ctx, s.cfg.Bucket, s.name(key), minio.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	if notFound(err) {
		return false, nil
	}
	return false, wrapErr("stat", key, err)
}

// Stat asks for the object's metadata.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	o, err := s.client.StatObject(ctx, s.cfg.Bucket, s.name(key), minio.StatObjectOptions{})
	if err != nil {
		if notFound(err) {
			return Info{}, fmt.Errorf("S3 attachments: %s: %w", key, ErrNotExist)
		}
		return Info{}, wrapErr("stat", key, err)
	}
	return Info{Size: o.Size, ModTime: o.LastModified}, nil
}

// SweepTemp removes this store's spool files (luoshi-s3-*) last written
// before cutoff: a process that died before its PUT leaves its spool file.
func (s *S3) SweepTemp(ctx context.Context, cutoff time.Time) (int, error) {
	dir := s.cfg.SpoolDir
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "luoshi-s3-") {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.cfg.Bucket, s.name(key), minio.RemoveObjectOptions{})
	if err != nil && !notFound(err) {
		return wrapErr("delete", key, err)
	}
	return nil
}

// Walk lists the bucket under the store's prefix.
func (s *S3) Walk(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := s.client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.name(prefix), Recursive: true})
	var ferr error
	for o := range ch {
		if ferr != nil {
			continue // drain the channel after cancel
		}
		if o.Err != nil {
			ferr = wrapErr("list", prefix, o.Err)
			cancel()
			continue
		}
		key := strings.TrimPrefix(o.Key, s.cfg.Prefix)
		if CheckKey(key) != nil {
			continue // not one of ours
		}
		if err := fn(key, o.Size); err != nil {
			ferr = err
			cancel()
		}
	}
	return ferr
}

// UnavailableError is a failure of the storage service itself: it did not
// answer, or answered with a server error. Like a database that cannot be
// reached, nothing was stored and the request may be retried later; it
// satisfies net.Error, which the HTTP layers answer with 503.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string   { return e.Err.Error() }
func (e *UnavailableError) Unwrap() error   { return e.Err }
func (e *UnavailableError) Timeout() bool   { return true }
func (e *UnavailableError) Temporary() bool { return true }

func wrapErr(op, key string, err error) error {
	err = fmt.Errorf("S3 attachments: %s %s: %w", op, key, err)
	if r := minio.ToErrorResponse(errors.Unwrap(err)); r.StatusCode == 0 || r.StatusCode >= 500 || r.StatusCode == http.StatusTooManyRequests {
		return &UnavailableError{err}
	}
	return err
}

// Open chooses the store from a --attachments value and the LUOSHI_S3_*
// variables (read with getenv): "" is the folder dflt unless LUOSHI_S3_BUCKET
// is set; "s3://BUCKET/PREFIX" is a bucket; anything else is a folder path.
func Open(spec, dflt string, getenv func(string) string) (Store, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if spec == "" && getenv("LUOSHI_S3_BUCKET") == "" {
		return NewDir(dflt), nil
	}
	if spec != "" && !strings.HasPrefix(spec, "s3://") {
		if strings.Contains(spec, "://") {
			return nil, fmt.Errorf("--attachments %q: want a folder or s3://BUCKET/PREFIX", spec)
		}
		return NewDir(spec), nil
	}
	cfg := S3Config{Bucket: getenv("LUOSHI_S3_BUCKET"), Region: getenv("LUOSHI_S3_REGION"),
		AccessKey: getenv("LUOSHI_S3_ACCESS_KEY"), SecretKey: getenv("LUOSHI_S3_SECRET_KEY"), SpoolDir: getenv("LUOSHI_S3_SPOOL")}
	if spec != "" {
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" {
			return nil, fmt.Errorf("--attachments %q: want s3://BUCKET/PREFIX (keys go in LUOSHI_S3_ACCESS_KEY and LUOSHI_S3_SECRET_KEY)", redact(spec))
		}
		cfg.Bucket, cfg.Prefix = u.Host, strings.TrimPrefix(u.Path, "/")
	}
	ep := getenv("LUOSHI_S3_ENDPOINT")
	switch {
	case strings.HasPrefix(ep, "http://"):
		cfg.Insecure, ep = true, strings.TrimPrefix(ep, "http://")
	case strings.HasPrefix(ep, "https://"):
		ep = strings.TrimPrefix(ep, "https://")
	}
	cfg.Endpoint = strings.TrimRight(ep, "/")
	return NewS3(cfg)
}

// redact hides a password someone put in a URL by mistake.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		return u.String()
	}
	return s
}
