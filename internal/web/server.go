// Package web is the HTTP layer: the staff web app, the public portal, static
// assets, health and metrics, and the mount point of the JSON API. Handlers
// translate HTTP to calls into the capability packages and back; no rules live here.
package web

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/luoshi/luoshi/internal/api"
	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/config"
	"github.com/luoshi/luoshi/internal/jobs"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/metrics"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/project"
	"github.com/luoshi/luoshi/internal/rating"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/score"
	"github.com/luoshi/luoshi/internal/search"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/study"
	"github.com/luoshi/luoshi/internal/vault"
	"github.com/luoshi/luoshi/internal/warn"
)

//go:embed static
var staticFS embed.FS

// SessionCookie names the browser session cookie.
const SessionCookie = "luoshi_session"

// LangCookie remembers the chosen language.
const LangCookie = "luoshi_lang"

// Server serves everything on one port.
type Server struct {
	DB       *store.DB
	Cfg      *config.Config
	Policy   auth.Policy
	Log      *slog.Logger
	Metrics  *metrics.Metrics
	Ledger   *ledger.Ledger
	Reports  *report.Reports
	Ratings  *rating.Ratings
	Projects *project.Projects
	Score    *score.Scorer // 民标 (pages_score.go sets it when nil)
	Warn     *warn.Warner  // 形式主义预警 (pages_warn.go sets it when nil)
	Study    *study.Service
	Search   *search.Index
	// Activity tells the job runner whether requests are being served, so
	// that long background jobs make way for them (jobs.Pacer).
	Activity jobs.Activity

	mux    *http.ServeMux
	routes []string   // every registered pattern, for the route tests
	counts countCache // the 工作台 figures (pages_home.go)
}

// New builds a server. cfg supplies cookies, base URL and timeouts.
func New(db *store.DB, cfg *config.Config, log *slog.Logger) *Server {
	pol := auth.DefaultPolicy
	if cfg.IdleTimeout > 0 {
		pol.IdleTimeout = cfg.IdleTimeout
	}
	if cfg.AbsTimeout > 0 {
		pol.AbsoluteTimeout = cfg.AbsTimeout
	}
	pools := map[string]*sql.DB{"write": db.Write}
	if db.Read != db.Write {
		pools["read"] = db.Read
	}
	s := &Server{DB: db, Cfg: cfg, Policy: pol, Log: log, Metrics: metrics.New(pools), mux: http.NewServeMux(),
		Ledger: ledger.New(db, attach.NewOn(cfg.Files()))}
	// The reporting channel seals with the master key of the data folder (or
	// LUOSHI_MASTER_KEY); serve has checked it against the database already.
	s.Reports = report.New(db, cfg.AttachmentsDir(), nil, report.Scrubbed)
	s.Reports.Blobs = cfg.Files()
	s.Reports.Rules.PerDay = cfg.PublicPerDay
	if cfg.DataDir != "" || cfg.MasterKey != "" {
		if v, err := vault.LoadKey(cfg.DataDir, cfg.MasterKey); err != nil {
			log.Error("master key", "err", err)
		} else {
			s.Reports.Seal = report.VaultSealer{V: v}
		}
	}
	s.Ratings = rating.New(db, s.Ledger)
	s.Ratings.Limit = s.Reports.LimitPublic
	s.Projects = project.New(db, s.Ledger.Files)
	s.Projects.Tokens, s.Projects.Limit = s.Ratings, s.Reports.LimitPublic
	s.Study = study.New(db, s.Ledger.Files)
	s.Score = score.New(db)
	s.Score.Study = func(ctx context.Context, rootPath string, from, to time.Time) (map[int64]score.StudyCount, error) {
		return studyFigures(ctx, db.Read, rootPath, from, to)
	}
	s.Search = newSearch(s)
	s.Ledger.TextMatch = s.Search.ProblemMatch // the list's q through the search index
	s.handle("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", s.Metrics.Handler())
	s.routes = append(s.routes, "GET /metrics")
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	s.routes = append(s.routes, "GET /static/")
	s.registerPages()
	for _, r := range api.Register(s.mux, api.Deps{DB: db, Policy: pol, Log: log, Ledger: s.Ledger, Reports: s.Reports, Ratings: s.Ratings,
		Projects: s.Projects, Score: s.Score, Warn: s.Warn, Study: s.Study, Search: s.Search}) {
		s.routes = append(s.routes, r)
	}
	return s
}

