// Package audit keeps the append-only, hash-chained trail (全程留痕): every change,
// every login and every sensitive read. Entries are written in the same
// transaction as the change they describe, so a change without its entry cannot
// be committed. No code path updates or deletes an entry, and the database
// refuses it too (triggers in the migrations).
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/store"
)

// Actor is who did something. ID 0 is the system or an anonymous member of the public.
type Actor struct {
	ID   int64
	Name string
}

// System is the actor for jobs and start-up work.
var System = Actor{Name: "system"}

// Entry is one line of the trail.
type Entry struct {
	Seq        int64          `json:"seq"`
	At         int64          `json:"at"` // unix ms
	ActorID    int64          `json:"actor_id,omitempty"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type"`
	ObjectID   string         `json:"object_id"`
	UnitID     int64          `json:"unit_id,omitempty"`
	UnitCode   string         `json:"unit_code,omitempty"` // for display; not part of the hash
	Detail     map[string]any `json:"detail,omitempty"`
	PrevHash   string         `json:"prev_hash"`
	Hash       string         `json:"hash"`
}

// Event is what a caller records; Append fills in the chain.
type Event struct {
	Actor      Actor
	Action     string // e.g. "unit.create", "auth.login_failed", "report.identity_read"
	ObjectType string
	ObjectID   string
	UnitID     int64
	Detail     map[string]any
}

// Hash computes the chained hash of an entry from its fields and its predecessor's hash.
func Hash(e Entry) string {
	detail := "{}"
	if len(e.Detail) > 0 {
		b, _ := json.Marshal(e.Detail) // map keys are sorted: canonical
		detail = string(b)
	}
	fields := []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.At, 10),
		strconv.FormatInt(e.ActorID, 10), e.Actor, e.Action, e.ObjectType, e.ObjectID,
		strconv.FormatInt(e.UnitID, 10), detail,
	}
	b, _ := json.Marshal(fields) // a JSON array: unambiguous field boundaries
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Append adds ev to the trail inside tx. The head row is locked by the first
// UPDATE, so concurrent appends (on any node) are serialised and the chain stays linear.
func Append(ctx context.Context, tx store.Queryer, ev Event) (Entry, error) {
	var e Entry
	if err := tx.QueryRowContext(ctx,
		`UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).Scan(&e.Seq, &e.PrevHash); err != nil {
		return e, fmt.Errorf("audit head: %w", err)
	}
	e.At = store.Now()
	e.ActorID, e.Actor = ev.Actor.ID, ev.Actor.Name
	e.Action, e.ObjectType, e.ObjectID, e.UnitID = ev.Action, ev.ObjectType, ev.ObjectID, ev.UnitID
	e.Detail = normalise(ev.Detail)
	e.Hash = Hash(e)
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO audit_log (seq, at, actor_id, actor, action, object_type, object_id, unit_id, detail, prev_hash, hash)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.Seq, e.At, nullInt(e.ActorID), e.Actor, e.Action, e.ObjectType, e.ObjectID, nullInt(e.UnitID),
		detailJSON(e.Detail), e.PrevHash, e.Hash); err != nil {
		return e, fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, e.Hash); err != nil {
		return e, fmt.Errorf("audit head: %w", err)
	}
	return e, nil
}

// Record appends ev in a transaction of its own: for events that change nothing
// else (logins, sensitive reads).
func Record(ctx context.Context, db *store.DB, ev Event) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := Append(ctx, tx, ev)
		return err
	})
}

// normalise round-trips the detail through JSON so the hash computed now equals
// the hash recomputed from the stored text later (numbers become float64, etc.).
func normalise(d map[string]any) map[string]any {
	if len(d) == 0 {
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return map[string]any{"error": "unencodable detail"}
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func detailJSON(d map[string]any) string {
	if len(d) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// Break describes the first entry that does not verify.
type Break struct {
	Seq    int64
	Reason string
}

func (b *Break) Error() string { return fmt.Sprintf("audit entry %d: %s", b.Seq, b.Reason) }

// Verify walks the whole chain. It returns the number of entries checked and,
// when the chain is broken, a *Break naming the first bad entry: a changed row
// (its hash no longer matches), a removed row (a gap in the sequence or a
// predecessor hash that does not match) or a reordered pair.
func Verify(ctx context.Context, db *store.DB) (int64, error) {
	rows, err := db.Read.QueryContext(ctx,
		`SELECT seq, at, actor_id, actor, action, object_type, object_id, unit_id, detail, prev_hash, hash
		 FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n, want int64 = 0, 1
	prev := ""
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return n, err
		}
		switch {
		case e.Seq != want:
			return n, &Break{Seq: want, Reason: fmt.Sprintf("missing: the next entry is %d", e.Seq)}
		case e.PrevHash != prev:
			return n, &Break{Seq: e.Seq, Reason: "does not follow its predecessor (removed or reordered entry)"}
		case Hash(e) != e.Hash:
			return n, &Break{Seq: e.Seq, Reason: "content does not match its hash (changed entry)"}
		}
		prev = e.Hash
		want++
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	var headSeq int64
	var headHash string
	if err := db.Read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return n, err
	}
	if headSeq != n || headHash != prev {
		return n, &Break{Seq: n + 1, Reason: fmt.Sprintf("the chain head says %d entries, %d found (entries removed at the end)", headSeq, n)}
	}
	return n, nil
}

