package blob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dir stores objects as files under Root: the key is the relative path.
// New objects are written in Root/.tmp, fsynced, then renamed into place and
// the folder fsynced, so a file is either whole or absent after a crash.
type Dir struct{ Root string }

// NewDir returns the folder store rooted at root.
func NewDir(root string) *Dir { return &Dir{Root: root} }

func (d *Dir) String() string { return "folder " + d.Root }

func (d *Dir) path(key string) string { return filepath.Join(d.Root, filepath.FromSlash(key)) }

// Create opens a temporary file for a new object.
func (d *Dir) Create(ctx context.Context) (Writer, error) {
	tmpDir := filepath.Join(d.Root, ".tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmpDir, "up-*")
	if err != nil {
		return nil, err
	}
	return &dirWriter{d: d, f: f}, nil
}

type dirWriter struct {
	d    *Dir
	f    *os.File
	done bool
}

func (w *dirWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *dirWriter) Commit(key string) error {
	if w.done {
		return errors.New("blob: writer already committed or aborted")
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	defer w.Abort()
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	dst := w.d.path(key)
	if fi, err := os.Stat(dst); err == nil {
		// content-addressed: the same bytes are already there; a new record
		// is about to name them, so an old object gets a fresh time (a
		// failure means it has just been swept away: write it anew)
		if time.Since(fi.ModTime()) < Fresh {
			return nil
		}
		now := time.Now()
		if err := os.Chtimes(dst, now, now); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), dst); err != nil {
		return err
	}
	w.done = true
	return syncDir(filepath.Dir(dst)) // make the rename durable
}

func (w *dirWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}

// Open opens the object's file.
func (d *Dir) Open(ctx context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	return os.Open(d.path(key))
}

// Exists reports whether the object's file exists.
func (d *Dir) Exists(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err != nil {
		return false, err
	}
	_, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Stat reports the object's file size and modification time.
func (d *Dir) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(d.path(key))
	if err != nil {
		return Info{}, err
	}
	return Info{Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// SweepTemp removes the files of Root/.tmp last written before cutoff: a
// process that died while writing an object leaves its temporary file.
func (d *Dir) SweepTemp(ctx context.Context, cutoff time.Time) (int, error) {
	tmpDir := filepath.Join(d.Root, ".tmp")
	entries, err := os.ReadDir(tmpDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "up-") {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(tmpDir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}

// Delete removes the object's file.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Walk lists the files under Root, leaving out temporary files (names
// starting with a dot, and the "tmp" folder of earlier versions).
func (d *Dir) Walk(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	err := filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == d.Root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // no folder yet: no objects
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.Root, p)
		key := filepath.ToSlash(rel)
		if p == d.Root {
			return nil
		}
		if strings.HasPrefix(e.Name(), ".") || key == "tmp" {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			if !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		return fn(key, info.Size())
	})
	return err
}
