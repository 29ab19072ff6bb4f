package web

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/api"
	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/i18n"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
)

//go:embed templates
var templateFS embed.FS

// registerPages mounts the staff web app and the public portal.
func (s *Server) registerPages() {
	// sign-in (open to anonymous visitors)
	s.handle("GET /login", s.loginPage)
	s.handle("POST /login", s.loginSubmit)
	s.handle("GET /login/totp", s.totpPage)
	s.handle("POST /login/totp", s.totpSubmit)
	s.handle("GET /login/totp/setup", s.totpSetupPage)
	s.handle("POST /login/totp/setup", s.totpSetupSubmit)
	s.handle("POST /logout", s.logout)
	s.handle("GET /lang", s.switchLang)

	// the staff app (a full session required)
	s.handle("GET /{$}", s.full(s.workbench))
	s.handle("GET /units", s.full(s.unitsPage))
	s.handle("GET /units/new", s.full(s.unitNewPage))
	s.handle("POST /units", s.full(s.unitCreate))
	s.handle("GET /units/picker", s.full(s.unitPicker))
	s.handle("GET /units/import", s.full(s.unitImportPage))
	s.handle("POST /units/import", s.full(s.unitImport))
	s.handle("GET /units/import/template.xlsx", s.full(s.unitImportTemplate))
	s.handle("GET /units/{code}", s.full(s.unitPage))
	s.handle("GET /units/{code}/children", s.full(s.unitChildren))
	s.handle("POST /units/{code}/rename", s.full(s.unitRename))
	s.handle("POST /units/{code}/move", s.full(s.unitMove))
	s.handle("POST /units/{code}/close", s.full(s.unitClose))

	s.handle("GET /users", s.full(s.usersPage))
	s.handle("GET /users/new", s.full(s.userNewPage))
	s.handle("POST /users", s.full(s.userCreate))
	s.handle("GET /users/{username}", s.full(s.userPage))
	s.handle("POST /users/{username}", s.full(s.userUpdate))
	s.handle("POST /users/{username}/reset-password", s.full(s.userResetPassword))
	s.handle("POST /users/{username}/totp/reset", s.full(s.userResetTOTP))

	s.registerLedgerPages()
	s.registerDashboardPages()
	s.registerReportPages()
	s.registerRatingPages()
	s.registerSearchPages()
	s.registerProjectPages()
	s.registerNeedPages()
	s.registerStudyPages()
	s.registerNotifyPages()
	s.registerScorePages()
	s.registerWarnPages()

	s.handle("GET /account", s.full(s.accountPage))
	s.handle("GET /account/password", s.full(s.passwordPage))
	s.handle("POST /account/password", s.full(s.passwordSubmit))
	s.handle("POST /account/totp/disable", s.full(s.accountTOTPDisable))
	s.handle("POST /account/tokens", s.full(s.tokenCreate))
	s.handle("POST /account/tokens/{id}/revoke", s.full(s.tokenRevoke))

	s.handle("GET /audit", s.full(s.auditPage))
	s.handle("POST /audit/verify", s.full(s.auditVerify))

	s.handle("GET /settings", s.full(s.settingsPage))
	s.handle("POST /settings/totp-roles", s.full(s.settingsTOTPRoles))
	s.handle("POST /settings/ledger-rules", s.full(s.settingsLedgerRules))

	// anything else: the app's own 404 page, which names nothing
	s.handle("/", s.notFound)
}

// ---------------------------------------------------------------- templates

// cst is China Standard Time: no daylight saving, so a fixed zone is exact
// and needs no tzdata in the binary.
var cst = time.FixedZone("CST", 8*3600)

