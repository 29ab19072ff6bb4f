package warn

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/study"
)

// Like the scorecards, the flags of the current and previous quarter and
// month are computed in the background for every unit into warn_snapshots;
// List reads them for the asked subtree. Dismissals are not part of the snapshot: they
// are read on every view, so a dismissal shows at once.

// Snapshot describes the background computation the flags were read from.
type Snapshot struct {
	Period     string `json:"period"`
	Flags      int    `json:"flags"` // in the whole deployment
	ComputedAt int64  `json:"computed_at"`
	TookMs     int64  `json:"took_ms"`
	// RequestedAt is a recompute asked for since (0: none pending).
	RequestedAt int64 `json:"requested_at,omitempty"`
	// Stale: the thresholds changed since; the job recomputes within a minute.
	Stale        bool `json:"stale,omitempty"`
	EveryMinutes int  `json:"every_minutes"`
	thresholds   string
}

func (w *Warner) every() time.Duration {
	if w.Every > 0 {
		return w.Every
	}
	return score.DefaultEvery
}

// snapshotPeriods are the periods whose flags the job keeps: the current
// and previous quarter and month. A year's flags read three years of
// closures for the bunching baseline and are computed when asked for.
func snapshotPeriods(today time.Time) []score.Period {
	var out []score.Period
	for _, p := range score.SnapshotPeriods(today) {
		if p.Kind != score.Year {
			out = append(out, p)
		}
	}
	return out
}

func (w *Warner) maintained(key string) bool {
	for _, p := range snapshotPeriods(w.Today()) {
		if p.Key == key {
			return true
		}
	}
	return false
}

func thresholdsKey(t Thresholds) string {
	b, _ := json.Marshal(t)
	return string(b)
}

// snapshotRun returns the period's snapshot, nil when none is kept.
func (w *Warner) snapshotRun(ctx context.Context, period string, th Thresholds) (*Snapshot, error) {
	if !w.maintained(period) {
		return nil, nil
	}
	sn := Snapshot{EveryMinutes: int(w.every() / time.Minute)}
	var req *int64
	err := w.DB.Read.QueryRowContext(ctx, `SELECT period, thresholds, flags, computed_at, took_ms, requested_at
		FROM warn_snapshot_runs WHERE period = $1`, period).Scan(&sn.Period, &sn.thresholds, &sn.Flags, &sn.ComputedAt, &sn.TookMs, &req)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if req != nil && *req > sn.ComputedAt {
		sn.RequestedAt = *req
	}
	sn.Stale = sn.thresholds != thresholdsKey(th)
	return &sn, nil
}

// SnapshotOf returns the kept snapshot of a period (nil when none).
func (w *Warner) SnapshotOf(ctx context.Context, period string) (*Snapshot, error) {
	th, err := w.Thresholds(ctx)
	if err != nil {
		return nil, err
	}
	return w.snapshotRun(ctx, period, th)
}

// storedFlag is a flag as kept: the figures' types are kept beside them,
// since JSON would turn every number into a float.
type storedFlag struct {
	Flag
	Types string `json:"types"` // one letter per figure: i(nt), f(loat), s(tring)
}

func encodeFlag(f Flag) (string, error) {
	f.Dismissed = nil
	var types strings.Builder
	for _, a := range f.Args {
		switch a.(type) {
		case int:
			types.WriteByte('i')
		case float64:
			types.WriteByte('f')
		case string:
			types.WriteByte('s')
		default:
			return "", fmt.Errorf("warn: figure of type %T", a)
		}
	}
	b, err := json.Marshal(storedFlag{Flag: f, Types: types.String()})
	return string(b), err
}

func decodeFlag(body string) (Flag, error) {
	var sf storedFlag
	d := json.NewDecoder(bytes.NewReader([]byte(body)))
	d.UseNumber()
	if err := d.Decode(&sf); err != nil {
		return Flag{}, err
	}
	f := sf.Flag
	for i, a := range f.Args {
		if i >= len(sf.Types) {
			break
		}
		switch v := a.(type) {
		case json.Number:
			if sf.Types[i] == 'i' {
				n, err := v.Int64()
				if err != nil {
					return Flag{}, err
				}
				f.Args[i] = int(n)
			} else {
				x, err := v.Float64()
				if err != nil {
					return Flag{}, err
				}
				f.Args[i] = x
			}
		}
	}
	return f, nil
}

