package search

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/text"
)

// 智能分办: routing suggestions learned from the deployment's own history.
// Two classifiers (internal/text) are trained on the reports a handler has
// assigned (分办): one predicts the category, one the unit the report was
// assigned to. The assignment a handler makes, whatever was suggested, is
// the label of the next training, so corrections teach the model. Models are
// stored in text_models and retrained by a job and on demand.

// Model names in text_models.
const (
	modelCategory = "routing.category"
	modelUnit     = "routing.unit"
)

// MinTraining is the fewest assigned reports (and two labels) a model is
// trained on; with fewer, nothing is suggested.
const MinTraining = 20

// trainingCap bounds the reports of one training (the newest).
const trainingCap = 20000

// models caches the loaded classifiers, reloaded when trained_at changes.
type models struct {
	mu      sync.Mutex
	at      map[string]int64
	byName  map[string]*text.Model
	trained map[string]int
}

// Suggestion is a routing suggestion for one report. A part below the
// threshold is left empty: a person decides.
type Suggestion struct {
	Category           string  `json:"category,omitempty"`
	CategoryConfidence float64 `json:"category_confidence,omitempty"`
	UnitCode           string  `json:"unit_code,omitempty"`
	UnitName           string  `json:"unit_name,omitempty"`
	UnitConfidence     float64 `json:"unit_confidence,omitempty"`
	Threshold          float64 `json:"threshold"`
	TrainedOn          int     `json:"trained_on"` // reports the unit model learned from (0: no model yet)
	TrainedAt          int64   `json:"trained_at,omitempty"`
}

// threshold is the confidence below which nothing is suggested.
func (ix *Index) threshold() float64 {
	if ix.Threshold > 0 {
		return ix.Threshold
	}
	return text.DefaultThreshold
}

// TrainResult says what a training did.
type TrainResult struct {
	Docs       int `json:"docs"`
	Categories int `json:"categories"`
	Units      int `json:"units"`
}