var funcs = template.FuncMap{
	"time": func(ms int64) string {
		if ms == 0 {
			return ""
		}
		return time.UnixMilli(ms).In(cst).Format("2006-01-02 15:04:05")
	},
	"date": func(ms int64) string {
		if ms == 0 {
			return ""
		}
		return time.UnixMilli(ms).In(cst).Format("2006-01-02")
	},
	"add": func(a, b int) int { return a + b },
	// indent shows a unit's depth in a plain <select> (no markup in options)
	"indent": func(depth int) string { return strings.Repeat("　", max(depth, 0)) },
	"json": func(v any) string {
		if v == nil {
			return ""
		}
		b, _ := json.Marshal(v)
		return string(b)
	},
	"has": func(list []string, v string) bool { return slices.Contains(list, v) },
	// nth is list[i], or "" past its end (a form re-rendered with fewer rows)
	"nth": func(list []string, i int) string {
		if i < len(list) {
			return list[i]
		}
		return ""
	},
	"list3": func() []int { return []int{0, 1, 2} },
	// pct shows a share as a percentage with one decimal
	"pct": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"clueStatuses": func() []string {
		out := make([]string, len(report.Statuses))
		for i, s := range report.Statuses {
			out[i] = string(s)
		}
		return out
	},
	"treeRows":   treeRows,   // a unit tree level (rows.go)
	"peopleRows": peopleRows, // the rows of a people table (rows.go)
	// dict passes several values to a partial: dict "Pg" $ "Name" "unit_code"
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
}

// ---------------------------------------------------------------- page data

// page is what every template receives. D carries the page's own data.
type page struct {
	Lang     i18n.Lang
	Title    string
	Nav      string // the active menu entry
	P        *org.Principal
	UnitName string
	URI      string // the current path and query, for the language switch
	CanAudit bool
	CanAdmin bool
	CanUnits bool
	CanUsers bool

	Flash  string            // a success message
	Error  string            // the error summary (.alert-error)
	Fields map[string]string // message per field (.field-error)
	Form   string            // which form on the page the error belongs to
	Vals   url.Values        // submitted values, kept on a re-render

	D any
}

