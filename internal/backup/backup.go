// Package backup writes a consistent online snapshot of an SQLite deployment
// (database and attachments, from the folder or the S3 bucket) into one
// .tar.gz, and restores it into an empty data folder (attachments into the
// folder or a bucket). PostgreSQL deployments use pg_dump or continuous archiving
// instead (see docs/operations.md). The master key (master.key) is left out on
// purpose: an archive that carried its own key would protect nothing.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/store"
)

// DBName is the database's name inside an archive and inside a data folder.
const DBName = "luoshi.db"

// Write snapshots db (SQLite) and the attachments folder into out.
func Write(ctx context.Context, db *store.DB, attachments, out string) (files int, err error) {
	return WriteFrom(ctx, db, blob.NewDir(attachments), out)
}

// WriteFrom snapshots db (SQLite) and every object of the attachments store
// (a folder or an S3 bucket) into out. The server may be running: VACUUM INTO
// reads one consistent state of the database in a read transaction, and
// attachments are stored before the rows that name them are committed, and
// listed after the snapshot, so every file the snapshot refers to is in the
// archive (files uploaded meanwhile come along as orphans, harmless).
func WriteFrom(ctx context.Context, db *store.DB, attachments blob.Store, out string) (files int, err error) {
	if db.Dialect != store.SQLite {
		return 0, errors.New("luoshi backup snapshots the embedded SQLite database; for PostgreSQL use pg_dump (see docs/operations.md)")
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(out), ".luoshi-backup-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmpDir)
	snap := filepath.Join(tmpDir, DBName)
	if _, err := db.Write.ExecContext(ctx, `VACUUM INTO $1`, snap); err != nil {
		return 0, fmt.Errorf("snapshot database: %w", err)
	}
	tmpOut := out + ".partial"
	f, err := os.OpenFile(tmpOut, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmpOut)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	if err := addFile(tw, snap, DBName); err != nil {
		f.Close()
		return 0, err
	}
	files = 1
	err = attachments.Walk(ctx, "", func(key string, size int64) error {
		files++
		return addObject(ctx, tw, attachments, key, size)
	})
	if err != nil {
		f.Close()
		return 0, fmt.Errorf("copy attachments from %s: %w", attachments, err)
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return 0, err
	}
	if err := gz.Close(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return files, os.Rename(tmpOut, out)
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime().Truncate(time.Second),
		Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func addObject(ctx context.Context, tw *tar.Writer, files blob.Store, key string, size int64) error {
	o, err := files.Open(ctx, key)
	if err != nil {
		return err
	}
	defer o.Close()
	if err := tw.WriteHeader(&tar.Header{Name: "attachments/" + key, Mode: 0o600, Size: size, ModTime: time.Now().Truncate(time.Second),
		Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(tw, o)
	if err == nil && n != size {
		err = fmt.Errorf("%s: %d bytes listed, %d read", key, size, n)
	}
	return err
}

// Restore unpacks an archive made by Write into dataDir, which must not hold a
// database yet (restoring never overwrites live data).
func Restore(archive, dataDir string) (files int, err error) {
	return RestoreTo(archive, dataDir, blob.NewDir(filepath.Join(dataDir, "attachments")))
}

// RestoreTo unpacks the database of an archive into dataDir and its
// attachments into the store attachments (a folder or an S3 bucket).
func RestoreTo(archive, dataDir string, attachments blob.Store) (files int, err error) {
	if _, err := os.Stat(filepath.Join(dataDir, DBName)); err == nil {
		return 0, fmt.Errorf("%s already holds a database: restore into an empty data folder", dataDir)
	}
	f, err := os.Open(archive)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s is not a luoshi backup: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	sawDB := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return files, fmt.Errorf("read backup: %w", err)
		}
		name := filepath.FromSlash(h.Name)
		if h.Typeflag != tar.TypeReg || filepath.IsAbs(name) || strings.HasPrefix(filepath.Clean(name), "..") ||
			(name != DBName && !strings.HasPrefix(name, "attachments"+string(filepath.Separator))) {
			return files, fmt.Errorf("unexpected entry %q in backup", h.Name)
		}
		if name != DBName {
			key := strings.TrimPrefix(h.Name, "attachments/")
			if err := blob.CheckKey(key); err != nil {
				return files, fmt.Errorf("unexpected entry %q in backup", h.Name)
			}
			w, err := attachments.Create(context.Background())
			if err != nil {
				return files, err
			}
			if _, err := io.Copy(w, tr); err != nil {
				w.Abort()
				return files, err
			}
			if err := w.Commit(key); err != nil {
				return files, err
			}
			files++
			continue
		}
		dst := filepath.Join(dataDir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return files, err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return files, err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return files, err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return files, err
		}
		out.Close()
		files++
		sawDB = sawDB || name == DBName
	}
	if !sawDB {
		return files, errors.New("the backup holds no database")
	}
	return files, nil
}
