// Package benchdata fills an empty, migrated database with a large, plainly
// invented organisation: a province with cities, counties, organs (政法委,
// court, procuratorate, public security, justice), departments and police
// posts, and people in realistic role mixes. It writes plain SQL in big
// transactions (the per-row code paths would take hours at 200,000 people) and
// gives every person the same password hash, computed once.
package benchdata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
)

// Password is the password of every generated person.
const Password = "bench-2026-secret"

// Config says how much to generate.
type Config struct {
	Units    int // total units (at least MinUnits)
	People   int // total people, bench accounts included
	Accounts int // bench login accounts bench-0001..; 0 = 200
	// Hash is the password hash every person gets; empty = password.Hash(Password).
	// Tests pass a cheaper one.
	Hash     string
	Progress io.Writer // optional progress lines
}

// MinUnits is the smallest tree with every level (province to police post).
const MinUnits = 20

// Account is a bench login account.
type Account struct {
	Username string
	Role     string
	UnitCode string
	Depth    int
}

// Result describes what was generated.
type Result struct {
	Units, People, Roles int
	MaxDepth             int
	Accounts             []Account
	Elapsed              time.Duration
}

// ErrNotEmpty is returned for a database that already holds units or people.
var ErrNotEmpty = errors.New("benchdata: the database is not empty; bench data goes into a fresh database only (remove the data folder or drop and recreate the PostgreSQL database)")

type unit struct {
	id, parent int64
	code, name string
	kind       string // province, city, county, organ, department
	organ      string // zfw, fy, jc, ga, sf for organs and what is below them
	path       string
	depth      int
	sort       int
}

type person struct {
	username, name string
	unit           int64
	roles          []grant
}

type grant struct {
	role  string
	scope int64
}

var organKinds = []struct{ code, suffix string }{
	{"zfw", "委政法委"}, {"fy", "人民法院"}, {"jc", "人民检察院"}, {"ga", "公安局"}, {"sf", "司法局"},
}

var deptNames = map[string][]string{
	"zfw": {"办公室", "执法监督科", "维稳指导科", "队伍建设科", "综治督导科"},
	"fy":  {"立案庭", "刑事审判庭", "民事审判庭", "行政审判庭", "执行局", "审判管理办公室", "政治部", "司法警察支队"},
	"jc":  {"第一检察部", "第二检察部", "第三检察部", "控告申诉检察部", "案件管理中心", "政治部"},
	"ga":  {"城关派出所", "治安管理大队", "刑事侦查大队", "交通警察大队", "经济犯罪侦查大队", "指挥中心", "禁毒大队", "网络安全保卫大队"},
	"sf":  {"社区矫正科", "法律援助中心", "人民调解科", "公共法律服务科", "普法宣传科"},
}

// invented place names from two syllables, so no real city is meant
var placeA = []rune("明云青石桃北南东西临安长新永丰河泉松")
var placeB = []rune("川岭禾桥源湖山阳城平江宁溪林水州")

var surnames = []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏窦章苏潘葛范彭郎鲁韦马苗方俞任袁柳鲍史唐费薛雷贺倪汤")
var given = []string{"明远", "晓峰", "思源", "雅琴", "志强", "慧敏", "国栋", "春燕", "建华", "丽萍", "文博", "海燕",
	"永刚", "秀兰", "振宇", "晓雯", "立新", "桂芳", "宏伟", "静怡", "子涵", "浩然", "若溪", "嘉树", "伟", "芳", "军", "磊", "敏", "静"}

func place(i int) string {
	return string(placeA[i%len(placeA)]) + string(placeB[(i/len(placeA)+i*7)%len(placeB)])
}

type gen struct {
	rnd      *rand.Rand
	units    []*unit
	byDepth  map[int][]*unit
	organs   []*unit
	depts    []*unit // departments and police posts
	cities   []*unit
	province *unit
	people   []person
	nPerson  int
}