// T translates a catalogue key into the page's language.
func (p *page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

// FieldErr returns the message for a form field, if any.
func (p *page) FieldErr(name string) string { return p.Fields[name] }

// Val returns a submitted value, for re-rendering a form.
func (p *page) Val(name string) string { return p.Vals.Get(name) }

// ValsOf returns every submitted value of a field (checkboxes).
func (p *page) ValsOf(name string) []string { return p.Vals[name] }

// Prefixes of catalogue keys built at run time (split so the catalogue test,
// which checks whole literal keys, does not take them for keys).
const (
	keyRole   = "ui" + ".role."
	keyKind   = "ui" + ".kind."
	keyAction = "ui" + ".action."
)

// RoleName is the display name of a role.
func (p *page) RoleName(role string) string {
	if org.ValidRole(role) {
		return p.T(keyRole + role)
	}
	return role
}

// KindName is the display name of a unit kind.
func (p *page) KindName(kind string) string {
	if slices.Contains(org.Kinds, kind) {
		return p.T(keyKind + kind)
	}
	return kind
}

// ActionName translates an audit action code when the catalogue knows it.
func (p *page) ActionName(action string) string {
	if k := keyAction + action; i18n.Has(k) {
		return p.T(k)
	}
	return action
}

// Roles lists every role, for forms.
func (p *page) Roles() []string {
	out := make([]string, len(org.Roles))
	for i, r := range org.Roles {
		out[i] = string(r)
	}
	return out
}

// Kinds lists every unit kind, for forms.
func (p *page) Kinds() []string { return org.Kinds }

// WideScope reports whether a role may be granted over a wider subtree.
func (p *page) WideScope(role string) bool { return org.WideScope(org.Role(role)) }

func langOf(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(LangCookie); err == nil {
		return i18n.Parse(c.Value)
	}
	return i18n.Default
}

// newPage prepares the data every page needs.
func (s *Server) newPage(r *http.Request, titleKey, nav string) *page {
	pg := &page{Lang: langOf(r), Nav: nav, URI: r.URL.RequestURI(), Fields: map[string]string{}, Vals: url.Values{}}
	pg.Title = pg.T(titleKey)
	if p := auth.PrincipalFrom(r.Context()); p != nil {
		pg.P = p
		pg.CanAudit = org.CanAnywhere(p, org.AuditRead)
		pg.CanAdmin = org.IsRootAdmin(p)
		pg.CanUnits = org.CanAnywhere(p, org.UnitRead)
		pg.CanUsers = org.CanAnywhere(p, org.UserRead)
		pg.UnitName = p.UnitName // loaded with the principal: no query per page
	}
	return pg
}

// ---------------------------------------------------------------- rendering

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	t := pageTemplate(pg.Lang, name)
	if t == nil {
		s.Log.Error("no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	if err := t.ExecuteTemplate(buf, "layout", pg); err != nil {
		s.Log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if checkStatic != nil {
		checkStatic(name, "layout", pg)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "10") // the database is away: nothing was saved, try again shortly
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// bufs keeps render buffers: a page is tens of kilobytes, and growing a fresh
// buffer to that size on every request costs copies and garbage.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer {
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 { // an exceptional huge page is left to the collector
		bufs.Put(b)
	}
}

// renderPartial writes a layout-free fragment (htmx swaps it into a page).
func (s *Server) renderPartial(w http.ResponseWriter, name string, pg *page) {
	buf := getBuf()
	defer putBuf(buf)
	if err := templatesFor(pg.Lang).partials.ExecuteTemplate(buf, name, pg); err != nil {
		s.Log.Error("render", "partial", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if checkStatic != nil {
		checkStatic("", name, pg)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// errorPage answers with the 401/403/404/500/503 page. It says nothing about
// what was asked for, so it leaks nothing.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int) {
	key := "ui.error.internal"
	msg := "err.internal"
	switch status {
	case http.StatusNotFound:
		key, msg = "ui.error.not_found", "err.not_found"
	case http.StatusForbidden:
		key, msg = "ui.error.forbidden", "err.forbidden"
	case http.StatusUnauthorized:
		key, msg = "ui.error.unauthorized", "err.unauthorized"
	case http.StatusServiceUnavailable:
		key, msg = "ui.error.unavailable", "err.unavailable"
	case http.StatusBadRequest:
		key, msg = "ui.error.bad_request", "err.bad_request"
	case http.StatusRequestEntityTooLarge:
		key, msg = "ui.harden.too_large", "err.harden.body_too_large"
	}
	pg := s.newPage(r, key, "")
	pg.Error = pg.T(msg)
	pg.D = status
	s.render(w, r, status, "error", pg)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") { // API clients get the API's JSON error
		api.WriteError(w, r, apperr.ErrNotFound)
		return
	}
	s.errorPage(w, r, http.StatusNotFound)
}

// hardError handles the errors that replace the whole page: not found,
// forbidden, unauthorized. It reports whether it answered.
func (s *Server) hardError(w http.ResponseWriter, r *http.Request, err error) bool {
	e := apperr.As(err)
	if e == nil {
		return false
	}
	switch e.Kind {
	case apperr.NotFound:
		s.errorPage(w, r, http.StatusNotFound)
	case apperr.Forbidden:
		if e.Field != "" { // a refusal about one field (a role beyond reach) belongs on the form
			return false
		}
		s.errorPage(w, r, http.StatusForbidden)
	case apperr.Unauthorized:
		s.errorPage(w, r, http.StatusUnauthorized)
	default:
		return false
	}
	return true
}

// failPage handles an error while loading a page: the error page fitting it.
func (s *Server) failPage(w http.ResponseWriter, r *http.Request, err error) {
	if s.hardError(w, r, err) {
		return
	}
	if e := apperr.As(err); e != nil {
		s.errorPage(w, r, statusOf(e))
		return
	}
	s.Log.Error("page", "path", r.URL.Path, "err", err)
	s.errorPage(w, r, internalStatus(err))
}

// formError puts err on the page (summary and field) and returns the status
// to answer with. Errors that are not the user's are logged, never shown.
func (s *Server) formError(r *http.Request, pg *page, form string, err error) int {
	pg.Form = form
	e := apperr.As(err)
	if e == nil {
		s.Log.Error("form", "path", r.URL.Path, "err", err)
		st := internalStatus(err)
		if st == http.StatusServiceUnavailable {
			pg.Error = pg.T("err.unavailable")
		} else {
			pg.Error = pg.T("err.internal")
		}
		return st
	}
	msg := pg.T(e.Key, e.Args...)
	pg.Error = msg
	if e.Field != "" {
		pg.Fields[e.Field] = msg
	}
	return statusOf(e)
}

func statusOf(e *apperr.Error) int {
	switch e.Kind {
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

// internalStatus tells a database that cannot be reached (503) from a bug (500).
func internalStatus(err error) int {
	var ne net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) || store.Unreachable(err) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ---------------------------------------------------------------- access

type pageHandler func(w http.ResponseWriter, r *http.Request, p *org.Principal)

// full admits only a fully signed-in person. Anonymous GETs go to the login
// page (a half-finished login to its second step); anything else gets 401.
func (s *Server) full(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := auth.PrincipalFrom(r.Context())
		if p != nil {
			h(w, r, p)
			return
		}
		if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" {
			if sess := auth.SessionFrom(r.Context()); sess != nil && p == nil {
				switch sess.Stage {
				case auth.StageTOTP:
					http.Redirect(w, r, "/login/totp", http.StatusSeeOther)
					return
				case auth.StageTOTPEnrol:
					http.Redirect(w, r, "/login/totp/setup", http.StatusSeeOther)
					return
				}
			}
			target := "/login"
			if r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		s.errorPage(w, r, http.StatusUnauthorized)
	}
}

// localPath returns target when it is a path on this site, else "/": a
// redirect parameter must never send a person to another site.
func localPath(target string) string {
	if target == "" || target[0] != '/' || strings.HasPrefix(target, "//") || strings.ContainsAny(target, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return target
}

// switchLang remembers the chosen language and returns to the page.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Parse(r.URL.Query().Get("to"))
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, Secure: s.Cfg.SecureCookies, HttpOnly: true})
	http.Redirect(w, r, localPath(r.URL.Query().Get("back")), http.StatusSeeOther)
}

// ---------------------------------------------------------------- helpers

// pager is the offset pagination of a list.
type pager struct {
	Offset, Limit, Total int
	Prev, Next           string // links, "" when there is none
}

const pageSize = 50

func pageOffset(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("offset"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func newPager(r *http.Request, offset, shown, total int) pager {
	pg := pager{Offset: offset, Limit: pageSize, Total: total}
	link := func(off int) string {
		q := r.URL.Query()
		if off <= 0 {
			q.Del("offset")
		} else {
			q.Set("offset", strconv.Itoa(off))
		}
		if len(q) == 0 {
			return r.URL.Path
		}
		return r.URL.Path + "?" + q.Encode()
	}
	if offset > 0 {
		pg.Prev = link(max(0, offset-pageSize))
	}
	if offset+shown < total {
		pg.Next = link(offset + pageSize)
	}
	return pg
}

// From and To are the 1-based bounds shown ("1–50 of 120").
func (p pager) From() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset + 1
}

func (p pager) To() int { return min(p.Offset+p.Limit, p.Total) }

// redirect answers a successful POST (303: the browser follows with a GET).
// serveAttachment answers the download of a stored attachment that the
// capability has found readable (err from that look-up).
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request, files *attach.Store, f attach.File, err error) {
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	file, err := files.Open(r.Context(), f)
	if err != nil {
		s.failPage(w, r, err)
		return
	}
	defer file.Close()
	downloadHeaders(w, f.MIME, f.Name)
	http.ServeContent(w, r, "", time.UnixMilli(f.CreatedAt), file)
}

// pathID is the {id} of the request's path; a path whose id is not a
// number answers 404 (ok false).
func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound)
		return 0, false
	}
	return id, true
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// flashMessages lists the success messages a redirect may name in ?done=.
var flashMessages = map[string]string{
	"unit_renamed":     "msg.unit.renamed",
	"unit_moved":       "msg.unit.moved",
	"unit_closed":      "msg.unit.closed",
	"unit_created":     "msg.unit.created",
	"user_created":     "msg.user.created",
	"user_updated":     "msg.user.updated",
	"password_reset":   "msg.user.password_reset",
	"totp_reset":       "msg.user.totp_reset",
	"password_changed": "msg.account.password_changed",
	"totp_enabled":     "msg.account.totp_enabled",
	"totp_disabled":    "msg.account.totp_disabled",
	"token_revoked":    "msg.account.token_revoked",
	"settings_saved":   "msg.settings.saved",
}

func (pg *page) flashFrom(r *http.Request) {
	if k, ok := flashMessages[r.URL.Query().Get("done")]; ok {
		pg.Flash = pg.T(k)
	}
}