// Train retrains both routing models from the assigned reports (newest
// trainingCap) and stores them. With fewer than MinTraining reports or a
// single label, that model is removed (no suggestions rather than bad ones).
func (ix *Index) Train(ctx context.Context) (TrainResult, error) {
	var res TrainResult
	if ix.Reports == nil {
		return res, nil
	}
	rows, err := ix.DB.Read.QueryContext(ctx, `SELECT r.receipt, r.wrapped_key, r.sealed, r.category, h.code
		FROM reports r JOIN units h ON h.id = r.handling_unit_id
		WHERE EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = r.id AND e.kind = 'assigned')
		ORDER BY r.id DESC LIMIT $1`, trainingCap)
	if err != nil {
		return res, err
	}
	var cats, units []text.Doc
	for rows.Next() {
		var receipt, category, unit string
		var wrapped, sealed []byte
		if err := rows.Scan(&receipt, &wrapped, &sealed, &category, &unit); err != nil {
			rows.Close()
			return res, err
		}
		s, err := ix.Reports.OpenSealed(receipt, wrapped, sealed)
		if err != nil {
			rows.Close()
			return res, err
		}
		t := routingText(s)
		cats = append(cats, text.Doc{Text: t, Label: category})
		units = append(units, text.Doc{Text: t, Label: unit})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	res.Docs = len(cats)
	var err1, err2 error
	res.Categories, err1 = ix.storeModel(ctx, modelCategory, cats)
	res.Units, err2 = ix.storeModel(ctx, modelUnit, units)
	if err := errors.Join(err1, err2); err != nil {
		return res, err
	}
	return res, nil
}

// routingText is what the classifier reads: the subject first (the
// classifier counts the first line more) and the body.
func routingText(s report.Sealed) string { return s.Subject + "\n" + s.Content }

func (ix *Index) storeModel(ctx context.Context, name string, docs []text.Doc) (int, error) {
	labels := map[string]bool{}
	for _, d := range docs {
		labels[d.Label] = true
	}
	if len(docs) < MinTraining || len(labels) < 2 {
		_, err := ix.DB.Write.ExecContext(ctx, `DELETE FROM text_models WHERE name = $1`, name)
		return 0, err
	}
	b, err := text.Train(docs).Marshal()
	if err != nil {
		return 0, err
	}
	now := time.Now().UnixMilli()
	_, err = ix.DB.Write.ExecContext(ctx, `INSERT INTO text_models (name, model, docs, classes, trained_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET model = excluded.model, docs = excluded.docs, classes = excluded.classes,
		trained_at = excluded.trained_at`, name, b, len(docs), len(labels), now)
	return len(labels), err
}

// model returns the stored model (nil when there is none), from the cache
// while its trained_at is unchanged.
func (ix *Index) model(ctx context.Context, name string) (*text.Model, int, int64, error) {
	var at int64
	var docs int
	err := ix.DB.Read.QueryRowContext(ctx, `SELECT trained_at, docs FROM text_models WHERE name = $1`, name).Scan(&at, &docs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, err
	}
	c := &ix.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil {
		c.at, c.byName, c.trained = map[string]int64{}, map[string]*text.Model{}, map[string]int{}
	}
	if m := c.byName[name]; m != nil && c.at[name] == at {
		return m, docs, at, nil
	}
	var b []byte
	if err := ix.DB.Read.QueryRowContext(ctx, `SELECT model FROM text_models WHERE name = $1`, name).Scan(&b); err != nil {
		return nil, 0, 0, err
	}
	m, err := text.Unmarshal(b)
	if err != nil {
		return nil, 0, 0, err
	}
	c.byName[name], c.at[name] = m, at
	return m, docs, at, nil
}

// openHandled opens the text of report id for p, who must be allowed to
// handle it: the same rule as the lead's page (clue.read there, not
// recused) and clue.handle on its handling unit. Anything else is not found.
func (ix *Index) openHandled(ctx context.Context, p *org.Principal, id int64) (report.Sealed, error) {
	if ix.Reports == nil {
		return report.Sealed{}, apperr.ErrNotFound
	}
	var receipt, handlingPath string
	var wrapped, sealed []byte
	err := ix.DB.Read.QueryRowContext(ctx, `SELECT r.receipt, r.wrapped_key, r.sealed, h.path FROM reports r
		JOIN units h ON h.id = r.handling_unit_id WHERE r.id = $1`, id).Scan(&receipt, &wrapped, &sealed, &handlingPath)
	if errors.Is(err, sql.ErrNoRows) {
		return report.Sealed{}, apperr.ErrNotFound
	}
	if err != nil {
		return report.Sealed{}, err
	}
	if !ix.Reports.Visible(ctx, p, id) || !org.Can(p, org.ClueHandle, handlingPath) {
		return report.Sealed{}, apperr.ErrNotFound
	}
	return ix.Reports.OpenSealed(receipt, wrapped, sealed)
}

// Routing suggests a category and a handling unit for report id, which p
// must be allowed to handle. A unit p may not assign to, or that is closed,
// is not suggested.
func (ix *Index) Routing(ctx context.Context, p *org.Principal, id int64) (Suggestion, error) {
	sg := Suggestion{Threshold: ix.threshold()}
	s, err := ix.openHandled(ctx, p, id)
	if err != nil {
		return sg, err
	}
	t := routingText(s)
	if m, _, _, err := ix.model(ctx, modelCategory); err != nil {
		return sg, err
	} else if m != nil {
		if label, conf, ok := m.Route(t, sg.Threshold); ok {
			sg.Category, sg.CategoryConfidence = label, conf
		}
	}
	m, docs, at, err := ix.model(ctx, modelUnit)
	if err != nil {
		return sg, err
	}
	sg.TrainedOn, sg.TrainedAt = docs, at
	if m != nil {
		if label, conf, ok := m.Route(t, sg.Threshold); ok {
			u, err := org.UnitByCode(ctx, ix.DB.Read, label)
			if err == nil && !u.Closed && org.Can(p, org.ClueHandle, u.Path) {
				sg.UnitCode, sg.UnitName, sg.UnitConfidence = u.Code, u.Name, conf
			}
		}
	}
	// not audited: the text is compared in memory and only labels come out;
	// the lead's page that shows them audits its own read
	return sg, nil
}

// TrainJob retrains the routing models nightly (every 24 hours).
func (ix *Index) TrainJob(log *slog.Logger) jobs.Job {
	return jobs.Job{Name: "routing_train", Every: 24 * time.Hour, Lease: time.Hour, Run: func(ctx context.Context) error {
		res, err := ix.Train(ctx)
		if err == nil && log != nil {
			log.Info("routing models trained", "docs", res.Docs, "categories", res.Categories, "units", res.Units)
		}
		return err
	}}
}