func (g *gen) add(parent *unit, code, name, kind, organ string) *unit {
	u := &unit{id: int64(len(g.units) + 1), code: code, name: name, kind: kind, organ: organ}
	if parent != nil {
		u.parent, u.path, u.depth = parent.id, parent.path, parent.depth+1
	} else {
		u.path, u.depth = "/", 1
	}
	u.path += strconv.FormatInt(u.id, 10) + "/"
	g.units = append(g.units, u)
	g.byDepth[u.depth] = append(g.byDepth[u.depth], u)
	switch kind {
	case "organ":
		g.organs = append(g.organs, u)
	case "department":
		g.depts = append(g.depts, u)
	case "city":
		g.cities = append(g.cities, u)
	}
	return u
}

// shape returns the number of cities and counties per city for n units: the
// 20,000-unit tree has 16 cities of 10 counties, smaller trees shrink.
func shape(n int) (cities, counties int) {
	cities = max(1, n/1250)
	counties = max(1, min(10, n/cities/125))
	return
}

// tree builds the units in depth-first order, so a parent's id is always smaller
// than its children's and a subtree's ids are contiguous.
func (g *gen) tree(n int) {
	cities, counties := shape(n)
	territories := 1 + cities + cities*counties
	organs := territories * len(organKinds)
	deptBudget := n - territories - organs
	if deptBudget < 0 {
		deptBudget = 0
	}
	// departments (and police posts under 派出所) per organ, spread evenly
	share := func(i int) int {
		s := deptBudget / organs
		if i < deptBudget%organs {
			s++
		}
		return s
	}
	organIdx := 0
	addOrgans := func(terr *unit, prefix string) {
		for _, ok := range organKinds {
			o := g.add(terr, terr.code+"-"+ok.code, prefix+ok.suffix, "organ", ok.code)
			s := share(organIdx)
			organIdx++
			names := deptNames[ok.code]
			if ok.code == "ga" {
				// a third are 派出所, each with 警务室 below: the deepest units (depth 6 at county level)
				stations := (s + 2) / 3
				posts := s - stations
				for d := 0; d < stations; d++ {
					st := g.add(o, fmt.Sprintf("%s-p%03d", o.code, d+1), place(d+organIdx)+"派出所", "department", ok.code)
					per := posts / stations
					if d < posts%stations {
						per++
					}
					for k := 0; k < per; k++ {
						g.add(st, fmt.Sprintf("%s-w%02d", st.code, k+1), place(k+d*3)+"警务室", "department", ok.code)
					}
				}
				continue
			}
			for d := 0; d < s; d++ {
				name := names[d%len(names)]
				if d >= len(names) {
					name = fmt.Sprintf("%s第%d组", name, d/len(names)+1)
				}
				g.add(o, fmt.Sprintf("%s-d%03d", o.code, d+1), name, "department", ok.code)
			}
		}
	}
	g.province = g.add(nil, "qh", "青禾省", "province", "")
	addOrgans(g.province, "青禾省")
	for c := 0; c < cities; c++ {
		cn := place(c) + "市"
		city := g.add(g.province, fmt.Sprintf("c%02d", c+1), cn, "city", "")
		addOrgans(city, cn)
		for k := 0; k < counties; k++ {
			kn := place(c*counties+k+5) + []string{"区", "县"}[k%2]
			county := g.add(city, fmt.Sprintf("%s-k%02d", city.code, k+1), kn, "county", "")
			addOrgans(county, kn)
		}
	}
	// sibling order for display
	next := map[int64]int{}
	for _, u := range g.units {
		u.sort = next[u.parent]
		next[u.parent]++
	}
}

func (g *gen) name() string {
	s := string(surnames[g.rnd.IntN(len(surnames))])
	return s + given[g.rnd.IntN(len(given))]
}

func (g *gen) person(username string, u *unit, roles ...grant) {
	g.people = append(g.people, person{username: username, name: g.name(), unit: u.id, roles: roles})
}

func (g *gen) nextUsername() string {
	g.nPerson++
	return fmt.Sprintf("u%06d", g.nPerson)
}

// cityOf returns the city unit above u (the province when u is at province level).
func (g *gen) cityOf(u *unit) *unit {
	parts := strings.Split(strings.Trim(u.path, "/"), "/")
	if len(parts) < 2 {
		return g.province
	}
	id, _ := strconv.Atoi(parts[1])
	c := g.units[id-1]
	if c.kind != "city" {
		return g.province
	}
	return c
}

