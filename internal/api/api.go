// Package api is the JSON API under /api/v1/: Bearer tokens (or a browser
// session), JSON errors as {"error": {"code", "message"}}, paginated lists, and
// an OpenAPI 3.1 document checked against the real routes. Handlers only
// translate HTTP to calls into the capability packages and back: every rule and
// every authorization decision lives there.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/study"
	"github.com/luoshi/luoshi/internal/warn"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Deps is what the handlers need.
type Deps struct {
	DB       *store.DB
	Policy   auth.Policy
	Log      *slog.Logger
	Ledger   *ledger.Ledger
	Reports  *report.Reports
	Ratings  *rating.Ratings
	Projects *project.Projects
	Score    *score.Scorer
	Warn     *warn.Warner
	Study    *study.Service
	Search   *search.Index
}

type server struct {
	Deps
	mux *http.ServeMux
}

// handlerFunc is an endpoint: it gets the authenticated principal and returns
// an error, which the wrapper turns into the JSON error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *org.Principal) error

// Register mounts the API on mux and returns the patterns it registered.
func Register(mux *http.ServeMux, d Deps) []string {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &server{Deps: d, mux: mux}
	var patterns []string
	authed := func(pattern string, h handlerFunc) {
		mux.Handle(pattern, s.authed(h))
		patterns = append(patterns, pattern)
	}
	authed("GET "+Prefix+"/me", s.me)

	authed("GET "+Prefix+"/units", s.listUnits)
	authed("POST "+Prefix+"/units", s.createUnit)
	authed("POST "+Prefix+"/units/import", s.importUnits)
	authed("GET "+Prefix+"/units/{code}", s.getUnit)
	authed("PATCH "+Prefix+"/units/{code}", s.patchUnit)
	authed("POST "+Prefix+"/units/{code}/close", s.closeUnit)

	authed("GET "+Prefix+"/users", s.listUsers)
	authed("POST "+Prefix+"/users", s.createUser)
	authed("GET "+Prefix+"/users/{username}", s.getUser)
	authed("PATCH "+Prefix+"/users/{username}", s.patchUser)
	authed("POST "+Prefix+"/users/{username}/reset-password", s.resetPassword)

	authed("GET "+Prefix+"/audit", s.listAudit)

	s.registerProblems(authed)
	s.registerProblemFiles(authed)
	public := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, h)
		patterns = append(patterns, pattern)
	}
	s.registerReports(authed, func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		public(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
		})
	})
	s.registerProblemDashboard(authed)
	s.registerRatings(authed, public)
	s.registerProjects(authed, public)
	s.registerNeeds(authed, public)
	s.registerScore(authed)
	s.registerWarnings(authed)
	s.registerStudy(authed)
	s.registerSearch(authed)

	authed("GET "+Prefix+"/tokens", s.listTokens)
	authed("POST "+Prefix+"/tokens", s.createToken)
	authed("DELETE "+Prefix+"/tokens/{id}", s.deleteToken)

	mux.HandleFunc("GET "+Prefix+"/openapi.json", s.openapi)
	patterns = append(patterns, "GET "+Prefix+"/openapi.json")

	// Unknown API paths answer in JSON rather than with a page. The catch-alls
	// carry a method: a method-less "/api/v1/" would conflict with a "GET /" page.
	for _, m := range catchAllMethods {
		p := m + " " + Prefix + "/"
		mux.HandleFunc(p, s.noRoute)
		patterns = append(patterns, p)
	}
	return patterns
}

var catchAllMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// authed refuses anonymous requests and runs h with the principal.
func (s *server) authed(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.PrincipalFrom(r.Context())
		if p == nil {
			writeError(w, r, apperr.ErrUnauthorized)
			return
		}
		if err := h(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

// noRoute answers a path or method the API does not have: 405 when the path
// exists with other methods, else 404.
func (s *server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range catchAllMethods {
		if m == r.Method || (m == http.MethodGet && r.Method == http.MethodHead) {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pat := s.mux.Handler(r2); pat != "" && !strings.HasSuffix(pat, Prefix+"/") {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, apperr.New(apperr.Invalid, codeMethod, "", "err.api.method_not_allowed", r.Method))
		return
	}
	writeError(w, r, apperr.New(apperr.NotFound, "not_found", "", "err.api.no_route"))
}

// fail logs an unexpected error (never shown to the client) and answers.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.As(err) == nil && !isImportError(err) && !errors.Is(err, context.Canceled) {
		s.Log.Error("api", "method", r.Method, "route", r.Pattern, "err", err)
	}
	writeError(w, r, err)
}

// Codes whose status is not implied by the error kind.
const (
	codeTooLarge    = "too_large"
	codeMediaType   = "unsupported_media_type"
	codeMethod      = "method_not_allowed"
	codeImportRows  = "import_rows"
	codeInternal    = "internal"
	codeUnavailable = "unavailable"
)

// WriteError answers with the JSON error body and the status fitting err.
// Errors that are not an *apperr.Error are logged (with slog's default logger)
// and answered without any internal detail.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.As(err) == nil && !isImportError(err) && !errors.Is(err, context.Canceled) {
		slog.Default().Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, r, err)
}

