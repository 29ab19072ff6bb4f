// Package blob keeps immutable objects — the bytes of attachments and of
// sealed report files — under slash-separated keys, in a folder (Dir) or in
// an S3-compatible bucket (S3). Metadata stays in the database; a blob store
// only holds bytes.
//
// The durability rule of the callers is that an object is stored before the
// database row that names it commits: Commit returns only once the object is
// durable (a folder: written, fsynced and renamed, the folder fsynced; S3:
// the PUT acknowledged, which S3 promises is durable). A crash between Commit
// and the commit of the row leaves an orphan object that nothing names.
package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"time"
)

// ErrNotExist is returned (wrapped) by Open for a key that holds no object.
var ErrNotExist = fs.ErrNotExist

// Store is where objects live.
type Store interface {
	// Create starts a new object: write its bytes to the Writer, then name
	// it with Commit (or drop it with Abort). The key is often known only
	// once the bytes are written (content addressing).
	Create(ctx context.Context) (Writer, error)
	// Open reads an object; a missing key is an error wrapping ErrNotExist.
	Open(ctx context.Context, key string) (Object, error)
	// Exists reports whether key holds an object.
	Exists(ctx context.Context, key string) (bool, error)
	// Stat returns an object's size and when it was last written (or
	// refreshed by a Commit of the same key); a missing key is an error
	// wrapping ErrNotExist.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes an object (for orphans); a missing key is no error.
	Delete(ctx context.Context, key string) error
	// Walk calls fn for every object whose key starts with prefix, in no
	// particular order; an error from fn stops the walk and is returned.
	Walk(ctx context.Context, prefix string, fn func(key string, size int64) error) error
	// String describes the store for logs and messages, without secrets.
	String() string
}

// Writer receives a new object's bytes.
type Writer interface {
	io.Writer
	// Commit stores the bytes under key and returns once they are durable.
	// When key already holds an object, the stores keep the existing one:
	// keys are content addresses, so both are the same bytes; but they
	// refresh its time (Info.ModTime) when it is older than Fresh, so that
	// an old orphan that a new record names again is not swept away as an
	// orphan (internal/attach.Sweeper waits much longer than Fresh).
	Commit(key string) error
	// Abort drops the bytes; it is a no-op after Commit.
	Abort()
}

// Info describes a stored object.
type Info struct {
	Size    int64
	ModTime time.Time
}

// Fresh is how recent an existing object's time must be for a Commit of the
// same key to leave it as it is (see Writer.Commit).
const Fresh = time.Hour

// TempSweeper is a store that leaves temporary files behind when a process
// dies in the middle of writing an object (the folder's .tmp, the S3
// spool): SweepTemp removes those last written before cutoff.
type TempSweeper interface {
	SweepTemp(ctx context.Context, cutoff time.Time) (int, error)
}

// Object is an object opened for reading (http.ServeContent takes it).
type Object interface {
	io.ReadSeekCloser
}

// Put stores data under key, durably.
func Put(ctx context.Context, s Store, key string, data []byte) error {
	w, err := s.Create(ctx)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		return err
	}
	return w.Commit(key)
}

// ReadAll reads a whole object.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	o, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

var errKey = errors.New("blob: invalid key")

// CheckKey accepts keys of non-empty slash-separated parts made of letters,
// digits, '-', '_' and '.', none of them "." or ".." and none starting with
// '.' (the folder store keeps its temporary files there).
func CheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return errKey
	}
	for part := range strings.SplitSeq(key, "/") {
		if part == "" || part[0] == '.' {
			return errKey
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return errKey
			}
		}
	}
	return nil
}