type scanner interface{ Scan(...any) error }

func scan(r scanner, extra ...any) (Entry, error) {
	var e Entry
	var actorID, unitID sql.NullInt64
	var detail string
	dest := append([]any{&e.Seq, &e.At, &actorID, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &unitID,
		&detail, &e.PrevHash, &e.Hash}, extra...)
	if err := r.Scan(dest...); err != nil {
		return e, err
	}
	e.ActorID, e.UnitID = actorID.Int64, unitID.Int64
	if detail != "" && detail != "{}" {
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			e.Detail = map[string]any{"unparsable": detail}
		}
	}
	return e, nil
}

// Filter selects entries for browsing.
type Filter struct {
	// ScopePaths limits entries to units in these subtrees (materialized paths);
	// entries without a unit are shown only when IncludeUnitless is set.
	ScopePaths      []string
	IncludeUnitless bool
	Actor           string // username, exact
	Action          string // prefix, e.g. "unit." or "auth.login"
	ObjectType      string
	ObjectID        string
	From, To        int64 // unix ms, inclusive bounds; 0 = open
	BeforeSeq       int64 // keyset pagination: entries with seq < BeforeSeq
	Limit           int
	// Hide, when set, returns an SQL condition over the entry (alias a) that
	// leaves it out, with its values bound through arg: the entries of a
	// lead the reader is recused from (report.AuditRecusal).
	Hide func(arg func(any) string) string
}

// List returns entries newest first.
func List(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ScopePaths != nil {
		// SQLite plans a scope condition on u.path as a walk over every unit
		// of the scope (units_path) with a probe of audit_log per unit and a
		// sort: 20,000 units for a province-wide reader before the first
		// entry. For a wide scope (the province or a city) the newest entries
		// are found sooner by walking audit_log by seq and filtering: "+"
		// keeps SQLite off the path index. PostgreSQL plans by statistics.
		col := "u.path"
		if db.Dialect == store.SQLite && slices.ContainsFunc(f.ScopePaths, func(p string) bool { return strings.Count(p, "/") <= 3 }) {
			col = "+u.path"
		}
		var ors []string
		for _, p := range f.ScopePaths {
			ors = append(ors, store.Subtree(col, p, arg))
		}
		if f.IncludeUnitless {
			ors = append(ors, "a.unit_id IS NULL")
		}
		if len(ors) == 0 {
			return nil, nil
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if f.Actor != "" {
		where = append(where, "a.actor = "+arg(f.Actor))
	}
	if f.Action != "" {
		where = append(where, "a.action LIKE "+arg(store.EscapeLike(f.Action)+"%")+` ESCAPE '\'`)
	}
	if f.ObjectType != "" {
		where = append(where, "a.object_type = "+arg(f.ObjectType))
	}
	if f.ObjectID != "" {
		where = append(where, "a.object_id = "+arg(f.ObjectID))
	}
	if f.From > 0 {
		where = append(where, "a.at >= "+arg(f.From))
	}
	if f.To > 0 {
		where = append(where, "a.at <= "+arg(f.To))
	}
	if f.BeforeSeq > 0 {
		where = append(where, "a.seq < "+arg(f.BeforeSeq))
	}
	if f.Hide != nil {
		if c := f.Hide(arg); c != "" {
			where = append(where, "NOT ("+c+")")
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := `SELECT a.seq, a.at, a.actor_id, a.actor, a.action, a.object_type, a.object_id, a.unit_id, a.detail, a.prev_hash, a.hash,
	      COALESCE(u.code, '') FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY a.seq DESC LIMIT " + store.Limit(limit, arg)
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var code string
		e, err := scan(rows, &code)
		if err != nil {
			return nil, err
		}
		e.UnitCode = code
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrBroken is matched by errors.As on *Break.
var ErrBroken = errors.New("audit chain broken")

func (b *Break) Is(target error) bool { return target == ErrBroken }
