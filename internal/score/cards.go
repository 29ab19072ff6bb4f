package score

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Read is the action that shows a unit's scorecard: whoever may read the
// unit's ledger may read its card; so may whoever audits the unit
// (administrators, inspectors, discipline officers), since the card holds
// figures only, no item.
const Read = org.ProblemRead

// CanRead reports whether p may read the card of the unit at path.
func CanRead(p *org.Principal, path string) bool {
	return org.Can(p, Read, path) || org.Can(p, org.AuditRead, path)
}

// CanReadAnywhere reports whether p may read some card (the menu entry).
func CanReadAnywhere(p *org.Principal) bool {
	return org.CanAnywhere(p, Read) || org.CanAnywhere(p, org.AuditRead)
}

// Scorer computes, publishes and serves the scorecards.
type Scorer struct {
	DB *store.DB
	// Study reports the study figures (nil: 样本不足 everywhere).
	Study StudyFigures
	Clock func() time.Time
	// Every is how often the snapshot job recomputes the unpublished
	// periods (0: DefaultEvery).
	Every time.Duration
}

// New returns a scorer over db.
func New(db *store.DB) *Scorer { return &Scorer{DB: db} }

func (s *Scorer) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// Today is the current civil day in China.
func (s *Scorer) Today() time.Time { return calendar.Today(s.now()) }

// ---------------------------------------------------------------- formula

// Formula returns the formula in force: the newest version, or the default
// (version 1) while nobody has changed it.
func (s *Scorer) Formula(ctx context.Context) (Formula, error) {
	return latestFormula(ctx, s.DB.Read)
}

func latestFormula(ctx context.Context, q store.Queryer) (Formula, error) {
	return formulaWhere(ctx, q, `ORDER BY version DESC LIMIT 1`)
}

// FormulaVersion returns version v of the formula.
func (s *Scorer) FormulaVersion(ctx context.Context, v int) (Formula, error) {
	f, err := formulaWhere(ctx, s.DB.Read, `WHERE version = $1`, v)
	if err == nil && f.Version != v {
		return f, apperr.ErrNotFound
	}
	return f, err
}

func formulaWhere(ctx context.Context, q store.Queryer, tail string, args ...any) (Formula, error) {
	var f Formula
	var body, note string
	var at int64
	var by *int64
	err := q.QueryRowContext(ctx, `SELECT version, body, note, created_at, created_by FROM score_formulas `+tail, args...).
		Scan(&f.Version, &body, &note, &at, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultFormula(), nil
	}
	if err != nil {
		return f, err
	}
	v := f.Version
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return f, err
	}
	f.Version, f.Note, f.CreatedAt = v, note, at
	if by != nil {
		u, err := org.UserByID(ctx, q, *by)
		if err == nil {
			f.CreatedBy = u.Username
		}
	}
	return f, nil
}

// Formulas lists every stored version, newest first (the default version 1
// is listed while no version is stored).
func (s *Scorer) Formulas(ctx context.Context) ([]Formula, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT version FROM score_formulas ORDER BY version DESC`)
	if err != nil {
		return nil, err
	}
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		vs = append(vs, v)
	}
	rows.Close()
	if len(vs) == 0 {
		return []Formula{DefaultFormula()}, nil
	}
	out := make([]Formula, 0, len(vs))
	for _, v := range vs {
		f, err := s.FormulaVersion(ctx, v)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// CanEditFormula: the formula is a deployment-wide setting.
func CanEditFormula(p *org.Principal) bool { return org.IsRootAdmin(p) }

// SetFormula stores f as a new version. Published cards keep the version
// that computed them until a period is explicitly republished.
func (s *Scorer) SetFormula(ctx context.Context, p *org.Principal, f Formula) (Formula, error) {
	if !CanEditFormula(p) {
		return Formula{}, apperr.ErrForbidden
	}
	if err := f.Validate(); err != nil {
		return Formula{}, err
	}
	f.Note = strings.TrimSpace(f.Note)
	if len([]rune(f.Note)) > 500 {
		return Formula{}, apperr.Invalidf("note", "err.score.note_long", 500)
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := latestFormula(ctx, tx)
		if err != nil {
			return err
		}
		f.Version = cur.Version + 1
		f.CreatedAt, f.CreatedBy = store.Millis(s.now()), p.Username
		body, _ := json.Marshal(Formula{Weights: f.Weights, MinSample: f.MinSample, RectifyShare: f.RectifyShare, MinCoverage: f.MinCoverage})
		if _, err := tx.ExecContext(ctx, `INSERT INTO score_formulas (version, body, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			f.Version, string(body), f.Note, p.UserID, f.CreatedAt); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: "score.formula", ObjectType: "score_formula",
			ObjectID: strconv.Itoa(f.Version), Detail: map[string]any{"formula": string(body), "previous": cur.Version, "note": f.Note}})
		return err
	})
	return f, err
}

