// Package demo loads a realistic, plainly invented data set: the fictional
// 青禾省 (Qinghe province) political-legal committee with 2 cities, 3 counties
// each, and in every county a court, a procuratorate, a public security bureau
// and a justice bureau with departments and people in every role, plus records
// in every state that exists so far. Extend it as capabilities land.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
)

// Password is the password of every demo account.
const Password = "demo-2026"

// Login is one demo account worth printing.
type Login struct {
	Username, Role, Unit, Note string
}

type county struct{ code, name string }

var cities = []struct {
	code, name string
	counties   []county
}{
	{"mc", "明川市", []county{{"dc", "东城区"}, {"xc", "西城县"}, {"ns", "南山县"}}},
	{"yl", "云岭市", []county{{"bh", "北湖区"}, {"ty", "桃源县"}, {"sq", "石桥县"}}},
}

var organs = []struct {
	code, suffix string
	depts        []string
}{
	{"fy", "人民法院", []string{"立案庭", "刑事审判庭", "执行局"}},
	{"jc", "人民检察院", []string{"第一检察部", "控告申诉检察部"}},
	{"ga", "公安局", []string{"治安管理大队", "刑事侦查大队", "城关派出所"}},
	{"sf", "司法局", []string{"社区矫正科", "法律援助中心"}},
}

// invented names: surname + given name drawn in turn, so no real person is meant
var surnames = []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜")
var given = []string{"明远", "晓峰", "思源", "雅琴", "志强", "慧敏", "国栋", "春燕", "建华", "丽萍", "文博", "海燕",
	"永刚", "秀兰", "振宇", "晓雯", "立新", "桂芳", "宏伟", "静怡", "子涵", "浩然", "若溪", "嘉树"}

type builder struct {
	ctx   context.Context
	tx    *sql.Tx
	hash  string
	n     int
	sys   *org.Principal
	count struct{ units, users int }
}

func (b *builder) name() string {
	s := string(surnames[b.n%len(surnames)]) + given[(b.n/len(surnames)+b.n)%len(given)]
	b.n++
	return s
}

func (b *builder) unit(code, name, kind, parent string) error {
	_, err := org.CreateUnitTx(b.ctx, b.tx, b.sys, org.UnitInput{Code: code, Name: name, Kind: kind, ParentCode: parent})
	b.count.units++
	return err
}

func (b *builder) user(username, unit string, roles ...org.RoleGrant) error {
	_, err := org.CreateUserTx(b.ctx, b.tx, nil, org.UserInput{Username: username, Name: b.name(), UnitCode: unit,
		Roles: roles, PasswordHash: b.hash}, true)
	b.count.users++
	return err
}

func role(r org.Role, scope ...string) org.RoleGrant {
	g := org.RoleGrant{Role: string(r)}
	if len(scope) > 0 {
		g.ScopeCode = scope[0]
	}
	return g
}

// Loaded reports whether the database already holds people (the demo loads
// only into an empty database).
func Loaded(ctx context.Context, db *store.DB) (bool, error) {
	n, err := org.CountUsers(ctx, db.Read)
	return n > 0, err
}

