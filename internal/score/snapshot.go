package score

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// The periods nobody has published yet are computed in the background: the
// score_snapshot job computes every unit's card of the current month,
// quarter and year and of the period before each (ComputeAll, seconds to a
// minute on a large deployment) into score_snapshots, and the scorecard page
// reads them like a publication, saying when the data was taken. A
// published period is read from its publication and never from a snapshot,
// so a formula change still never rewrites a published card.

// DefaultEvery is how often the job recomputes a snapshot when the
// deployment does not say otherwise.
const DefaultEvery = 15 * time.Minute

// Snapshot describes the background computation a card was read from.
type Snapshot struct {
	Period         string `json:"period"`
	FormulaVersion int    `json:"formula_version"`
	Units          int    `json:"units"`
	// ComputedAt is when the computation began: the records are as of then.
	ComputedAt int64 `json:"computed_at"`
	TookMs     int64 `json:"took_ms"`
	// RequestedAt is a recompute asked for since (0: none pending).
	RequestedAt int64 `json:"requested_at,omitempty"`
	// Every is the interval of the scheduled recompute, in minutes.
	EveryMinutes int `json:"every_minutes"`
}

// SnapshotPeriods are the periods the job keeps computed on the civil day
// today: the current month, quarter and year, and the one before each (the
// trend, and the period just ended until it is published).
func SnapshotPeriods(today time.Time) []Period {
	var out []Period
	for _, k := range []string{Quarter, Month, Year} {
		cur := Containing(k, today)
		out = append(out, cur, cur.Prev())
	}
	return out
}

func (s *Scorer) every() time.Duration {
	if s.Every > 0 {
		return s.Every
	}
	return DefaultEvery
}

// maintained reports whether the job keeps period key computed today.
func (s *Scorer) maintained(key string) bool {
	for _, p := range SnapshotPeriods(s.Today()) {
		if p.Key == key {
			return true
		}
	}
	return false
}

// snapshotRun returns the period's snapshot, nil when none is kept (never
// computed, or a period the job no longer maintains).
func (s *Scorer) snapshotRun(ctx context.Context, q store.Queryer, period string) (*Snapshot, error) {
	if !s.maintained(period) {
		return nil, nil
	}
	sn := Snapshot{EveryMinutes: int(s.every() / time.Minute)}
	var req *int64
	err := q.QueryRowContext(ctx, `SELECT period, formula_version, units, computed_at, took_ms, requested_at
		FROM score_snapshot_runs WHERE period = $1`, period).Scan(&sn.Period, &sn.FormulaVersion, &sn.Units, &sn.ComputedAt, &sn.TookMs, &req)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if req != nil && *req > sn.ComputedAt {
		sn.RequestedAt = *req
	}
	return &sn, nil
}

// SnapshotOf returns the kept snapshot of a period (nil when none).
func (s *Scorer) SnapshotOf(ctx context.Context, period string) (*Snapshot, error) {
	return s.snapshotRun(ctx, s.DB.Read, period)
}

// digest is a short fingerprint of a stored body.
func digest(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:12])
}

// RefreshSnapshots recomputes every maintained, unpublished period whose
// snapshot is missing, older than the interval, asked for again, or computed
// with another formula than the one in force (all of them when force is
// set); it drops the snapshots of periods no longer maintained or since
// published. It returns the periods recomputed.
func (s *Scorer) RefreshSnapshots(ctx context.Context, force bool) ([]string, error) {
	f, err := s.Formula(ctx)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	var done []string
	for _, per := range SnapshotPeriods(s.Today()) {
		pub, err := publication(ctx, s.DB.Read, per.Key)
		if err != nil {
			return done, err
		}
		if pub != nil {
			continue
		}
		keep[per.Key] = true
		sn, err := s.snapshotRun(ctx, s.DB.Read, per.Key)
		if err != nil {
			return done, err
		}
		due := force || sn == nil || sn.RequestedAt != 0 || sn.FormulaVersion != f.Version ||
			store.Millis(s.now()) >= sn.ComputedAt+s.every().Milliseconds()
		if !due {
			continue
		}
		if _, err := s.SnapshotPeriod(ctx, per); err != nil {
			return done, err
		}
		done = append(done, per.Key)
	}
	// the snapshots of periods no longer maintained (or published meanwhile)
	return done, s.DB.DropPeriodsExcept(ctx, "score_snapshot_runs", "score_snapshots", keep)
}

func dropSnapshot(ctx context.Context, tx *sql.Tx, period string) error {
	return store.DropPeriod(ctx, tx, "score_snapshot_runs", "score_snapshots", period)
}

