package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
)

// auditScope limits f to what p may read of the trail. Entries without a
// unit (logins of unknown names, settings) are for a root administrator only.
func auditScope(p *org.Principal, f audit.Filter) audit.Filter {
	f.ScopePaths = org.ScopePaths(p, org.AuditRead)
	if f.ScopePaths == nil {
		f.ScopePaths = []string{} // non-nil: no scope means no entries
	}
	f.IncludeUnitless = org.IsRootAdmin(p)
	f.Hide = report.AuditRecusal(p)
	return f
}

// auditRow is an entry as the table shows it.
type auditRow struct {
	audit.Entry
	UnitCode, UnitName string
	DetailText         string
}

// auditRows names the units of entries (one query for all of them).
func (s *Server) auditRows(ctx context.Context, entries []audit.Entry) ([]auditRow, error) {
	var ids []int64
	for _, e := range entries {
		if e.UnitID != 0 && !slices.Contains(ids, e.UnitID) {
			ids = append(ids, e.UnitID)
		}
	}
	units, err := org.UnitsByID(ctx, s.DB.Read, ids)
	if err != nil {
		return nil, err
	}
	out := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		row := auditRow{Entry: e}
		if e.UnitID != 0 {
			u := units[e.UnitID] // a unit since deleted stays unnamed
			row.UnitCode, row.UnitName = u.Code, u.Name
		}
		if len(e.Detail) > 0 {
			b, _ := json.Marshal(e.Detail)
			row.DetailText = string(b)
		}
		out = append(out, row)
	}
	return out, nil
}

type auditData struct {
	Rows  []auditRow
	Older string // link to the next (older) page, "" at the end
	Newer bool   // a "back to newest" link
	Admin bool
}

// parseDay reads a yyyy-mm-dd date as a day in China Standard Time.
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), cst)
	return t, err == nil
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.CanAnywhere(p, org.AuditRead) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	ctx := r.Context()
	pg := s.newPage(r, "ui.nav.audit", "audit")
	pg.flashFrom(r)
	q := r.URL.Query()
	for _, k := range []string{"actor", "action", "object_type", "object_id", "from", "to"} {
		pg.Vals.Set(k, strings.TrimSpace(q.Get(k)))
	}
	f := audit.Filter{Actor: pg.Val("actor"), Action: pg.Val("action"), ObjectType: pg.Val("object_type"),
		ObjectID: pg.Val("object_id"), Limit: pageSize}
	status := http.StatusOK
	if v := pg.Val("from"); v != "" {
		if t, ok := parseDay(v); ok {
			f.From = t.UnixMilli()
		} else {
			pg.Fields["from"] = pg.T("err.web.date_invalid")
		}
	}
	if v := pg.Val("to"); v != "" {
		if t, ok := parseDay(v); ok {
			f.To = t.AddDate(0, 0, 1).UnixMilli() - 1 // the whole day
		} else {
			pg.Fields["to"] = pg.T("err.web.date_invalid")
		}
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			pg.Fields["before"] = pg.T("err.page.invalid")
		}
		f.BeforeSeq = n
	}
	d := auditData{Admin: org.IsRootAdmin(p), Newer: f.BeforeSeq > 0}
	if len(pg.Fields) > 0 {
		pg.Error = pg.T("err.web.form_check")
		status = http.StatusBadRequest
	} else {
		entries, err := audit.List(ctx, s.DB, auditScope(p, f))
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		if d.Rows, err = s.auditRows(ctx, entries); err != nil {
			s.failPage(w, r, err)
			return
		}
		if len(entries) == pageSize {
			v := url.Values{}
			for k, vals := range pg.Vals {
				if vals[0] != "" {
					v.Set(k, vals[0])
				}
			}
			v.Set("before", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
			d.Older = "/audit?" + v.Encode()
		}
	}
	pg.D = d
	s.render(w, r, status, "audit", pg)
}

// auditVerify checks the whole chain (root administrators: it reads every entry).
func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.IsRootAdmin(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.nav.audit", "audit")
	n, err := audit.Verify(r.Context(), s.DB)
	var br *audit.Break
	switch {
	case errors.As(err, &br):
		pg.Error = pg.T("msg.audit.broken", br.Seq, br.Reason)
	case err != nil:
		s.failPage(w, r, err)
		return
	default:
		pg.Flash = pg.T("msg.audit.intact", n)
	}
	pg.D = auditData{Admin: true}
	s.render(w, r, http.StatusOK, "audit", pg)
}

// ---------------------------------------------------------------- settings

type settingsData struct {
	Required []string
	Rules    ledger.Rules
	Classes  []string
	Timers   report.Timers // the reporting channel's deadlines
}

// settingsRequired reads the roles that must use a second factor.
func (s *Server) settingsRequired(r *http.Request) ([]string, error) {
	return auth.RequiredTOTPRoles(r.Context(), s.DB.Read)
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.IsRootAdmin(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	pg := s.newPage(r, "ui.nav.settings", "settings")
	pg.flashFrom(r)
	req, err := s.settingsRequired(r)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	rules, err := s.Ledger.Rules(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	timers, err := s.Reports.Timers(r.Context())
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	pg.D = settingsData{Required: req, Rules: rules, Classes: ledger.Classes, Timers: timers}
	s.render(w, r, http.StatusOK, "settings", pg)
}

func (s *Server) settingsTOTPRoles(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	if !org.IsRootAdmin(p) {
		s.errorPage(w, r, http.StatusForbidden)
		return
	}
	r.ParseForm()
	roles := r.PostForm["role"]
	if err := auth.SetRequiredTOTPRoles(r.Context(), s.DB, p, roles); err != nil {
		if s.hardError(w, r, err) {
			return
		}
		pg := s.newPage(r, "ui.nav.settings", "settings")
		st := s.formError(r, pg, "totp_roles", err)
		rules, _ := s.Ledger.Rules(r.Context())
		pg.D = settingsData{Required: roles, Rules: rules, Classes: ledger.Classes}
		s.render(w, r, st, "settings", pg)
		return
	}
	redirect(w, r, "/settings?done=settings_saved")
}