// sortFlags orders flags as Detect does: by unit code, kind, subject.
func sortFlags(out []Flag) {
	kindOrder := func(k string) int { return slices.Index(Kinds, k) }
	slices.SortStableFunc(out, func(a, b Flag) int {
		return cmp.Or(cmp.Compare(a.UnitCode, b.UnitCode), cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)), cmp.Compare(a.Subject, b.Subject))
	})
}

// snapshotFlags reads the kept flags of the subtree at path.
func (w *Warner) snapshotFlags(ctx context.Context, path, period string) ([]Flag, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	rows, err := w.DB.Read.QueryContext(ctx, `SELECT ws.unit_id, ws.body FROM warn_snapshots ws JOIN units un ON un.id = ws.unit_id
		WHERE ws.period = `+arg(period)+` AND `+store.Subtree("un.path", path, arg), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Flag
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		f, err := decodeFlag(body)
		if err != nil {
			return nil, err
		}
		f.UnitID = id
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortFlags(out)
	return out, nil
}

// ComputeAll computes the flags of every open unit of the deployment for
// the period: each top unit's tree in one pass (one statement per source;
// splitting a tree into subtrees would scan the period's events once per
// subtree).
func (w *Warner) ComputeAll(ctx context.Context, per score.Period, th Thresholds) ([]Flag, error) {
	q := w.DB.Read
	rows, err := q.QueryContext(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY path`)
	if err != nil {
		return nil, err
	}
	var roots []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, err
		}
		roots = append(roots, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var all []Flag
	for _, root := range roots {
		r, err := gather(ctx, q, root, nil, per, th)
		if err != nil {
			return nil, err
		}
		if r.Copies, err = study.Copies(ctx, w.DB, root); err != nil {
			return nil, err
		}
		all = append(all, Detect(r, per, th)...)
		if err := jobs.Yield(ctx); err != nil {
			return nil, err
		}
	}
	sortFlags(all)
	return all, nil
}

// RefreshSnapshots recomputes every maintained period whose flags are
// missing, older than the interval, asked for again or computed with other
// thresholds (all when force is set), and drops the others. It returns the
// periods recomputed.
func (w *Warner) RefreshSnapshots(ctx context.Context, force bool) ([]string, error) {
	th, err := w.Thresholds(ctx)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	var done []string
	for _, per := range snapshotPeriods(w.Today()) {
		keep[per.Key] = true
		sn, err := w.snapshotRun(ctx, per.Key, th)
		if err != nil {
			return done, err
		}
		if !force && sn != nil && sn.RequestedAt == 0 && !sn.Stale && store.Millis(w.now()) < sn.ComputedAt+w.every().Milliseconds() {
			continue
		}
		if _, err := w.SnapshotPeriod(ctx, per); err != nil {
			return done, err
		}
		done = append(done, per.Key)
	}
	return done, w.DB.DropPeriodsExcept(ctx, "warn_snapshot_runs", "warn_snapshots", keep)
}

// SnapshotPeriod computes every unit's flags of the period with the
// thresholds in force and stores them, rewriting only the flags that changed.
func (w *Warner) SnapshotPeriod(ctx context.Context, per score.Period) (Snapshot, error) {
	began := w.now()
	t0 := time.Now()
	th, err := w.Thresholds(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	flags, err := w.ComputeAll(ctx, per, th)
	if err != nil {
		return Snapshot{}, err
	}
	type key struct {
		unit          int64
		kind, subject string
	}
	old := map[key]string{}
	rows, err := w.DB.Read.QueryContext(ctx, `SELECT unit_id, kind, subject, digest FROM warn_snapshots WHERE period = $1`, per.Key)
	if err != nil {
		return Snapshot{}, err
	}
	for rows.Next() {
		var k key
		var d string
		if err := rows.Scan(&k.unit, &k.kind, &k.subject, &d); err != nil {
			rows.Close()
			return Snapshot{}, err
		}
		old[k] = d
	}
	rows.Close()
	if err := jobs.Yield(ctx); err != nil { // before the write transaction, never inside it
		return Snapshot{}, err
	}
	type row struct {
		k            key
		body, digest string
	}
	var changed []row
	for _, f := range flags {
		body, err := encodeFlag(f)
		if err != nil {
			return Snapshot{}, err
		}
		h := sha256.Sum256([]byte(body))
		d := hex.EncodeToString(h[:12])
		k := key{f.UnitID, f.Kind, f.Subject}
		if od, ok := old[k]; !ok || od != d {
			changed = append(changed, row{k, body, d})
		}
		delete(old, k)
	}
	sn := Snapshot{Period: per.Key, Flags: len(flags), ComputedAt: store.Millis(began), EveryMinutes: int(w.every() / time.Minute)}
	err = w.DB.Tx(ctx, func(tx *sql.Tx) error {
		for k := range old { // flags gone since
			if _, err := tx.ExecContext(ctx, `DELETE FROM warn_snapshots WHERE period = $1 AND unit_id = $2 AND kind = $3 AND subject = $4`,
				per.Key, k.unit, k.kind, k.subject); err != nil {
				return err
			}
		}
		rows := make([][]any, len(changed))
		for i, r := range changed {
			rows[i] = []any{per.Key, r.k.unit, r.k.kind, r.k.subject, r.body, r.digest}
		}
		if err := store.InsertRows(ctx, tx, w.DB.Dialect, `INSERT INTO warn_snapshots (period, unit_id, kind, subject, body, digest) VALUES `,
			` ON CONFLICT (period, unit_id, kind, subject) DO UPDATE SET body = excluded.body, digest = excluded.digest`, rows, 200); err != nil {
			return err
		}
		sn.TookMs = time.Since(t0).Milliseconds()
		_, err := tx.ExecContext(ctx, `INSERT INTO warn_snapshot_runs (period, thresholds, flags, computed_at, took_ms, requested_at)
			VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (period) DO UPDATE SET thresholds = excluded.thresholds,
			flags = excluded.flags, computed_at = excluded.computed_at, took_ms = excluded.took_ms,
			requested_at = CASE WHEN warn_snapshot_runs.requested_at > excluded.computed_at THEN warn_snapshot_runs.requested_at ELSE NULL END`,
			sn.Period, thresholdsKey(th), sn.Flags, sn.ComputedAt, sn.TookMs)
		return err
	})
	return sn, err
}

// CanRecompute: who may set the thresholds or publish scorecards may ask
// for the flags to be computed again now.
func CanRecompute(p *org.Principal) bool { return CanSetThresholds(p) || score.CanPublish(p) }

// RequestRecompute asks the job to recompute the flags at its next turn
// (within a minute), audited.
func (w *Warner) RequestRecompute(ctx context.Context, p *org.Principal) error {
	if !CanRecompute(p) {
		return apperr.ErrForbidden
	}
	return w.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE warn_snapshot_runs SET requested_at = $1`, store.Millis(w.now())); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "warn.recompute", ObjectType: "warning",
			ObjectID: score.Containing(score.Quarter, w.Today()).Key})
		return err
	})
}

// SnapshotJob keeps the flags current: it looks every minute and
// recomputes a period when it is due.
func (w *Warner) SnapshotJob(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "warn_snapshot", Every: time.Minute, Lease: time.Hour, Run: func(ctx context.Context) error {
		t := time.Now()
		done, err := w.RefreshSnapshots(ctx, false)
		if len(done) > 0 && log != nil {
			log.Info("warnings computed", "periods", strings.Join(done, ","), "ms", time.Since(t).Milliseconds())
		}
		return err
	}}
}

// yield ends a step of the paced snapshot job (jobs.Yield), except inside a
// transaction: a pause there would hold it (on SQLite, the one writer) open.
func yield(ctx context.Context, q store.Queryer) error {
	if _, inTx := q.(*sql.Tx); inTx {
		return nil
	}
	return jobs.Yield(ctx)
}
