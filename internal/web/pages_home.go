package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
)

// Todo is one card on the 工作台: something the signed-in person should do or
// know. Texts are already translated.
type Todo struct {
	Level string // "warn" or "info": the card's colour
	Title string
	Body  string
	Link  string
	Label string // the link's text
}

// TodoSource contributes cards to the 工作台. Later capabilities (the ledger,
// leads, reports...) append their own source to todoSources; a source returns
// only real, current items for p.
type TodoSource func(ctx context.Context, s *Server, pg *page, p *org.Principal) ([]Todo, error)

var todoSources = []TodoSource{accountTodos}

// accountTodos: the person's own account needs attention.
func accountTodos(ctx context.Context, s *Server, pg *page, p *org.Principal) ([]Todo, error) {
	var out []Todo
	if sess := auth.SessionFrom(ctx); sess != nil && sess.MustChangePW {
		out = append(out, Todo{Level: "warn", Title: pg.T("ui.todo.change_pw"), Body: pg.T("ui.todo.change_pw_body"),
			Link: "/account/password", Label: pg.T("ui.todo.change_pw_link")})
	}
	if !p.TOTPEnabled && recommendTOTP(p) {
		out = append(out, Todo{Level: "warn", Title: pg.T("ui.todo.totp"), Body: pg.T("ui.todo.totp_body"),
			Link: "/login/totp/setup", Label: pg.T("ui.todo.totp_link")})
	}
	return out, nil
}

// recommendTOTP: people who manage others or see oversight data should use a
// second factor even where it is not required.
func recommendTOTP(p *org.Principal) bool {
	return p.Has(org.RoleAdmin) || p.Has(org.RoleInspector) || p.Has(org.RoleDiscipline) || p.Has(org.RoleLeader)
}

type workbenchData struct {
	Todos  []Todo
	Units  int
	People int
	Events []auditRow
	Ledger *ledgerHome // the ledger's block (pages_ledger.go)
}

func (s *Server) workbench(w http.ResponseWriter, r *http.Request, p *org.Principal) {
	ctx := r.Context()
	pg := s.newPage(r, "ui.nav.home", "home")
	var d workbenchData
	for _, src := range todoSources {
		cards, err := src(ctx, s, pg, p)
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		d.Todos = append(d.Todos, cards...)
	}
	var err error
	if d.Units, d.People, err = s.counts.get(ctx, s.DB, p); err != nil {
		s.failPage(w, r, err)
		return
	}
	if pg.CanAudit {
		entries, err := audit.List(ctx, s.DB, auditScope(p, audit.Filter{Limit: 10}))
		if err != nil {
			s.failPage(w, r, err)
			return
		}
		if d.Events, err = s.auditRows(ctx, entries); err != nil {
			s.failPage(w, r, err)
			return
		}
	}
	d.Ledger = s.ledgerWorkbench(ctx, p)
	pg.D = d
	s.render(w, r, http.StatusOK, "home", pg)
}

// countCache keeps the 工作台 figures per reach for a while: counting the
// people of a province (200,000 rows) costs more than the rest of the page.
// An entry is dropped as soon as this process changes a unit or a person
// (org.TreeVersion), and after countTTL in any case, for changes made by
// another node.
type countCache struct {
	mu sync.Mutex
	m  map[string]countEntry
}

type countEntry struct {
	units, people int
	version       int64
	at            time.Time
}

const (
	countTTL      = 30 * time.Second
	countCacheMax = 4096 // distinct reaches kept; the map starts over beyond
)

func (c *countCache) get(ctx context.Context, db *store.DB, p *org.Principal) (units, people int, err error) {
	key := strings.Join(org.ScopePaths(p, org.UnitRead), ",") + "|" + strings.Join(org.ScopePaths(p, org.UserRead), ",")
	v := org.TreeVersion()
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && e.version == v && time.Since(e.at) < countTTL {
		return e.units, e.people, nil
	}
	if units, people, err = org.CountInScope(ctx, db, p); err != nil {
		return 0, 0, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= countCacheMax {
		c.m = map[string]countEntry{}
	}
	c.m[key] = countEntry{units: units, people: people, version: v, at: time.Now()}
	c.mu.Unlock()
	return units, people, nil
}
