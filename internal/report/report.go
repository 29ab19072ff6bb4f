package report

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/blob"
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

// Rules are the channel's defaults; the three timers can be changed by an
// administrator (see Timers), the rest is configuration.
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
	Dir    string     // the attachments folder (sealed files under Dir/sealed) when Blobs is nil
	Blobs  blob.Store // where sealed files live, under sealed/; New sets the folder Dir
	Seal   Sealer
	Clean  Cleaner
	Rules  Rules
	Clock  func() time.Time
	salted *saltCache
	acks   dueCache // the acknowledgement day of today's submissions (intake.go)
	group  struct {
		mu      sync.Mutex
		queue   []*pending
		running bool
	}
}

// noKey is the Sealer of a server started without a master key: every
// report operation fails rather than store anything in the clear.
type noKey struct{}

var errNoKey = errors.New("report: no master key configured")

func (noKey) NewKey() ([]byte, error)             { return nil, errNoKey }
func (noKey) Seal(_, _, _ []byte) ([]byte, error) { return nil, errNoKey }
func (noKey) Open(_, _, _ []byte) ([]byte, error) { return nil, errNoKey }

// New returns the channel. dir is the attachments folder (set Blobs after
// New to keep sealed files elsewhere, such as an S3 bucket); a nil Sealer
// refuses every operation.
func New(db *store.DB, dir string, s Sealer, c Cleaner) *Reports {
	if s == nil {
		s = noKey{}
	}
	return &Reports{DB: db, Dir: dir, Blobs: blob.NewDir(dir), Seal: s, Clean: c, Rules: DefaultRules, Clock: time.Now, salted: &saltCache{}}
}

func (r *Reports) blobs() blob.Store {
	if r.Blobs == nil {
		return blob.NewDir(r.Dir)
	}
	return r.Blobs
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

// aad binds a sealed value to its report (by receipt: unique, and known
// before the report's row exists) and to its place in it.
func aad(receipt, part string) []byte { return []byte("report/" + receipt + "/" + part) }

func (r *Reports) sealJSON(wrapped []byte, receipt, part string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return r.Seal.Seal(wrapped, b, aad(receipt, part))
}

func (r *Reports) openJSON(wrapped, ct []byte, receipt, part string, v any) error {
	b, err := r.Seal.Open(wrapped, ct, aad(receipt, part))
	if err != nil {
		return fmt.Errorf("report: %s does not decrypt: %w", part, err)
	}
	return json.Unmarshal(b, v)
}

// sealedKey is where a sealed file's bytes live in the blob store.
func sealedKey(sum string) string {
	return "sealed/" + sum[:2] + "/" + sum[2:4] + "/" + sum
}

// sealedFile is a file sealed and written, ready for its row.
type sealedFile struct {
	sum, plainSum string
	name          []byte
	mime          string
	size          int
}

// storeFile seals a cleaned file and writes it, synced, before the row that
// names it is committed: an acknowledged upload survives a crash (a crash in
// between leaves an orphan file that nothing names, and it decrypts for no one).
func (r *Reports) storeFile(ctx context.Context, wrapped []byte, receipt string, f CleanFile) (sealedFile, error) {
	plain := sha256.Sum256(f.Data)
	sf := sealedFile{plainSum: hex.EncodeToString(plain[:]), mime: f.MIME, size: len(f.Data)}
	ct, err := r.Seal.Seal(wrapped, f.Data, aad(receipt, "file/"+sf.plainSum))
	if err != nil {
		return sf, err
	}
	sum := sha256.Sum256(ct)
	sf.sum = hex.EncodeToString(sum[:])
	if err := blob.Put(ctx, r.blobs(), sealedKey(sf.sum), ct); err != nil {
		return sf, err
	}
	sf.name, err = r.Seal.Seal(wrapped, []byte(f.Name), aad(receipt, "filename/"+sf.plainSum))
	return sf, err
}

func (r *Reports) insertFile(ctx context.Context, tx *sql.Tx, reportID, eventID int64, sf sealedFile) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO report_files (report_id, event_id, sha256, plain_sha, sealed_name, mime, size, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, reportID, nullID(eventID), sf.sum, sf.plainSum, sf.name, sf.mime, sf.size, r.now().UnixMilli())
	return err
}

// writeSealed stores a file of an existing report inside tx.
func (r *Reports) writeSealed(ctx context.Context, tx *sql.Tx, wrapped []byte, receipt string, reportID, eventID int64, f CleanFile) error {
	sf, err := r.storeFile(ctx, wrapped, receipt, f)
	if err != nil {
		return err
	}
	return r.insertFile(ctx, tx, reportID, eventID, sf)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
