package api

import (
	"net/http"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
)

// 民标: a unit's scorecard for a period with its parts, inputs, formula
// version, rank among siblings, trend and history.

func (s *server) registerScore(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/scorecards", s.getScorecard)
}

type (
	scoreSibling struct {
		Unit     string  `json:"unit"`
		UnitName string  `json:"unit_name"`
		Ranked   bool    `json:"ranked"`
		Total    float64 `json:"total"`
		Rank     int     `json:"rank"`
		Trend    string  `json:"trend"`
	}
	scoreHistory struct {
		Period         string  `json:"period"`
		FormulaVersion int     `json:"formula_version"`
		Ranked         bool    `json:"ranked"`
		Total          float64 `json:"total"`
	}
	scorecardBody struct {
		score.Card
		From             string             `json:"from"`
		To               string             `json:"to"`
		FormulaInForce   int                `json:"formula_in_force"`
		Published        *score.Publication `json:"published"`
		Computed         *score.Snapshot    `json:"computed"`
		Siblings         []scoreSibling     `json:"siblings"`
		History          []scoreHistory     `json:"history"`
		SiblingsReadable int                `json:"siblings_listed"`
	}
)

func (s *server) getScorecard(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	if s.Score == nil {
		return apperr.ErrNotFound
	}
	unit, period, err := unitPeriod(r, s.Score.Today())
	if err != nil {
		return err
	}
	v, err := s.Score.View(r.Context(), p, unit, period)
	if err != nil {
		return err
	}
	b := scorecardBody{Card: v.Card, From: v.Period.FromDay(), To: v.Period.ToDay(), FormulaInForce: v.FormulaVersion,
		Published: v.Published, Computed: v.Snapshot, Siblings: []scoreSibling{}, History: []scoreHistory{}, SiblingsReadable: len(v.Siblings)}
	for _, c := range v.Siblings {
		b.Siblings = append(b.Siblings, scoreSibling{Unit: c.UnitCode, UnitName: c.UnitName, Ranked: c.Ranked, Total: c.Total, Rank: c.Rank, Trend: c.Trend})
	}
	for _, c := range v.History {
		b.History = append(b.History, scoreHistory{Period: c.Period, FormulaVersion: c.FormulaVersion, Ranked: c.Ranked, Total: c.Total})
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func scoreDoc(paths, schemas obj) {
	num := obj{"type": "number"}
	share := object(nil, obj{"key": str("satisfaction, rectification, closed_ok, closed, closed_late, reopened, ack, conclude, feedback, longterm, milestones, study_done, study_original"),
		"numerator": integer(""), "denominator": integer(""), "rate": num})
	paths["/api/v1/scorecards"] = obj{"get": op("getScorecard", "scorecards",
		"A unit's 民标 scorecard for a period: every part with its inputs (numerator / denominator) and sample; a part under the "+
			"formula's minimum sample has enough=false (样本不足) and is neither scored nor ranked. States the formula version that computed "+
			"it (a published snapshot keeps its version until explicitly republished), the rank among sibling units with the trend against "+
			"the previous period, and the history over the last periods of the same kind. Readable by whoever reads the unit's ledger or audits it.",
		[]any{
			query("unit", "unit code (required)", obj{"type": "string"}),
			query("period", "2026-10 (month), 2026-Q3 (quarter) or 2026 (year); default the current quarter", obj{"type": "string"}),
		}, nil, obj{"200": ok("the scorecard", "Scorecard")}, "400", "404")}
	schemas["ScorePart"] = object(nil, obj{
		"key":        str("people, closure, response, lasting, study"),
		"weight":     integer("percent"),
		"sample":     integer("items the part rests on"),
		"min_sample": integer("the formula's minimum"),
		"enough":     boolean("false: 样本不足, not scored, not ranked"),
		"score":      obj{"type": "number", "description": "0–100 (when enough)"},
		"figures":    obj{"type": "array", "items": share},
		"rank":       integer("among siblings with enough data; absent when unranked"),
	})
	schemas["Scorecard"] = object(nil, obj{
		"period":           str("2026-Q3"),
		"from":             obj{"type": "string", "format": "date"},
		"to":               obj{"type": "string", "format": "date"},
		"unit":             str("unit code"),
		"unit_name":        str(""),
		"formula_version":  integer("the formula version that computed this card"),
		"formula_in_force": integer("the version in force now"),
		"published":        obj{"type": []string{"object", "null"}, "description": "the publication (period, formula_version, units, revision, published_by, published_at); null when unpublished"},
		"computed": obj{"type": []string{"object", "null"}, "description": "an unpublished period's card comes from the background job's snapshot: period, formula_version, units, " +
			"computed_at (unix ms: the records are as of then), took_ms, requested_at (a pending recompute), every_minutes; null when published or computed at this request"},
		"parts":           obj{"type": "array", "items": schemaRef("ScorePart")},
		"coverage":        integer("percent of the weights carried by parts with enough data"),
		"ranked":          boolean("the coverage reaches the formula's minimum"),
		"total":           obj{"type": "number", "description": "0–100, when ranked"},
		"rank":            integer("among ranked siblings, 1 best"),
		"rank_of":         integer("ranked siblings"),
		"trend":           str("up, down, same, or absent"),
		"previous":        obj{"type": "number", "description": "the previous period's total"},
		"inputs":          obj{"type": "object", "description": "the raw counts behind the parts"},
		"siblings":        obj{"type": "array", "items": obj{"type": "object"}, "description": "sibling cards the principal may read"},
		"siblings_listed": integer("how many siblings are listed"),
		"history":         obj{"type": "array", "items": obj{"type": "object"}, "description": "period, formula_version, ranked, total; oldest first"},
	})
}

// unitPeriod reads the unit (required) and the period (default: the quarter
// of today) of the scorecard and warnings reads.
func unitPeriod(r *http.Request, today time.Time) (unit, period string, err error) {
	q := r.URL.Query()
	unit, period = q.Get("unit"), q.Get("period")
	if unit == "" {
		return "", "", apperr.Invalidf("unit", "err.score.unit_required")
	}
	if period == "" {
		period = score.Containing(score.Quarter, today).Key
	}
	return unit, period, nil
}
