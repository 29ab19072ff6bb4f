// Package attach keeps uploaded files (evidence, documents): the bytes in a
// content-addressed blob store (a folder or an S3 bucket, internal/blob), the
// metadata in the attachments table. A file is stored durably before the row
// that names it commits, so an acknowledged upload survives a crash; a crash
// in between leaves only an orphan object.
package attach

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/blob"
	"github.com/luoshi/luoshi/internal/scrub"
	"github.com/luoshi/luoshi/internal/store"
)

// DefaultMaxSize is the largest file accepted unless configured otherwise.
const DefaultMaxSize = 20 << 20

// Store writes and reads attachment bytes in a blob store: the folder Dir,
// or Blobs when set (an S3 bucket).
type Store struct {
	Dir     string
	Blobs   blob.Store
	MaxSize int64
}

// New returns a store rooted at the folder dir.
func New(dir string) *Store {
	return &Store{Dir: dir, Blobs: blob.NewDir(dir), MaxSize: DefaultMaxSize}
}

// NewOn returns a store over b (a folder or a bucket).
func NewOn(b blob.Store) *Store { return &Store{Blobs: b, MaxSize: DefaultMaxSize} }

func (s *Store) blobs() blob.Store {
	if s.Blobs == nil {
		return blob.NewDir(s.Dir)
	}
	return s.Blobs
}

// File is an attachment's metadata.
type File struct {
	ID        int64  `json:"id"`
	SHA256    string `json:"sha256"`
	Name      string `json:"name"`
	MIME      string `json:"mime"`
	Size      int64  `json:"size"`
	CreatedAt int64  `json:"created_at"`
}

// kinds maps an accepted file extension to the content type served and a
// check of the file's first bytes: the name alone proves nothing.
var kinds = map[string]struct {
	mime  string
	magic func(head []byte) bool
}{
	".jpg":  {"image/jpeg", sniffed("image/jpeg")},
	".jpeg": {"image/jpeg", sniffed("image/jpeg")},
	".png":  {"image/png", sniffed("image/png")},
	".gif":  {"image/gif", sniffed("image/gif")},
	".webp": {"image/webp", sniffed("image/webp")},
	".pdf":  {"application/pdf", sniffed("application/pdf")},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", isZip},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", isZip},
	".pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", isZip},
	".ofd":  {"application/ofd", isZip},
	".doc":  {"application/msword", isOLE},
	".xls":  {"application/vnd.ms-excel", isOLE},
	".txt":  {"text/plain; charset=utf-8", isText},
}

// Accepted lists the accepted extensions (for messages and the file picker).
const Accepted = ".jpg,.jpeg,.png,.gif,.webp,.pdf,.docx,.xlsx,.pptx,.ofd,.doc,.xls,.txt"

func sniffed(want string) func([]byte) bool {
	return func(h []byte) bool { return http.DetectContentType(h) == want }
}

func isZip(h []byte) bool { return bytes.HasPrefix(h, []byte("PK\x03\x04")) }
func isOLE(h []byte) bool {
	return bytes.HasPrefix(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
}
func isText(h []byte) bool {
	// a multi-byte character may be cut at the end of the sniffed head
	for i := 0; i < 3 && len(h) > 0 && !utf8.Valid(h); i++ {
		h = h[:len(h)-1]
	}
	return utf8.Valid(h) && !bytes.ContainsRune(h, 0)
}

const maxNameRunes = 200

// CleanName reduces an uploaded file name to its base and checks it.
func CleanName(name string) (string, error) {
	name = strings.ReplaceAll(name, "\\", "/")
	name = strings.TrimSpace(filepath.Base("/" + name))
	if name == "/" || name == "." || name == ".." || name == "" {
		return "", apperr.Invalidf("file", "err.attach.name")
	}
	if utf8.RuneCountInString(name) > maxNameRunes || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return "", apperr.Invalidf("file", "err.attach.name")
	}
	return name, nil
}

// Put stores the bytes of r under the name and records them, in q (usually
// the transaction that links the file to its record). The bytes are durable
// in the blob store (synced to disk, or acknowledged by S3) before Put
// returns, so before the row that names them can commit.
func (s *Store) Put(ctx context.Context, q store.Queryer, actorID int64, name string, r io.Reader) (File, error) {
	name, err := CleanName(name)
	if err != nil {
		return File{}, err
	}
	kind, ok := kinds[strings.ToLower(filepath.Ext(name))]
	if !ok {
		return File{}, apperr.Invalidf("file", "err.attach.type", name, Accepted)
	}
	max := s.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	// the whole file is read first (at most max bytes): it is inspected
	// before anything is stored
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return File{}, fmt.Errorf("attachment upload: %w", err)
	}
	n := int64(len(data))
	if n == 0 {
		return File{}, apperr.Invalidf("file", "err.attach.empty", name)
	}
	if n > max {
		return File{}, apperr.Invalidf("file", "err.attach.too_large", name, max>>20)
	}
	if !kind.magic(data[:min(len(data), 512)]) {
		return File{}, apperr.Invalidf("file", "err.attach.content", name)
	}
	if err := scrub.Inspect(name, data); err != nil {
		return File{}, err
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	w, err := s.blobs().Create(ctx)
	if err != nil {
		return File{}, err
	}
	defer w.Abort() // a no-op once committed
	if _, err := w.Write(data); err != nil {
		return File{}, fmt.Errorf("attachment upload: %w", err)
	}
	if err := w.Commit(Key(sum)); err != nil {
		return File{}, err
	}
	f := File{SHA256: sum, Name: name, MIME: kind.mime, Size: n, CreatedAt: store.Now()}
	err = q.QueryRowContext(ctx, `INSERT INTO attachments (sha256, name, mime, size, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, f.SHA256, f.Name, f.MIME, f.Size, nullID(actorID), f.CreatedAt).Scan(&f.ID)
	return f, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Key is where the bytes of the file with this SHA-256 live in the blob
// store: ab/cd/abcd... (the folder layout of every earlier version).
func Key(sum string) string {
	if len(sum) < 4 {
		return sum
	}
	return sum[:2] + "/" + sum[2:4] + "/" + sum
}

// Get loads an attachment's metadata (no authorization: callers decide).
func Get(ctx context.Context, q store.Queryer, id int64) (File, error) {
	var f File
	err := q.QueryRowContext(ctx, `SELECT id, sha256, name, mime, size, created_at FROM attachments WHERE id = $1`, id).
		Scan(&f.ID, &f.SHA256, &f.Name, &f.MIME, &f.Size, &f.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return f, apperr.ErrNotFound
	}
	return f, err
}

// Open opens the bytes of f for reading.
func (s *Store) Open(ctx context.Context, f File) (blob.Object, error) {
	return s.blobs().Open(ctx, Key(f.SHA256))
}