// writeError is WriteError without the logging (the caller logged).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	lang := i18n.Parse(r.Header.Get("Accept-Language"))
	var body map[string]any
	var status int
	var ie *org.ImportError
	if errors.As(err, &ie) {
		rows := make([]map[string]any, 0, len(ie.Rows))
		for _, re := range ie.Rows {
			e := classify(re.Err)
			rows = append(rows, map[string]any{"row": re.Row, "field": e.Field, "message": message(lang, e)})
		}
		status = http.StatusUnprocessableEntity
		body = map[string]any{"code": codeImportRows, "message": i18n.T(lang, "err.api.import_rows", len(ie.Rows)), "rows": rows}
	} else {
		e := classify(err)
		status = statusOf(e)
		body = map[string]any{"code": e.Code, "message": message(lang, e)}
		if e.Code == codeUnavailable {
			w.Header().Set("Retry-After", "10") // the database is away: try again shortly
		}
		if e.Field != "" {
			body["field"] = e.Field
		}
	}
	writeJSON(w, status, map[string]any{"error": body})
}

func isImportError(err error) bool {
	var ie *org.ImportError
	return errors.As(err, &ie)
}

// classify returns the apperr for err, turning any other error into
// "unavailable" (the database cannot be reached) or "internal".
func classify(err error) *apperr.Error {
	if e := apperr.As(err); e != nil {
		return e
	}
	if unreachable(err) {
		return apperr.New(apperr.Unavailable, codeUnavailable, "", "err.unavailable")
	}
	return apperr.New(apperr.Unavailable, codeInternal, "", "err.internal")
}

// unreachable reports whether err means the database did not answer (as
// opposed to a bug): the client may simply retry later.
func unreachable(err error) bool { return store.Unreachable(err) }

// msgArg is a message argument that is itself a catalogue entry, translated
// into the response language (a JSON error names its cause this way).
type msgArg struct {
	key  string
	args []any
}

func message(lang i18n.Lang, e *apperr.Error) string {
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		if m, ok := a.(msgArg); ok {
			a = i18n.T(lang, m.key, m.args...)
		}
		args[i] = a
	}
	return i18n.T(lang, e.Key, args...)
}

func statusOf(e *apperr.Error) int {
	switch e.Code {
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeMediaType:
		return http.StatusUnsupportedMediaType
	case codeMethod:
		return http.StatusMethodNotAllowed
	case codeInternal:
		return http.StatusInternalServerError
	}
	return Status(e.Kind)
}

// Status maps an error kind to an HTTP status.
func Status(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.TooMany:
		return http.StatusTooManyRequests
	default:
		return http.StatusServiceUnavailable
	}
}

// writeJSON answers with v. API answers are personal: never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// page is the parsed ?page=&per_page= of a list.
type page struct{ Page, PerPage int }

func (p page) offset() int { return (p.Page - 1) * p.PerPage }

// maxPerPage bounds a page so one request cannot ask for the whole table.
const maxPerPage = 500

// parsePage reads the paging parameters: page from 1, per_page 1..500 (default 50).
func parsePage(r *http.Request) (page, error) {
	pg := page{Page: 1, PerPage: 50}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" || q.Has("page") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return pg, apperr.Invalidf("page", "err.page.invalid")
		}
		pg.Page = n
	}
	if v := q.Get("per_page"); v != "" || q.Has("per_page") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return pg, apperr.Invalidf("per_page", "err.page.invalid")
		}
		pg.PerPage = n
	}
	// the offset must fit a 64-bit integer on both engines
	if pg.Page-1 > (1<<53)/pg.PerPage {
		return pg, apperr.Invalidf("page", "err.page.invalid")
	}
	return pg, nil
}

// listBody is the shape of every paginated answer.
type listBody[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func writeList[T any](w http.ResponseWriter, items []T, total int, pg page) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, listBody[T]{Items: items, Total: total, Page: pg.Page, PerPage: pg.PerPage})
}

// parseBool reads an optional boolean query parameter.
func parseBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, apperr.Invalidf(name, "err.api.bool_invalid", name)
}

// meBody is the principal as GET /me shows it.
type meBody struct {
	Username string      `json:"username"`
	Name     string      `json:"name"`
	UnitCode string      `json:"unit_code"`
	Roles    []roleGrant `json:"roles"`
}

func (s *server) me(w http.ResponseWriter, r *http.Request, p *org.Principal) error {
	b := meBody{Username: p.Username, Name: p.Name, UnitCode: p.UnitCode, Roles: []roleGrant{}}
	for _, g := range p.Grants {
		b.Roles = append(b.Roles, roleGrant{Role: string(g.Role), ScopeCode: g.ScopeCode})
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}