// Load fills an empty database with the demo. adminPassword, when set,
// replaces the demo password for the admin account.
func Load(ctx context.Context, db *store.DB, adminPassword string) ([]Login, error) {
	b := &builder{ctx: ctx, hash: password.Hash(Password), sys: org.SystemPrincipal()}
	adminHash := b.hash
	if adminPassword != "" {
		adminHash = password.Hash(adminPassword)
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		b.tx = tx
		if n, err := org.CountUsers(ctx, tx); err != nil || n > 0 {
			if err == nil {
				err = fmt.Errorf("the database already holds people: the demo loads only into an empty database")
			}
			return err
		}
		steps := []func() error{
			func() error { return b.unit("qh", "青禾省委政法委", "province", "") },
			func() error { return b.unit("qh-dc", "省委政法委督察室", "department", "qh") },
			func() error { return b.unit("qh-jj", "驻省委政法委纪检监察组", "department", "qh") },
			func() error { return b.unit("qh-zz", "省委政法委政治部", "department", "qh") },
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return err
			}
		}
		_, err := org.CreateUserTx(ctx, tx, nil, org.UserInput{Username: "admin", Name: "系统管理员", UnitCode: "qh",
			Roles: []org.RoleGrant{role(org.RoleAdmin)}, PasswordHash: adminHash}, true)
		if err != nil {
			return err
		}
		b.count.users++
		for _, u := range []struct {
			name, unit string
			roles      []org.RoleGrant
		}{
			{"qh-leader", "qh", []org.RoleGrant{role(org.RoleLeader)}},
			{"qh-deputy", "qh", []org.RoleGrant{role(org.RoleDeputy)}},
			{"inspector", "qh-dc", []org.RoleGrant{role(org.RoleInspector, "qh")}},
			{"discipline", "qh-jj", []org.RoleGrant{role(org.RoleDiscipline, "qh")}},
			{"qh-officer", "qh-zz", []org.RoleGrant{role(org.RoleOfficer)}},
		} {
			if err := b.user(u.name, u.unit, u.roles...); err != nil {
				return err
			}
		}
		for _, c := range cities {
			if err := b.unit(c.code, c.name+"委政法委", "city", "qh"); err != nil {
				return err
			}
			if err := b.unit(c.code+"-dck", c.name+"委政法委督察科", "department", c.code); err != nil {
				return err
			}
			if err := b.user(c.code+"-leader", c.code, role(org.RoleLeader)); err != nil {
				return err
			}
			if err := b.user(c.code+"-inspector", c.code+"-dck", role(org.RoleInspector, c.code)); err != nil {
				return err
			}
			if err := b.user(c.code+"-discipline", c.code, role(org.RoleDiscipline, c.code)); err != nil {
				return err
			}
			for _, k := range c.counties {
				kc := c.code + "-" + k.code
				if err := b.unit(kc, k.name+"委政法委", "county", c.code); err != nil {
					return err
				}
				if err := b.user(kc+"-leader", kc, role(org.RoleLeader)); err != nil {
					return err
				}
				if err := b.user(kc+"-inspector", kc, role(org.RoleInspector)); err != nil {
					return err
				}
				for _, o := range organs {
					oc := kc + "-" + o.code
					if err := b.unit(oc, k.name+o.suffix, "organ", kc); err != nil {
						return err
					}
					// the first county court gets the short, printed logins
					featured := kc == "mc-dc" && o.code == "fy"
					un := func(suffix, short string) string {
						if featured {
							return short
						}
						return oc + "-" + suffix
					}
					if err := b.user(un("leader", "leader"), oc, role(org.RoleLeader)); err != nil {
						return err
					}
					if err := b.user(un("deputy", "deputy"), oc, role(org.RoleDeputy)); err != nil {
						return err
					}
					for i, d := range o.depts {
						dc := fmt.Sprintf("%s-%d", oc, i+1)
						if err := b.unit(dc, d, "department", oc); err != nil {
							return err
						}
						h := fmt.Sprintf("%s-h%d", oc, i+1)
						if featured && i == 0 {
							h = "handler"
						}
						if err := b.user(h, dc, role(org.RoleHandler), role(org.RoleOfficer)); err != nil {
							return err
						}
						for j := 1; j <= 2; j++ {
							o := fmt.Sprintf("%s-o%d", dc, j)
							if featured && i == 0 && j == 1 {
								o = "officer"
							}
							if err := b.user(o, dc, role(org.RoleOfficer)); err != nil {
								return err
							}
						}
					}
				}
			}
		}
		// records in other states: a closed department, a disabled account, an
		// account that must change its password
		if err := b.unit("mc-dc-sf-9", "原人民调解科(已撤销)", "department", "mc-dc-sf"); err != nil {
			return err
		}
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE units SET closed_at = $1 WHERE code = 'mc-dc-sf-9'`, now); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "unit.close", ObjectType: "unit", ObjectID: "mc-dc-sf-9"}); err != nil {
			return err
		}
		if err := b.user("retired", "mc-dc-fy-1", role(org.RoleOfficer)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1 WHERE username = 'retired'`, now); err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "user.update", ObjectType: "user",
			ObjectID: "retired", Detail: map[string]any{"disabled": true}}); err != nil {
			return err
		}
		if err := b.user("newcomer", "mc-dc-fy-2", role(org.RoleOfficer)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET must_change_pw = 1 WHERE username = 'newcomer'`); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Event{Actor: audit.System, Action: "system.demo_loaded", ObjectType: "demo",
			ObjectID: "qh", Detail: map[string]any{"units": b.count.units, "users": b.count.users}})
		return err
	})
	if err != nil {
		return nil, err
	}
	// second factor required for the sensitive roles, as the issue asks of the demo
	if err := auth.SetRequiredTOTPRoles(ctx, db, nil, []string{string(org.RoleAdmin), string(org.RoleDiscipline)}); err != nil {
		return nil, err
	}
	// a few failed sign-ins, and a locked account, so the audit trail and the
	// lockout are visible
	for i := 0; i < auth.DefaultPolicy.MaxFailures; i++ {
		auth.Login(ctx, db, auth.DefaultPolicy, "yl-ty-ga-h1", "wrong-password")
	}
	auth.Login(ctx, db, auth.DefaultPolicy, "nobody", "guess")
	if _, _, err := auth.CreateToken(ctx, db, nil, "handler", "示例集成令牌"); err != nil {
		return nil, err
	}
	pw := Password
	if adminPassword != "" {
		pw = "(LUOSHI_ADMIN_PASSWORD)"
	}
	return []Login{
		{"admin", "admin 系统管理员", "青禾省委政法委", "password " + pw + "; sets up two-factor sign-in on first login"},
		{"inspector", "inspector 督察 (whole province)", "省委政法委督察室", ""},
		{"discipline", "discipline 纪检 (whole province)", "驻省委政法委纪检监察组", "sets up two-factor sign-in on first login"},
		{"mc-inspector", "inspector 督察 (明川市)", "明川市委政法委督察科", ""},
		{"leader", "leader 第一责任人", "东城区人民法院", ""},
		{"deputy", "deputy 直接负责人", "东城区人民法院", ""},
		{"handler", "handler 承办人 + officer", "东城区人民法院立案庭", ""},
		{"officer", "officer 干警", "东城区人民法院立案庭", ""},
		{"newcomer", "officer 干警", "东城区人民法院刑事审判庭", "must change the password at first login"},
		{"yl-ty-ga-h1", "handler 承办人", "桃源县公安局", "locked after failed sign-ins (15 minutes)"},
	}, nil
}

// Print writes the demo logins as a table.
func Print(w interface{ Write([]byte) (int, error) }, base string, logins []Login) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nDemo data loaded (青禾省, invented). Open %s/ and sign in with one of:\n\n", base)
	fmt.Fprintf(&sb, "  %-14s %-34s %s\n", "username", "role", "unit")
	for _, l := range logins {
		fmt.Fprintf(&sb, "  %-14s %-34s %s", l.Username, l.Role, l.Unit)
		if l.Note != "" {
			fmt.Fprintf(&sb, "  (%s)", l.Note)
		}
		sb.WriteString("\n")
	}
	fmt.Fprintf(&sb, "\nEvery demo account's password is %q.\n", Password)
	fmt.Fprintf(&sb, "The public pages need no account: %s/report (report a problem), %s/report/lookup (follow one),\n"+
		"%s/transparency (figures), %s/projects (projects for the people, ratings).\n\n", base, base, base, base)
	w.Write([]byte(sb.String()))
}

// principal loads a demo user's principal by username.
func principal(ctx context.Context, db *store.DB, username string) (*org.Principal, error) {
	u, err := org.UserByUsername(ctx, db.Read, username)
	if err != nil {
		return nil, fmt.Errorf("demo user %s: %w", username, err)
	}
	return org.LoadPrincipal(ctx, db.Read, u.ID)
}