// Routes lists every registered route pattern.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// handle registers a page or endpoint and remembers its pattern.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	s.routes = append(s.routes, pattern)
}

// Handler is the whole server with its middleware.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	// The mux records the matched pattern on the request it is given; copy it
	// out to the holder observe placed in the context, for per-route metrics.
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mux.ServeHTTP(w, r)
		if rh, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
			rh.pattern = r.Pattern
		}
	})
	h = s.authenticate(h)
	h = cop.Handler(h)
	h = securityHeaders(h)
	h = s.transport(h)
	h = s.observe(h)
	return h
}

// MaxBody caps every request body before any handler sees it; handlers set
// tighter limits of their own (1 MiB for JSON, 4 KiB for a receipt look-up).
// This one is the backstop for a handler that forgets: a form or JSON body
// may not exceed formBodyLimit, and only a multipart upload or a raw sheet
// may be as large as the largest legitimate upload (20 files of the
// attachment size limit).
const formBodyLimit = 2 << 20

func (s *Server) maxBody(r *http.Request) int64 {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data", "application/octet-stream", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		max := int64(attach.DefaultMaxSize)
		if s.Ledger.Files != nil && s.Ledger.Files.MaxSize > max {
			max = s.Ledger.Files.MaxSize
		}
		return 20*max + 1<<20
	}
	return formBodyLimit
}

