package report

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/blob"
)

// event is one timeline entry being written.
type event struct {
	Kind   string
	Stage  string // the public stage it marks, if any
	Public bool   // shown to the reporter
	Actor  int64
	Note   string // sealed
	Detail string // clear: codes only (a conclusion, a method), never free text
}

// Event is a timeline entry as read back.
type Event struct {
	ID     int64  `json:"-"`
	Kind   string `json:"kind"`
	Stage  string `json:"stage,omitempty"`
	Public bool   `json:"-"`
	Actor  string `json:"actor,omitempty"`
	Note   string `json:"note,omitempty"`
	Detail string `json:"detail,omitempty"`
	At     int64  `json:"at"`
	Files  []File `json:"files,omitempty"`
}

// File is a sealed file's metadata, its name opened.
type File struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	MIME string `json:"mime"`
	Size int64  `json:"size"`
}

func noteAAD(kind string, at int64) string { return "note/" + kind + "/" + strconv.FormatInt(at, 10) }

func (r *Reports) addEvent(ctx context.Context, tx *sql.Tx, id int64, receipt string, wrapped []byte, e event) (int64, error) {
	at := r.now().UnixMilli()
	var note []byte
	if e.Note != "" {
		var err error
		if note, err = r.Seal.Seal(wrapped, []byte(e.Note), aad(receipt, noteAAD(e.Kind, at))); err != nil {
			return 0, err
		}
	}
	var eid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO report_events (report_id, kind, stage, public, actor_id, note, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, id, e.Kind, e.Stage, boolInt(e.Public), nullID(e.Actor),
		note, e.Detail, at).Scan(&eid)
	return eid, err
}