// ---------------------------------------------------------------- publishing

// Publication is a period's published snapshot.
type Publication struct {
	Period         string `json:"period"`
	FormulaVersion int    `json:"formula_version"`
	Units          int    `json:"units"`
	Revision       int    `json:"revision"`
	PublishedBy    string `json:"published_by,omitempty"`
	PublishedAt    int64  `json:"published_at"`
}

// CanPublish: a root administrator, or an inspector over a whole tree.
func CanPublish(p *org.Principal) bool {
	if org.IsRootAdmin(p) {
		return true
	}
	for _, g := range p.Grants {
		if g.Role == org.RoleInspector && strings.Count(g.ScopePath, "/") <= 2 && g.ScopePath != "" {
			return true
		}
	}
	return false
}

// Publication returns the period's publication, nil when unpublished.
func (s *Scorer) Publication(ctx context.Context, period string) (*Publication, error) {
	return publication(ctx, s.DB.Read, period)
}

func publication(ctx context.Context, q store.Queryer, period string) (*Publication, error) {
	var pb Publication
	var by *int64
	err := q.QueryRowContext(ctx, `SELECT period, formula_version, units, revision, published_by, published_at
		FROM score_publications WHERE period = $1`, period).Scan(&pb.Period, &pb.FormulaVersion, &pb.Units, &pb.Revision, &by, &pb.PublishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if by != nil {
		if u, err := org.UserByID(ctx, q, *by); err == nil {
			pb.PublishedBy = u.Username
		}
	}
	return &pb, nil
}

// ComputeAll computes every open unit's card for the period with formula f:
// each top unit's tree in turn, in a few set-based statements per tree.
func ComputeAll(ctx context.Context, q store.Queryer, p Period, f Formula, study StudyFigures) ([]Card, error) {
	rows, err := q.QueryContext(ctx, `SELECT path FROM units WHERE parent_id IS NULL AND closed_at IS NULL ORDER BY path`)
	if err != nil {
		return nil, err
	}
	var roots []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return nil, err
		}
		roots = append(roots, r)
	}
	rows.Close()
	var all []Card
	for _, r := range roots {
		cards, err := ComputeTree(ctx, q, r, p, f, study)
		if err != nil {
			return nil, err
		}
		for i := range cards {
			if cards[i].ParentID == -1 {
				cards[i].ParentID = 0 // top units rank among each other
			}
		}
		all = append(all, cards...)
		if err := yield(ctx, q); err != nil {
			return nil, err
		}
	}
	RankSiblings(all)
	return all, nil
}