// transport applies what depends on how the connection arrived: the body cap,
// HSTS when browsers reach us over HTTPS, and, behind a TLS proxy, the client
// address the proxy appended to X-Forwarded-For (the public reporting caps
// count per address; without this every reporter would share the proxy's).
func (s *Server) transport(next http.Handler) http.Handler {
	hsts := s.Cfg.TLS() || s.Cfg.BehindTLSProxy
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.maxBody(r) {
			// refused before a byte is read; the handler never runs
			w.Header().Set("Connection", "close")
			if strings.HasPrefix(r.URL.Path, "/api/") {
				api.WriteError(w, r, apperr.New(apperr.Invalid, "too_large", "", "err.harden.body_too_large"))
			} else {
				s.errorPage(w, r, http.StatusRequestEntityTooLarge)
			}
			return
		}
		refuse := func(status int) {
			switch {
			case !strings.HasPrefix(r.URL.Path, "/api/"):
				s.errorPage(w, r, status)
			case status == http.StatusRequestEntityTooLarge:
				api.WriteError(w, r, apperr.New(apperr.Invalid, "too_large", "", "err.harden.body_too_large"))
			default:
				api.WriteError(w, r, apperr.New(apperr.Invalid, "bad_request", "", "err.bad_request"))
			}
		}
		// PostgreSQL refuses NUL and bytes that are not UTF-8 in text (a 500
		// deep in a query) and SQLite would store them; no page, filter or
		// form field takes them
		if !cleanValues(r.URL.Query()) || !clean(r.URL.Path) {
			refuse(http.StatusBadRequest)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody(r))
		}
		// a plain form is read here, once, to check it (handlers read the
		// parsed form); multipart forms are read by the handlers, with their
		// own limits, and their text fields checked by the services
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" && r.Body != nil && r.Body != http.NoBody {
			if err := r.ParseForm(); err != nil {
				if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
					w.Header().Set("Connection", "close")
					refuse(http.StatusRequestEntityTooLarge)
				} else {
					refuse(http.StatusBadRequest)
				}
				return
			}
			if !cleanValues(r.PostForm) {
				refuse(http.StatusBadRequest)
				return
			}
		}
		if hsts {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		if s.Cfg.BehindTLSProxy {
			if ip := lastForwarded(r.Header.Values("X-Forwarded-For")); ip != "" {
				r.RemoteAddr = net.JoinHostPort(ip, "0")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clean reports whether v is valid UTF-8 without NUL.
func clean(v string) bool { return utf8.ValidString(v) && !strings.ContainsRune(v, 0) }

// cleanValues reports whether every key and value is clean.
func cleanValues(vals url.Values) bool {
	for k, vs := range vals {
		if !clean(k) {
			return false
		}
		for _, v := range vs {
			if !clean(v) {
				return false
			}
		}
	}
	return true
}

// lastForwarded is the last address in X-Forwarded-For: the one our own proxy
// appended. Earlier entries come from the client and may be forged.
func lastForwarded(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	last := vals[len(vals)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	ip := net.ParseIP(strings.TrimSpace(last))
	if ip == nil {
		return ""
	}
	return ip.String()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

type routeKey struct{}

type routeHolder struct{ pattern string }

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe records metrics, logs the request (method, route, status, time: never
// the client address, query string or body) and turns a panic into a 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// monitoring (health checks, metrics scrapes) is not load the jobs
		// need to make way for
		if p := r.URL.Path; p != "/healthz" && p != "/metrics" {
			s.Activity.Begin()
			defer s.Activity.End()
		}
		sw := &statusWriter{ResponseWriter: w}
		rh := &routeHolder{}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, rh))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic", "route", rh.pattern, "err", v)
				if sw.code == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			s.Metrics.ObserveRequest(rh.pattern, r.Method, sw.code, d)
			if sw.code >= 500 {
				s.Log.Warn("request", "method", r.Method, "route", rh.pattern, "status", sw.code, "ms", d.Milliseconds())
			} else {
				s.Log.Debug("request", "method", r.Method, "route", rh.pattern, "status", sw.code, "ms", d.Milliseconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// No third-party origin anywhere: every asset is embedded.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		// no page needs any powerful feature: deny them all, so injected
		// content could not use them either
		h.Set("Permissions-Policy", "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "+
			"magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), screen-wake-lock=(), usb=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves a Bearer token or the session cookie to a principal.
// A bad Bearer token is refused at once (only API clients send one); a stale
// cookie is cleared and the request goes on anonymous.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				api.WriteError(w, r, apperr.New(apperr.Unauthorized, "malformed_token", "", "err.token.malformed"))
				return
			}
			uid, tid, err := auth.AuthenticateToken(ctx, s.DB, strings.TrimSpace(tok))
			if err == nil {
				var p *org.Principal
				if p, err = org.CachedPrincipal(ctx, s.DB, uid); err == nil {
					p.TokenID = tid
					next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(ctx, p, nil)))
					return
				}
			}
			if apperr.As(err) == nil {
				s.Log.Error("token authentication", "err", err)
				err = apperr.New(apperr.Unavailable, "unavailable", "", "err.unavailable")
			}
			api.WriteError(w, r, err)
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			sess, err := auth.Authenticate(ctx, s.DB, s.Policy, c.Value)
			switch {
			case err == nil && sess.Stage == auth.StageFull:
				p, perr := org.CachedPrincipal(ctx, s.DB, sess.UserID)
				if perr == nil {
					ctx = auth.WithPrincipal(ctx, p, sess)
				} else {
					s.clearSession(w)
				}
			case err == nil:
				ctx = auth.WithPrincipal(ctx, nil, sess)
			case apperr.As(err) != nil:
				s.clearSession(w)
			default:
				s.Log.Error("session lookup", "err", err)
				if strings.HasPrefix(r.URL.Path, "/api/") {
					api.WriteError(w, r, apperr.New(apperr.Unavailable, "unavailable", "", "err.unavailable"))
				} else {
					s.errorPage(w, r, http.StatusServiceUnavailable)
				}
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// setSession sets the session cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS.
func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Cfg.SecureCookies, MaxAge: int(s.Policy.AbsoluteTimeout.Seconds())})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Cfg.SecureCookies, MaxAge: -1})
}

// isUnavailable reports whether err means the database cannot be reached.
func isUnavailable(err error) bool {
	return err != nil && apperr.As(err) == nil && !errors.Is(err, context.Canceled)
}

// studyFigures feeds the scorecard's study part (学习教育: reflections due,
// handed in on time, and original) from the study module.
func studyFigures(ctx context.Context, q store.Queryer, rootPath string, from, to time.Time) (map[int64]score.StudyCount, error) {
	m, err := study.UnitFigures(ctx, q, rootPath, from, to)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]score.StudyCount, len(m))
	for id, c := range m {
		out[id] = score.StudyCount(c)
	}
	return out, nil
}