// timeline reads a report's events (public ones only when publicOnly), notes
// opened, with their files.
func (r *Reports) timeline(ctx context.Context, id int64, receipt string, wrapped []byte, publicOnly bool) ([]Event, error) {
	q := `SELECT e.id, e.kind, e.stage, e.public, COALESCE(u.name, ''), e.note, e.detail, e.at
		FROM report_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.report_id = $1`
	if publicOnly {
		q += ` AND e.public = 1`
	}
	rows, err := r.DB.Read.QueryContext(ctx, q+` ORDER BY e.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	idx := map[int64]int{}
	for rows.Next() {
		var e Event
		var pub int
		var note []byte
		if err := rows.Scan(&e.ID, &e.Kind, &e.Stage, &pub, &e.Actor, &note, &e.Detail, &e.At); err != nil {
			return nil, err
		}
		e.Public = pub == 1
		if publicOnly {
			e.Actor = "" // the reporter is not told who handles the report
		}
		if len(note) > 0 {
			b, err := r.Seal.Open(wrapped, note, aad(receipt, noteAAD(e.Kind, e.At)))
			if err != nil {
				return nil, err
			}
			e.Note = string(b)
		}
		idx[e.ID] = len(out)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	files, err := r.files(ctx, id, receipt, wrapped)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if i, ok := idx[f.eventID]; ok {
			out[i].Files = append(out[i].Files, f.File)
		}
	}
	return out, nil
}

type fileRow struct {
	File
	eventID  int64
	sha      string
	plainSHA string
}

func (r *Reports) files(ctx context.Context, id int64, receipt string, wrapped []byte) ([]fileRow, error) {
	rows, err := r.DB.Read.QueryContext(ctx, `SELECT id, COALESCE(event_id, 0), sha256, plain_sha, sealed_name, mime, size
		FROM report_files WHERE report_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []fileRow
	for rows.Next() {
		var f fileRow
		var name []byte
		if err := rows.Scan(&f.ID, &f.eventID, &f.sha, &f.plainSHA, &name, &f.MIME, &f.Size); err != nil {
			return nil, err
		}
		b, err := r.Seal.Open(wrapped, name, aad(receipt, "filename/"+f.plainSHA))
		if err != nil {
			return nil, err
		}
		f.Name = string(b)
		out = append(out, f)
	}
	return out, rows.Err()
}

// View is what a reporter sees with the receipt and key.
type View struct {
	Receipt   string   `json:"receipt"`
	Category  string   `json:"category"`
	UnitName  string   `json:"unit"`
	Stage     string   `json:"stage"`
	Subject   string   `json:"subject"`
	Content   string   `json:"content"`
	RealName  bool     `json:"real_name"`
	Concluded bool     `json:"concluded"`
	Outcome   string   `json:"outcome,omitempty"` // the conclusion code once concluded
	Timeline  []Event  `json:"timeline"`
	Created   int64    `json:"created_at"`
	id        int64    // for follow-ups
	number    string   // for the audit trail
	wrapped   []byte   // for sealing follow-ups
	unitID    int64    // for the audit trail
	stages    []string // reached, in order
	status    string
	sealed    []byte          // the sealed content, opened once the key is checked
	events    []sealedEvent   // the public timeline, notes still sealed
	fileRows  []sealedFileRow // the report's files, names still sealed
}

type sealedEvent struct {
	Event
	note []byte
}

type sealedFileRow struct {
	fileRow
	name []byte
}

// lookupSQL reads in one statement all a look-up needs: the receipt's lock
// (locked_until, -1 when it never failed), the report with its sealed
// content, its public events and its files. The first row is always there
// (from the one-row constant, joined left), whether the receipt exists or
// not; rows 1 are events, rows 2 files. Nothing is opened before the key is
// checked, and the key is checked whatever was found.
const lookupSQL = `SELECT 0, COALESCE(r.id, 0), COALESCE(un.id, 0), COALESCE(r.created_at, 0), COALESCE(r.number, ''),
	COALESCE(r.key_hash, ''), COALESCE(r.category, ''), COALESCE(un.name, ''), COALESCE(r.status, ''), r.wrapped_key,
	r.sealed, COALESCE(r.real_name, 0), COALESCE(r.conclusion, ''), COALESCE(f.locked_until, -1)
FROM (SELECT 1 AS one) k
LEFT JOIN reports r ON r.receipt = $1
LEFT JOIN units un ON un.id = r.unit_id
LEFT JOIN report_lookup_failures f ON f.receipt_hash = $2
UNION ALL
SELECT 1, e.id, 0, e.at, e.kind, e.stage, '', e.detail, '', e.note, NULL, e.public, '', 0
FROM reports r JOIN report_events e ON e.report_id = r.id
WHERE r.receipt = $1 AND e.public = 1
UNION ALL
SELECT 2, fl.id, COALESCE(fl.event_id, 0), fl.size, fl.mime, fl.sha256, fl.plain_sha, '', '', fl.sealed_name, NULL, 0, '', 0
FROM reports r JOIN report_files fl ON fl.report_id = r.id
WHERE r.receipt = $1
ORDER BY 1, 2`

// lookupRows runs lookupSQL: the view (sealed), the key hash ("" when the
// receipt does not exist) and the lock (-1 when the receipt never failed).
func (r *Reports) lookupRows(ctx context.Context, receipt, rh string) (v *View, hash string, locked int64, err error) {
	rows, err := r.DB.Read.QueryContext(ctx, lookupSQL, receipt, rh)
	if err != nil {
		return nil, "", 0, err
	}
	defer rows.Close()
	v = &View{}
	locked = -1
	for rows.Next() {
		var (
			src, public       int
			id, b, c, lockCol int64
			d, e, f, g, h, l  string
			blob1, blob2      []byte
		)
		if err := rows.Scan(&src, &id, &b, &c, &d, &e, &f, &g, &h, &blob1, &blob2, &public, &l, &lockCol); err != nil {
			return nil, "", 0, err
		}
		switch src {
		case 0:
			v.id, v.unitID, v.Created, v.number, hash, v.Category, v.UnitName, v.status = id, b, c, d, e, f, g, h
			v.wrapped, v.sealed, v.RealName, v.Outcome, locked = blob1, blob2, public == 1, l, lockCol
		case 1:
			v.events = append(v.events, sealedEvent{Event: Event{ID: id, At: c, Kind: d, Stage: e, Detail: g, Public: true}, note: blob1})
		case 2:
			v.fileRows = append(v.fileRows, sealedFileRow{fileRow: fileRow{File: File{ID: id, MIME: d, Size: c}, eventID: b, sha: e, plainSHA: f}, name: blob1})
		}
	}
	return v, hash, locked, rows.Err()
}

// openTimeline opens the notes and file names lookupRows read, once the key
// is checked, into the reporter's timeline (who acted is never shown).
func (r *Reports) openTimeline(v *View) error {
	idx := map[int64]int{}
	for _, se := range v.events {
		e := se.Event
		if len(se.note) > 0 {
			b, err := r.Seal.Open(v.wrapped, se.note, aad(v.Receipt, noteAAD(e.Kind, e.At)))
			if err != nil {
				return err
			}
			e.Note = string(b)
		}
		idx[e.ID] = len(v.Timeline)
		v.Timeline = append(v.Timeline, e)
	}
	for _, f := range v.fileRows {
		b, err := r.Seal.Open(v.wrapped, f.name, aad(v.Receipt, "filename/"+f.plainSHA))
		if err != nil {
			return err
		}
		f.Name = string(b)
		if i, ok := idx[f.eventID]; ok {
			v.Timeline[i].Files = append(v.Timeline[i].Files, f.File)
		}
	}
	v.events, v.fileRows, v.sealed = nil, nil, nil
	return nil
}

// ErrLookup is the one answer to a wrong receipt, a wrong key and a receipt
// that does not exist: they must be indistinguishable.
var ErrLookup = apperr.New(apperr.NotFound, "not_found", "", "err.report.lookup")

// ErrLocked answers while a receipt is locked after repeated failures; it is
// given for receipts that do not exist too.
var ErrLocked = apperr.New(apperr.TooMany, "locked", "", "err.report.locked")

// Lookup opens a report by receipt and key. Every failure takes the same time
// (the key is always hashed) and gives the same answer; repeated failures lock
// the receipt for a while, whether it exists or not.
func (r *Reports) Lookup(ctx context.Context, receipt, key string) (*View, error) {
	if tracer != nil {
		t0 := time.Now()
		defer func() { tracer.line("look", tracer.us(t0), time.Since(t0).Microseconds()) }()
	}
	receipt, key = NormalizeReceipt(receipt), NormalizeKey(key)
	rh := receiptHash(receipt)
	now := r.now().UnixMilli()
	v, hash, locked, err := r.lookupRows(ctx, receipt, rh)
	if err != nil {
		return nil, err
	}
	failedBefore := locked >= 0
	if locked > now {
		CheckKey(key, "") // same cost as any other answer
		return nil, ErrLocked
	}
	if receipt == "" || key == "" || !CheckKey(key, hash) {
		return nil, r.lookupFailed(ctx, rh)
	}
	if failedBefore { // a success clears the count (a write only when there is one)
		if _, err := r.DB.Write.ExecContext(ctx, `DELETE FROM report_lookup_failures WHERE receipt_hash = $1`, rh); err != nil {
			return nil, err
		}
	}
	v.Receipt = receipt
	var s Sealed
	if err := r.openJSON(v.wrapped, v.sealed, v.Receipt, "content", &s); err != nil {
		return nil, err
	}
	v.Subject, v.Content = s.Subject, s.Content
	if err := r.openTimeline(v); err != nil {
		return nil, err
	}
	v.Stage = "received"
	for _, e := range v.Timeline {
		if e.Stage != "" {
			v.Stage = e.Stage
			v.stages = append(v.stages, e.Stage)
		}
	}
	v.Concluded = Status(v.status) == Concluded || Status(v.status) == Answered
	if !v.Concluded {
		v.Outcome = ""
	}
	return v, nil
}

// Reached reports whether the report has reached a public stage.
func (v *View) Reached(stage string) bool {
	for _, s := range v.stages {
		if s == stage {
			return true
		}
	}
	return false
}

func (r *Reports) lookupFailed(ctx context.Context, rh string) error {
	now := r.now()
	var n int
	err := r.DB.Write.QueryRowContext(ctx, `INSERT INTO report_lookup_failures (receipt_hash, failures, locked_until, updated_at)
		VALUES ($1, 1, 0, $2) ON CONFLICT (receipt_hash) DO UPDATE SET failures = report_lookup_failures.failures + 1,
		updated_at = $2 RETURNING failures`, rh, now.UnixMilli()).Scan(&n)
	if err != nil {
		return err
	}
	if n >= r.Rules.LockAfter {
		until := now.Add(time.Duration(r.Rules.LockMinutes) * time.Minute).UnixMilli()
		if _, err := r.DB.Write.ExecContext(ctx, `UPDATE report_lookup_failures SET failures = 0, locked_until = $1
			WHERE receipt_hash = $2`, until, rh); err != nil {
			return err
		}
		return ErrLocked
	}
	return ErrLookup
}

// FollowUp is what a reporter adds after submitting: a message or more
// information, with files.
func (r *Reports) FollowUp(ctx context.Context, v *View, text string, files []Upload) error {
	text = clean(text)
	if text == "" && len(files) == 0 {
		return apperr.Invalidf("message", "err.report.message.required")
	}
	if err := checkLen("message", text, false, MaxMessage); err != nil {
		return err
	}
	cleaned, err := r.cleanFiles(files)
	if err != nil {
		return err
	}
	return r.DB.Tx(ctx, func(tx *sql.Tx) error {
		eid, err := r.addEvent(ctx, tx, v.id, v.Receipt, v.wrapped, event{Kind: "reporter_message", Public: true, Note: text})
		if err != nil {
			return err
		}
		for _, f := range cleaned {
			if err := r.writeSealed(ctx, tx, v.wrapped, v.Receipt, v.id, eid, f); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET updated_at = $1 WHERE id = $2`, r.now().UnixMilli(), v.id); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: Public, Action: "report.follow_up", ObjectType: "report",
			ObjectID: v.number, UnitID: v.unitID, Detail: map[string]any{"files": len(cleaned)}})
		return err
	})
}

// ReporterFile opens one of the report's files for its reporter.
func (r *Reports) ReporterFile(ctx context.Context, v *View, fileID int64) (File, []byte, error) {
	return r.openFile(ctx, v.id, v.Receipt, v.wrapped, fileID)
}

// openFile reads and decrypts a file, checking it against its recorded hash.
func (r *Reports) openFile(ctx context.Context, id int64, receipt string, wrapped []byte, fileID int64) (File, []byte, error) {
	files, err := r.files(ctx, id, receipt, wrapped)
	if err != nil {
		return File{}, nil, err
	}
	for _, f := range files {
		if f.ID != fileID {
			continue
		}
		ct, err := blob.ReadAll(ctx, r.blobs(), sealedKey(f.sha))
		if err != nil {
			return File{}, nil, err
		}
		data, err := r.Seal.Open(wrapped, ct, aad(receipt, "file/"+f.plainSHA))
		if err != nil {
			return File{}, nil, err
		}
		return f.File, data, nil
	}
	return File{}, nil, apperr.ErrNotFound
}