// Publish computes and stores every unit's card for the period with the
// formula in force. A period already published is republished only when
// republish is set: a formula change never rewrites published cards silently.
func (s *Scorer) Publish(ctx context.Context, p *org.Principal, periodKey string, republish bool) (Publication, error) {
	if !CanPublish(p) {
		return Publication{}, apperr.ErrForbidden
	}
	per, err := ParsePeriod(periodKey)
	if err != nil {
		return Publication{}, err
	}
	if per.From.After(s.Today()) {
		return Publication{}, apperr.Invalidf("period", "err.score.period_future", per.Key)
	}
	if old, err := publication(ctx, s.DB.Read, per.Key); err != nil {
		return Publication{}, err
	} else if old != nil && !republish {
		return Publication{}, apperr.New(apperr.Conflict, "published", "", "err.score.published", per.Key, old.FormulaVersion)
	}
	// The cards are computed on the read pool, before the write transaction:
	// a whole tree takes seconds, and SQLite's single writer must not wait
	// for it. The transaction then checks that nothing moved meanwhile.
	f, err := latestFormula(ctx, s.DB.Read)
	if err != nil {
		return Publication{}, err
	}
	cards, err := ComputeAll(ctx, s.DB.Read, per, f, s.Study)
	if err != nil {
		return Publication{}, err
	}
	var pub Publication
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := publication(ctx, tx, per.Key)
		if err != nil {
			return err
		}
		if old != nil && !republish {
			return apperr.New(apperr.Conflict, "published", "", "err.score.published", per.Key, old.FormulaVersion)
		}
		if cur, err := latestFormula(ctx, tx); err != nil {
			return err
		} else if cur.Version != f.Version { // the formula changed while computing: compute again, here
			f = cur
			if cards, err = ComputeAll(ctx, tx, per, f, s.Study); err != nil {
				return err
			}
		}
		prevCards, err := storedCards(ctx, tx, per.Prev().Key)
		if err != nil {
			return err
		}
		for i := range cards {
			if pc, ok := prevCards[cards[i].UnitID]; ok {
				cards[i].SetTrend(&pc)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM score_cards WHERE period = $1`, per.Key); err != nil {
			return err
		}
		if err := insertCards(ctx, tx, cards); err != nil {
			return err
		}
		rev := 1
		if old != nil {
			rev = old.Revision + 1
		}
		pub = Publication{Period: per.Key, FormulaVersion: f.Version, Units: len(cards), Revision: rev,
			PublishedBy: p.Username, PublishedAt: store.Millis(s.now())}
		if _, err := tx.ExecContext(ctx, `INSERT INTO score_publications (period, formula_version, units, revision, published_by, published_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period) DO UPDATE SET formula_version = excluded.formula_version,
			units = excluded.units, revision = excluded.revision, published_by = excluded.published_by, published_at = excluded.published_at`,
			pub.Period, pub.FormulaVersion, pub.Units, pub.Revision, p.UserID, pub.PublishedAt); err != nil {
			return err
		}
		detail := map[string]any{"period": per.Key, "formula_version": f.Version, "units": len(cards), "revision": rev}
		if old != nil {
			detail["previous_formula_version"] = old.FormulaVersion
		}
		action := "score.publish"
		if old != nil {
			action = "score.republish"
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: p.Actor(), Action: action, ObjectType: "score_period",
			ObjectID: per.Key, Detail: detail})
		return err
	})
	return pub, err
}

// insertCards writes the snapshot in multi-row statements (a whole tree of
// 20,000 units in a few dozen round trips).
func insertCards(ctx context.Context, tx *sql.Tx, cards []Card) error {
	const per = 200 // 5 values each: far below both engines' placeholder limits
	for start := 0; start < len(cards); start += per {
		end := min(start+per, len(cards))
		var b strings.Builder
		b.WriteString(`INSERT INTO score_cards (period, unit_id, formula_version, total_bp, body) VALUES `)
		args := make([]any, 0, 5*(end-start))
		for i, c := range cards[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			b.WriteString("($" + strconv.Itoa(n+1) + ", $" + strconv.Itoa(n+2) + ", $" + strconv.Itoa(n+3) + ", $" + strconv.Itoa(n+4) + ", $" + strconv.Itoa(n+5) + ")")
			body, err := json.Marshal(c)
			if err != nil {
				return err
			}
			total := -1
			if c.Ranked {
				total = int(c.Total*100 + 0.5)
			}
			args = append(args, c.Period, c.UnitID, c.FormulaVersion, total, string(body))
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// storedCards reads a published period's cards by unit id (empty when unpublished).
func storedCards(ctx context.Context, q store.Queryer, period string, unitIDs ...int64) (map[int64]Card, error) {
	return cardsIn(ctx, q, "score_cards", period, unitIDs...)
}

// cardsIn reads stored cards from table (score_cards: published;
// score_snapshots: computed by the job), all of the period when no unit id
// is given.
func cardsIn(ctx context.Context, q store.Queryer, table, period string, unitIDs ...int64) (map[int64]Card, error) {
	query := `SELECT unit_id, body FROM ` + table + ` WHERE period = $1`
	args := []any{period}
	if len(unitIDs) > 0 {
		var ph []string
		for _, id := range unitIDs {
			args = append(args, id)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		query += ` AND unit_id IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Card{}
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		var c Card
		if err := json.Unmarshal([]byte(body), &c); err != nil {
			return nil, err
		}
		c.UnitID = id
		out[id] = c
	}
	return out, rows.Err()
}
