package report

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/store"
)

// Sealer encrypts a report's fields and files under the report's own data
// key; the key is kept wrapped by the master key (internal/vault). aad binds
// each ciphertext to its place, so sealed values cannot be swapped between rows.
type Sealer interface {
	NewKey() (wrapped []byte, err error)
	Seal(wrapped, plaintext, aad []byte) ([]byte, error)
	Open(wrapped, ciphertext, aad []byte) ([]byte, error)
}

// CleanFile is an upload after metadata removal and type checks.
type CleanFile struct {
	Name string
	MIME string
	Data []byte
}

// Cleaner removes metadata from an upload and refuses active content and
// executables (internal/scrub).
type Cleaner func(name string, data []byte) (CleanFile, error)

// Upload is a file as it arrives.
type Upload struct {
	Name string
	Data []byte
}

// Rules are the deployment's settings for reports (working days).
type Rules struct {
	AckDays      int // 受理: acknowledge within this many working days
	ConcludeDays int // 办结: conclude a registered lead within this many working days
	FeedbackDays int // 反馈: answer a real-name reporter within this many working days of concluding
	LockAfter    int // failed look-ups before a receipt is locked
	LockMinutes  int
	PerDay       int // public submissions per client address per day
}

// DefaultRules are the rules until an administrator changes them.
var DefaultRules = Rules{AckDays: 5, ConcludeDays: 60, FeedbackDays: 15, LockAfter: 5, LockMinutes: 30, PerDay: 20}

// Reports is the reporting channel over one database and folder of sealed files.
type Reports struct {
	DB     *store.DB
	Dir    string // sealed files live under Dir/sealed
	Seal   Sealer
	Clean  Cleaner
	Rules  Rules
	Clock  func() time.Time
	dummy  string
	salted *saltCache
}

// noKey is the Sealer of a server started without a master key: every
// report operation fails rather than store anything in the clear.
type noKey struct{}

var errNoKey = errors.New("report: no master key configured")

func (noKey) NewKey() ([]byte, error)             { return nil, errNoKey }
func (noKey) Seal(_, _, _ []byte) ([]byte, error) { return nil, errNoKey }
func (noKey) Open(_, _, _ []byte) ([]byte, error) { return nil, errNoKey }

// New returns the channel. dir is the attachments folder; a nil Sealer
// refuses every operation.
func New(db *store.DB, dir string, s Sealer, c Cleaner) *Reports {
	if s == nil {
		s = noKey{}
	}
	return &Reports{DB: db, Dir: dir, Seal: s, Clean: c, Rules: DefaultRules, Clock: time.Now, salted: &saltCache{}}
}

func (r *Reports) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock()
}

func (r *Reports) today() time.Time { return calendar.Today(r.now()) }

// workdays returns the day n working days after today.
func (r *Reports) workdaysAfter(ctx context.Context, from time.Time, n int) (string, error) {
	cal, err := calendar.Load(ctx, r.DB)
	if err != nil {
		return "", err
	}
	return calendar.FormatDay(cal.AddWorkdays(from, n)), nil
}

func aad(number, part string) []byte { return []byte("report/" + number + "/" + part) }

func (r *Reports) sealJSON(wrapped []byte, number, part string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return r.Seal.Seal(wrapped, b, aad(number, part))
}

func (r *Reports) openJSON(wrapped, ct []byte, number, part string, v any) error {
	b, err := r.Seal.Open(wrapped, ct, aad(number, part))
	if err != nil {
		return fmt.Errorf("report %s: %s does not decrypt: %w", number, part, err)
	}
	return json.Unmarshal(b, v)
}

// sealedPath is where a sealed file's bytes live.
func (r *Reports) sealedPath(sum string) string {
	return filepath.Join(r.Dir, "sealed", sum[:2], sum[2:4], sum)
}

// writeSealed seals a cleaned file and writes it, synced, before the row that
// names it is committed: an acknowledged upload survives a crash.
func (r *Reports) writeSealed(ctx context.Context, tx *sql.Tx, wrapped []byte, number string, reportID, eventID int64, f CleanFile) error {
	plain := sha256.Sum256(f.Data)
	plainSum := hex.EncodeToString(plain[:])
	ct, err := r.Seal.Seal(wrapped, f.Data, aad(number, "file/"+plainSum))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(ct)
	hexsum := hex.EncodeToString(sum[:])
	path := r.sealedPath(hexsum)
	if err := writeSynced(path, ct); err != nil {
		return err
	}
	name, err := r.Seal.Seal(wrapped, []byte(f.Name), aad(number, "filename/"+plainSum))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO report_files (report_id, event_id, sha256, plain_sha, sealed_name, mime, size, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, reportID, nullID(eventID), hexsum, plainSum, name, f.MIME, len(f.Data), r.now().UnixMilli())
	return err
}

func writeSynced(path string, data []byte) error {
	if _, err := os.Stat(path); err == nil {
		return nil // content-addressed: already there
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".up-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