// staff fills in the people: the fixed posts first (leaders, deputies,
// handlers, inspectors, discipline, admins), then officers spread over the
// departments until the budget is spent. The bench accounts come first.
func (g *gen) staff(total, accounts int) []Account {
	budget := func() bool { return len(g.people) < total }
	// bench accounts at varying depths and roles
	var accs []Account
	zfwOf := func(terr *unit) *unit {
		for _, o := range g.organs {
			if o.parent == terr.id && o.organ == "zfw" {
				return o
			}
		}
		return terr
	}
	for i := 0; i < accounts && budget(); i++ {
		name := fmt.Sprintf("bench-%04d", i+1)
		var u *unit
		var gr grant
		switch {
		case i%50 == 19: // province inspector: the widest read scope
			u = zfwOf(g.province)
			gr = grant{"inspector", g.province.id}
		case i%50 == 49: // city administrator
			c := g.cities[i%len(g.cities)]
			u = zfwOf(c)
			gr = grant{"admin", c.id}
		case i%10 == 9: // city inspector
			c := g.cities[i%len(g.cities)]
			u = zfwOf(c)
			gr = grant{"inspector", c.id}
		case i%10 == 7:
			u = g.organs[g.rnd.IntN(len(g.organs))]
			gr = grant{"leader", u.id}
		case i%10 == 8:
			u = g.organs[g.rnd.IntN(len(g.organs))]
			gr = grant{"deputy", u.id}
		case i%10 == 6:
			u = g.depts[g.rnd.IntN(len(g.depts))]
			gr = grant{"handler", u.id}
		default: // officers, half of them in the deepest units
			if i%2 == 0 && len(g.byDepth[6]) > 0 {
				d6 := g.byDepth[6]
				u = d6[g.rnd.IntN(len(d6))]
			} else {
				u = g.depts[g.rnd.IntN(len(g.depts))]
			}
			gr = grant{"officer", u.id}
		}
		g.person(name, u, gr)
		accs = append(accs, Account{Username: name, Role: gr.role, UnitCode: u.code, Depth: u.depth})
	}
	// fixed posts
	if budget() {
		g.person(g.nextUsername(), zfwOf(g.province), grant{"admin", g.province.id})
	}
	for _, terr := range append([]*unit{g.province}, g.cities...) {
		z := zfwOf(terr)
		n := 4
		if terr == g.province {
			n = 6
		}
		for k := 0; k < n && budget(); k++ {
			g.person(g.nextUsername(), z, grant{"inspector", terr.id})
		}
		for k := 0; k < 2 && budget(); k++ {
			g.person(g.nextUsername(), z, grant{"discipline", terr.id})
		}
		if terr != g.province && budget() {
			g.person(g.nextUsername(), z, grant{"admin", terr.id})
		}
	}
	for _, o := range g.organs {
		if !budget() {
			break
		}
		g.person(g.nextUsername(), o, grant{"leader", o.id}, grant{"officer", o.id})
		for k := 0; k < 2 && budget(); k++ {
			g.person(g.nextUsername(), o, grant{"deputy", o.id}, grant{"officer", o.id})
		}
	}
	for _, d := range g.depts {
		if !budget() {
			break
		}
		g.person(g.nextUsername(), d, grant{"handler", d.id}, grant{"officer", d.id})
	}
	// officers: departments get most, organs a few; sizes vary
	places := append(append([]*unit(nil), g.depts...), g.organs...)
	for len(g.people) < total && len(places) > 0 {
		u := places[g.rnd.IntN(len(places))]
		g.person(g.nextUsername(), u, grant{"officer", u.id})
	}
	return accs
}

