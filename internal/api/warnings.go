package api

import (
	"net/http"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/warn"
)

// 形式主义预警: the flags of a unit subtree for a period, and their dismissal
// with a reason.

func (s *server) registerWarnings(authed func(string, handlerFunc)) {
	authed("GET "+Prefix+"/warnings", s.listWarnings)
	authed("POST "+Prefix+"/warnings/dismissals", s.dismissWarning)
}

type (
	warningsBody struct {
		Unit   string      `json:"unit"`
		Period string      `json:"period"`
		Flags  []warn.Flag `json:"flags"`
		// Computed is the background computation the flags come from (nil: computed now).
		Computed *warn.Snapshot `json:"computed"`
	}
	dismissRequest struct {
		Unit    string `json:"unit"`
		Period  string `json:"period"`
		Kind    string `json:"kind"`
		Subject string `json:"subject"`
		Reason  string `json:"reason"`
	}
)

func (s *server) listWarnings(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	if s.Warn == nil {
		return apperr.ErrNotFound
	}
	unit, period, err := unitPeriod(r, s.Warn.Today())
	if err != nil {
		return err
	}
	flags, snap, err := s.Warn.ListSnapshot(r.Context(), p, unit, period)
	if err != nil {
		return err
	}
	if flags == nil {
		flags = []warn.Flag{}
	}
	for i := range flags {
		if flags[i].Evidence == nil {
			flags[i].Evidence = []warn.Evidence{}
		}
	}
	writeJSON(w, http.StatusOK, warningsBody{Unit: unit, Period: period, Flags: flags, Computed: snap})
	return nil
}

func (s *server) dismissWarning(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	if s.Warn == nil {
		return apperr.ErrNotFound
	}
	in, err := readJSON[dismissRequest](w, r)
	if err != nil {
		return err
	}
	if err := s.Warn.Dismiss(r.Context(), p, in.Unit, in.Period, in.Kind, in.Subject, in.Reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, in)
	return nil
}

func warningsDoc(paths, schemas obj) {
	paths["/api/v1/warnings"] = obj{"get": op("listWarnings", "warnings",
		"形式主义预警: the flags of every unit in a subtree for a period, each with its figures, evidence (items with links) and, "+
			"when dismissed, the reason, who and when. Kinds: bunching (closures just before deadlines against the unit's own baseline), "+
			"boilerplate (the same progress note across items), thin_closure, low_sat (many closures, low satisfaction), reopened (回头看), "+
			"poor_project (done, poorly rated), prior_done (leads closed as 已查过). Thresholds are a setting.",
		[]any{
			query("unit", "unit code: its subtree (required)", obj{"type": "string"}),
			query("period", "2026-10, 2026-Q3 or 2026; default the current quarter", obj{"type": "string"}),
		}, nil, obj{"200": ok("the flags", "Warnings")}, "400", "404")}
	paths["/api/v1/warnings/dismissals"] = obj{"post": op("dismissWarning", "warnings",
		"Dismiss a flag raised now, with a reason (at least 10 characters) that stays visible beside it. An inspector over the unit "+
			"or an administrator of the whole tree; never the unit's own leaders.",
		nil, jsonBody("WarningDismissal"), obj{"201": created("the dismissal as recorded", "WarningDismissal", false)}, "400", "403", "404", "409", "415")}
	schemas["WarningDismissal"] = object([]string{"unit", "period", "kind", "subject", "reason"}, obj{
		"unit": str("the flag's unit code"), "period": str("the period the flag was computed for"),
		"kind": str("the flag's kind"), "subject": str("the flag's subject, as listed"), "reason": str("why it is set aside"),
	})
	schemas["Warnings"] = object(nil, obj{
		"unit":   str("the subtree's unit code"),
		"period": str(""),
		"computed": obj{"type": []string{"object", "null"}, "description": "the background job's snapshot the flags come from: period, flags (deployment-wide), " +
			"computed_at (unix ms), took_ms, requested_at, stale (thresholds changed since), every_minutes; null when computed at this request. Dismissals are always current."},
		"flags": obj{"type": "array", "items": object(nil, obj{
			"kind": str(""), "unit": str(""), "unit_name": str(""), "subject": str(""),
			"figures":   obj{"type": "array", "description": "the figures of the kind's summary"},
			"evidence":  obj{"type": "array", "items": object(nil, obj{"ref": str("item, project or report number"), "title": str(""), "note": str(""), "link": str("")})},
			"link":      str("the list of the items behind it"),
			"dismissed": object(nil, obj{"reason": str(""), "by": str("username"), "at": integer("unix ms")}),
		})},
	})
}
