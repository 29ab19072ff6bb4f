package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
)

// auditBody is one entry of the trail.
type auditBody struct {
	Seq        int64          `json:"seq"`
	At         int64          `json:"at"`   // unix ms
	Time       string         `json:"time"` // the same instant, RFC 3339
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type"`
	ObjectID   string         `json:"object_id"`
	UnitCode   string         `json:"unit_code,omitempty"`
	Detail     map[string]any `json:"detail"`
	PrevHash   string         `json:"prev_hash"`
	Hash       string         `json:"hash"`
}

type auditList struct {
	Items      []auditBody `json:"items"`
	NextBefore *int64      `json:"next_before"`
}

func (s *server) listAudit(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	scopes := org.ScopePaths(p, org.AuditRead)
	if len(scopes) == 0 {
		return apperr.ErrForbidden
	}
	q := r.URL.Query()
	f := audit.Filter{ScopePaths: scopes, IncludeUnitless: org.IsRootAdmin(p), Actor: q.Get("actor"),
		Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Limit: 50,
		Hide: report.AuditRecusal(p)}
	var err error
	if f.From, err = queryTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return err
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return apperr.Invalidf("before", "err.api.before_invalid")
		}
		f.BeforeSeq = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return apperr.Invalidf("limit", "err.page.invalid")
		}
		f.Limit = n
	}
	entries, err := audit.List(r.Context(), s.DB, f)
	if err != nil {
		return err
	}
	out := auditList{Items: make([]auditBody, 0, len(entries))}
	for _, e := range entries {
		d := e.Detail
		if d == nil {
			d = map[string]any{}
		}
		out.Items = append(out.Items, auditBody{Seq: e.Seq, At: e.At, Time: time.UnixMilli(e.At).UTC().Format(time.RFC3339Nano),
			Actor: e.Actor, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, UnitCode: e.UnitCode, Detail: d,
			PrevHash: e.PrevHash, Hash: e.Hash})
	}
	// a full page may have more behind it; the next page starts below its last entry
	if len(entries) == f.Limit && len(entries) > 0 {
		next := entries[len(entries)-1].Seq
		out.NextBefore = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// queryTime reads an RFC 3339 time parameter as unix ms (0 when absent).
func queryTime(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.UnixMilli() <= 0 {
		return 0, apperr.Invalidf(name, "err.api.time_invalid", name)
	}
	return t.UnixMilli(), nil
}