// Generate fills db (migrated, empty) with cfg.Units units and cfg.People people.
func Generate(ctx context.Context, db *store.DB, cfg Config) (*Result, error) {
	start := time.Now()
	if cfg.Units < MinUnits {
		return nil, fmt.Errorf("benchdata: at least %d units are needed, got %d", MinUnits, cfg.Units)
	}
	if cfg.Accounts == 0 {
		cfg.Accounts = 200
	}
	if cfg.People < cfg.Accounts {
		return nil, fmt.Errorf("benchdata: %d people cannot hold %d bench accounts", cfg.People, cfg.Accounts)
	}
	var nu, np int
	if err := db.Read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM units), (SELECT COUNT(*) FROM users)`).Scan(&nu, &np); err != nil {
		return nil, fmt.Errorf("benchdata: is the database migrated? %w", err)
	}
	if nu > 0 || np > 0 {
		return nil, fmt.Errorf("%w (found %d units, %d people)", ErrNotEmpty, nu, np)
	}
	progress := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%6.1fs  "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
		}
	}
	g := &gen{rnd: rand.New(rand.NewPCG(2026, 2)), byDepth: map[int][]*unit{}}
	g.tree(cfg.Units)
	accs := g.staff(cfg.People, cfg.Accounts)
	progress("planned %d units, %d people", len(g.units), len(g.people))
	hash := cfg.Hash
	if hash == "" {
		hash = password.Hash(Password)
	}
	now := store.Now()
	roles := 0
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		rows := make([][]any, 0, len(g.units))
		for _, u := range g.units {
			var parent any
			if u.parent != 0 {
				parent = u.parent
			}
			rows = append(rows, []any{u.id, u.code, u.name, u.kind, parent, u.path, u.depth, u.sort, now, now})
		}
		if err := insert(ctx, tx, db.Dialect, "units", "id, code, name, kind, parent_id, path, depth, sort, created_at, updated_at", rows); err != nil {
			return err
		}
		progress("units written")
		rows = rows[:0]
		var grants [][]any
		for i, p := range g.people {
			id := int64(i + 1)
			rows = append(rows, []any{id, p.username, p.name, p.unit, hash, now, now, now})
			for _, r := range p.roles {
				grants = append(grants, []any{id, r.role, r.scope})
			}
		}
		if err := insert(ctx, tx, db.Dialect, "users", "id, username, name, unit_id, password_hash, password_changed_at, created_at, updated_at", rows); err != nil {
			return err
		}
		progress("people written")
		if err := insert(ctx, tx, db.Dialect, "user_roles", "user_id, role, scope_unit_id", grants); err != nil {
			return err
		}
		roles = len(grants)
		progress("roles written")
		if db.Dialect == store.Postgres {
			// ids were given explicitly: move the identity sequences past them
			for _, t := range []string{"units", "users"} {
				if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
					return fmt.Errorf("reset %s id sequence: %w", t, err)
				}
			}
		}
		_, err := audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "system.bench_data", ObjectType: "system",
			ObjectID: "bench", Detail: map[string]any{"units": len(g.units), "people": len(g.people), "accounts": len(accs)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if db.Dialect == store.Postgres {
		// autovacuum would vacuum and analyse the new tables within a minute or
		// two; do it now so the first measurements see real statistics and a set
		// visibility map (index-only scans), not a vacuum running underneath
		for _, t := range []string{"units", "users", "user_roles"} {
			if _, err := db.Write.ExecContext(ctx, `VACUUM ANALYZE `+t); err != nil {
				return nil, err
			}
		}
	}
	progress("done")
	maxDepth := 0
	for d := range g.byDepth {
		maxDepth = max(maxDepth, d)
	}
	return &Result{Units: len(g.units), People: len(g.people), Roles: roles, MaxDepth: maxDepth,
		Accounts: accs, Elapsed: time.Since(start)}, nil
}

// insert writes rows with multi-row INSERTs, well under both engines' limit on
// bound parameters per statement. SQLite gets anonymous "?" parameters: it
// treats "$N" as named parameters and looks each name up in a list, which is
// quadratic in a statement with thousands of them.
func insert(ctx context.Context, tx *sql.Tx, d store.Dialect, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	batch := max(1, 4000/width)
	for lo := 0; lo < len(rows); lo += batch {
		hi := min(lo+batch, len(rows))
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		args := make([]any, 0, (hi-lo)*width)
		for i, r := range rows[lo:hi] {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for j := range r {
				if j > 0 {
					sb.WriteByte(',')
				}
				args = append(args, r[j])
				if d == store.SQLite {
					sb.WriteByte('?')
				} else {
					sb.WriteString("$" + strconv.Itoa(len(args)))
				}
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}