// SnapshotPeriod computes every unit's card of the period with the formula
// in force and stores the snapshot, rewriting only the cards that changed.
// The computation reads the read pool; the write transaction is short.
func (s *Scorer) SnapshotPeriod(ctx context.Context, per Period) (Snapshot, error) {
	began := s.now()
	t0 := time.Now()
	f, err := latestFormula(ctx, s.DB.Read)
	if err != nil {
		return Snapshot{}, err
	}
	cards, err := ComputeAll(ctx, s.DB.Read, per, f, s.Study)
	if err != nil {
		return Snapshot{}, err
	}
	if err := jobs.Yield(ctx); err != nil {
		return Snapshot{}, err
	}
	old := map[int64]string{}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT unit_id, digest FROM score_snapshots WHERE period = $1`, per.Key)
	if err != nil {
		return Snapshot{}, err
	}
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return Snapshot{}, err
		}
		old[id] = d
	}
	rows.Close()
	if err := jobs.Yield(ctx); err != nil { // before the write transaction, never inside it
		return Snapshot{}, err
	}
	var changed []cardRow
	for _, c := range cards {
		b, err := json.Marshal(c)
		if err != nil {
			return Snapshot{}, err
		}
		d := digest(string(b))
		if old[c.UnitID] != d {
			changed = append(changed, cardRow{c, string(b), d})
		}
		delete(old, c.UnitID)
	}
	sn := Snapshot{Period: per.Key, FormulaVersion: f.Version, Units: len(cards), ComputedAt: store.Millis(began),
		EveryMinutes: int(s.every() / time.Minute)}
	// The first computation of a period (every unit's card: 20,000 rows in
	// a large deployment) is written in transactions of firstChunk cards,
	// so it never holds the SQLite writer (public submissions wait on it)
	// for seconds: until the run record is written, last, nobody reads
	// these rows (View computes the cards itself). A later run rewrites
	// the cards that changed in one transaction, so readers of the
	// snapshot switch from one run to the next at once.
	prev, err := s.snapshotRun(ctx, s.DB.Read, per.Key)
	if err != nil {
		return Snapshot{}, err
	}
	published := false
	for prev == nil && len(changed) > firstChunk && !published {
		part := changed[:firstChunk]
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if pub, err := publication(ctx, tx, per.Key); err != nil {
				return err
			} else if pub != nil {
				published = true
				return dropSnapshot(ctx, tx, per.Key)
			}
			return writeCards(ctx, tx, s.DB.Dialect, per, part)
		})
		if err != nil {
			return Snapshot{}, err
		}
		changed = changed[firstChunk:]
		if err := jobs.Yield(ctx); err != nil {
			return Snapshot{}, err
		}
	}
	if published {
		return sn, nil
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if pub, err := publication(ctx, tx, per.Key); err != nil {
			return err
		} else if pub != nil { // published meanwhile: the publication is what is read
			return dropSnapshot(ctx, tx, per.Key)
		}
		for id := range old { // units closed since
			if _, err := tx.ExecContext(ctx, `DELETE FROM score_snapshots WHERE period = $1 AND unit_id = $2`, per.Key, id); err != nil {
				return err
			}
		}
		if err := writeCards(ctx, tx, s.DB.Dialect, per, changed); err != nil {
			return err
		}
		sn.TookMs = time.Since(t0).Milliseconds()
		// a request made while computing stays pending: its author may
		// have changed something this run did not see
		_, err := tx.ExecContext(ctx, `INSERT INTO score_snapshot_runs (period, formula_version, units, computed_at, took_ms, requested_at)
			VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (period) DO UPDATE SET formula_version = excluded.formula_version,
			units = excluded.units, computed_at = excluded.computed_at, took_ms = excluded.took_ms,
			requested_at = CASE WHEN score_snapshot_runs.requested_at > excluded.computed_at THEN score_snapshot_runs.requested_at ELSE NULL END`,
			sn.Period, sn.FormulaVersion, sn.Units, sn.ComputedAt, sn.TookMs)
		return err
	})
	return sn, err
}

// firstChunk is how many cards a transaction of a period's first snapshot
// writes.
var firstChunk = 1000

// cardRow is a card to store in the snapshot, encoded.
type cardRow struct {
	c            Card
	body, digest string
}

// writeCards upserts the cards into the period's snapshot.
func writeCards(ctx context.Context, tx *sql.Tx, d store.Dialect, per Period, changed []cardRow) error {
	rows := make([][]any, len(changed))
	for i, r := range changed {
		total := -1
		if r.c.Ranked {
			total = int(r.c.Total*100 + 0.5)
		}
		rows[i] = []any{per.Key, r.c.UnitID, r.c.FormulaVersion, total, r.body, r.digest}
	}
	return store.InsertRows(ctx, tx, d, `INSERT INTO score_snapshots (period, unit_id, formula_version, total_bp, body, digest) VALUES `,
		` ON CONFLICT (period, unit_id) DO UPDATE SET formula_version = excluded.formula_version,
			total_bp = excluded.total_bp, body = excluded.body, digest = excluded.digest`, rows, 200)
}

// CanRecompute: who may publish may ask for the unpublished periods to be
// computed again now.
func CanRecompute(p *org.Principal) bool { return CanPublish(p) }

// RequestRecompute asks the job to recompute every maintained period at its
// next turn (within a minute), audited. The cards shown meanwhile are the
// previous snapshot, marked as such.
func (s *Scorer) RequestRecompute(ctx context.Context, p *org.Principal) error {
	if !CanRecompute(p) {
		return apperr.ErrForbidden
	}
	now := store.Millis(s.now())
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE score_snapshot_runs SET requested_at = $1`, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "score.recompute", ObjectType: "score_period",
			ObjectID: Containing(Quarter, s.Today()).Key})
		return err
	})
}

// SnapshotJob keeps the snapshots current: it looks every minute and
// recomputes a period when it is due (RefreshSnapshots).
func (s *Scorer) SnapshotJob(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "score_snapshot", Every: time.Minute, Lease: 30 * time.Minute, Run: func(ctx context.Context) error {
		t := time.Now()
		done, err := s.RefreshSnapshots(ctx, false)
		if len(done) > 0 && log != nil {
			log.Info("scorecards computed", "periods", strings.Join(done, ","), "ms", time.Since(t).Milliseconds())
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
