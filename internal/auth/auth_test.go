package auth_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestMain(m *testing.M) {
	org.HashCost = password.Params{Memory: 1024, Time: 1, Threads: 1}
	os.Exit(m.Run())
}

var ctx = context.Background()

const pw = "correct-horse-9"

// pol locks after three failures so the tests stay short.
var pol = auth.Policy{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 12 * time.Hour, MaxFailures: 3, LockFor: 15 * time.Minute}

// fixture: 广东省 (gd) with a city (gz) and a court below it; root admin, city
// admin, a discipline inspector and two officers.
func fixture(t *testing.T, db *store.DB) {
	t.Helper()
	setup := &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}
	for _, u := range []org.UnitInput{
		{Code: "gd", Name: "广东省", Kind: "province"},
		{Code: "gz", Name: "广州市", Kind: "city", ParentCode: "gd"},
		{Code: "gz-court", Name: "广州市中级人民法院", Kind: "organ", ParentCode: "gz"},
	} {
		if _, err := org.CreateUnit(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []org.UserInput{
		{Username: "root", Name: "省管理员", UnitCode: "gd", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "cityadmin", Name: "市管理员", UnitCode: "gz", Roles: []org.RoleGrant{{Role: "admin"}}},
		{Username: "jijian", Name: "纪检", UnitCode: "gz-court", Roles: []org.RoleGrant{{Role: "discipline", ScopeCode: "gz"}}},
		{Username: "alice", Name: "干警甲", UnitCode: "gz-court", Roles: []org.RoleGrant{{Role: "officer"}}},
		{Username: "bob", Name: "干警乙", UnitCode: "gz-court", Roles: []org.RoleGrant{{Role: "officer"}}},
	} {
		u.Password = pw
		if _, err := org.CreateUser(ctx, db, setup, u); err != nil {
			t.Fatal(err)
		}
	}
}

func principal(t *testing.T, db *store.DB, username string) *org.Principal {
	t.Helper()
	u, err := org.UserByUsername(ctx, db.Read, username)
	if err != nil {
		t.Fatal(err)
	}
	p, err := org.LoadPrincipal(ctx, db.Read, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantKind(t *testing.T, err error, k apperr.Kind, key string) {
	t.Helper()
	ae := apperr.As(err)
	if ae == nil || ae.Kind != k || (key != "" && ae.Key != key) {
		t.Fatalf("want kind %d %q, got %v", k, key, err)
	}
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Write.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func auditMark(t *testing.T, db *store.DB) int64 {
	t.Helper()
	return int64(count(t, db, `SELECT seq FROM audit_head WHERE id = 1`))
}

type ev struct{ action, object, actor string }

// wantAudit checks the entries written after mark, in order, and the chain.
func wantAudit(t *testing.T, db *store.DB, mark int64, want ...ev) []audit.Entry {
	t.Helper()
	es, err := audit.List(ctx, db, audit.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var got []ev
	var entries []audit.Entry
	for _, e := range slices.Backward(es) {
		if e.Seq > mark {
			got = append(got, ev{e.Action, e.ObjectID, e.Actor})
			entries = append(entries, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit entries:\n got %v\nwant %v", got, want)
	}
	if _, err := audit.Verify(ctx, db); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	return entries
}

func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		mark := auditMark(t, db)
		res, err := auth.Login(ctx, db, pol, " Alice ", pw)
		if err != nil || res.Stage != auth.StageFull || len(res.Token) != 43 {
			t.Fatalf("login: %+v %v", res, err)
		}
		// only the hash of the cookie value is stored
		if count(t, db, `SELECT COUNT(*) FROM sessions WHERE id = $1`, auth.HashSecret(res.Token)) != 1 ||
			count(t, db, `SELECT COUNT(*) FROM sessions WHERE id = $1`, res.Token) != 0 {
			t.Error("session stored by its value")
		}
		wantAudit(t, db, mark, ev{"auth.login", "alice", "alice"})

		// a wrong password and an unknown name answer the same
		mark = auditMark(t, db)
		_, errWrong := auth.Login(ctx, db, pol, "alice", "wrong-password")
		_, errUnknown := auth.Login(ctx, db, pol, "nobody", pw)
		a, b := apperr.As(errWrong), apperr.As(errUnknown)
		if a == nil || b == nil || a.Kind != apperr.Unauthorized || a.Code != b.Code || a.Key != b.Key || a.Field != b.Field || a.Error() != b.Error() {
			t.Errorf("wrong password %v, unknown user %v", errWrong, errUnknown)
		}
		es := wantAudit(t, db, mark, ev{"auth.login_failed", "alice", "alice"}, ev{"auth.login_failed", "nobody", "nobody"})
		if es[1].Detail["reason"] != "unknown_user" || es[0].Detail["reason"] != "bad_password" {
			t.Errorf("failure reasons: %v %v", es[0].Detail, es[1].Detail)
		}
		// a success clears the count: two more failures do not lock
		if _, err := auth.Login(ctx, db, pol, "alice", pw); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			auth.Login(ctx, db, pol, "alice", "wrong-password")
		}
		if _, err := auth.Login(ctx, db, pol, "alice", pw); err != nil {
			t.Fatalf("locked too early: %v", err)
		}

		// lockout after MaxFailures: then even the right password is refused
		mark = auditMark(t, db)
		for i := range pol.MaxFailures {
			_, err := auth.Login(ctx, db, pol, "bob", "wrong-password")
			wantKind(t, err, apperr.Unauthorized, "err.login.bad_credentials")
			_ = i
		}
		_, err = auth.Login(ctx, db, pol, "bob", pw)
		wantKind(t, err, apperr.TooMany, "err.login.locked")
		if ae := apperr.As(err); len(ae.Args) != 1 || ae.Args[0] != int64(15) {
			t.Errorf("locked minutes: %v", ae.Args)
		}
		es = wantAudit(t, db, mark, ev{"auth.login_failed", "bob", "bob"}, ev{"auth.login_failed", "bob", "bob"},
			ev{"auth.login_failed", "bob", "bob"}, ev{"auth.login_failed", "bob", "bob"})
		if es[2].Detail["locked_minutes"] != float64(15) || es[3].Detail["reason"] != "locked" {
			t.Errorf("lock entries: %v / %v", es[2].Detail, es[3].Detail)
		}
		if count(t, db, `SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'bob'`) != 0 {
			t.Error("a locked account got a session")
		}
		// when locked_until passes, the right password works again
		exec(t, db, `UPDATE users SET locked_until = $1 WHERE username = 'bob'`, store.Now()-1000)
		if _, err := auth.Login(ctx, db, pol, "bob", pw); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		if count(t, db, `SELECT failed_logins FROM users WHERE username = 'bob'`) != 0 {
			t.Error("failures not cleared")
		}

		// disabled people are refused, with the same answer, even with the right password
		yes := true
		if _, err := org.UpdateUser(ctx, db, principal(t, db, "cityadmin"), "bob", org.UserPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		mark = auditMark(t, db)
		_, err = auth.Login(ctx, db, pol, "bob", pw)
		wantKind(t, err, apperr.Unauthorized, "err.login.bad_credentials")
		es = wantAudit(t, db, mark, ev{"auth.login_failed", "bob", "bob"})
		if es[0].Detail["reason"] != "disabled" {
			t.Errorf("disabled reason: %v", es[0].Detail)
		}

		// an absurd username is cut in the trail
		mark = auditMark(t, db)
		long := strings.Repeat("名", 500)
		auth.Login(ctx, db, pol, long, pw)
		es, _ = audit.List(ctx, db, audit.Filter{Limit: 1})
		if len([]rune(es[0].ObjectID)) != 64 || es[0].Seq != mark+1 {
			t.Errorf("logged username: %d runes", len([]rune(es[0].ObjectID)))
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		current := pw
		login := func() (string, *auth.Session) {
			t.Helper()
			res, err := auth.Login(ctx, db, pol, "alice", current)
			if err != nil {
				t.Fatal(err)
			}
			s, err := auth.Authenticate(ctx, db, pol, res.Token)
			if err != nil || s.Stage != auth.StageFull || s.ID != auth.HashSecret(res.Token) || s.MustChangePW {
				t.Fatalf("authenticate: %+v %v", s, err)
			}
			return res.Token, s
		}
		for _, bad := range []string{"", strings.Repeat("a", 101), "not-a-session"} {
			if _, err := auth.Authenticate(ctx, db, pol, bad); err == nil {
				t.Errorf("authenticated %q", bad)
			}
		}

		// idle timeout
		tok, s := login()
		exec(t, db, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, store.Now()-pol.IdleTimeout.Milliseconds()-1000, s.ID)
		_, err := auth.Authenticate(ctx, db, pol, tok)
		wantKind(t, err, apperr.Unauthorized, "err.session.expired")
		if count(t, db, `SELECT COUNT(*) FROM sessions WHERE id = $1`, s.ID) != 0 {
			t.Error("idle session kept")
		}
		// absolute timeout, however recently used
		tok, s = login()
		exec(t, db, `UPDATE sessions SET expires_at = $1 WHERE id = $2`, store.Now()-1, s.ID)
		_, err = auth.Authenticate(ctx, db, pol, tok)
		wantKind(t, err, apperr.Unauthorized, "err.session.expired")
		// use within the idle timeout keeps a session alive (last seen moves)
		tok, s = login()
		old := store.Now() - 10*time.Minute.Milliseconds()
		exec(t, db, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, old, s.ID)
		if s, err := auth.Authenticate(ctx, db, pol, tok); err != nil || s.LastSeenAt <= old {
			t.Fatalf("touch: %+v %v", s, err)
		}
		if count(t, db, `SELECT COUNT(*) FROM sessions WHERE id = $1 AND last_seen_at > $2`, s.ID, old) != 1 {
			t.Error("last_seen_at not written")
		}

		// logout
		p := principal(t, db, "alice")
		mark := auditMark(t, db)
		if err := auth.Logout(ctx, db, p, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Authenticate(ctx, db, pol, tok); err == nil {
			t.Error("session survived logout")
		}
		wantAudit(t, db, mark, ev{"auth.logout", "alice", "alice"})

		// change password: checks, then the other sessions end and this one stays
		tok1, s1 := login()
		tok2, _ := login()
		mark = auditMark(t, db)
		for _, tc := range []struct{ old, new, key string }{
			{"wrong-password", "brand-new-pw", "err.password.old_wrong"},
			{pw, pw, "err.password.same"},
			{pw, "short", "err.password.too_short"},
			{pw, "ALICE", "err.password.too_short"},
			{pw, "Alice-is-me", ""},
		} {
			err := auth.ChangePassword(ctx, db, p, s1.ID, tc.old, tc.new)
			if tc.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				continue
			}
			wantKind(t, err, apperr.Invalid, tc.key)
		}
		wantAudit(t, db, mark, ev{"user.password_change", "alice", "alice"})
		if _, err := auth.Authenticate(ctx, db, pol, tok1); err != nil {
			t.Errorf("current session ended: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, pol, tok2); err == nil {
			t.Error("other session survived the change")
		}
		if _, err := auth.Login(ctx, db, pol, "alice", pw); err == nil {
			t.Error("old password still works")
		}
		current = "Alice-is-me"
		login()

		// cleanup removes ended sessions only
		exec(t, db, `DELETE FROM sessions`)
		_, a := login()
		_, b := login()
		_, c := login()
		exec(t, db, `UPDATE sessions SET expires_at = $1 WHERE id = $2`, store.Now()-1, a.ID)
		exec(t, db, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, store.Now()-pol.IdleTimeout.Milliseconds()-1, b.ID)
		if n, err := auth.CleanupSessions(ctx, db, pol); err != nil || n != 2 {
			t.Errorf("cleanup: %d %v", n, err)
		}
		if count(t, db, `SELECT COUNT(*) FROM sessions WHERE id = $1`, c.ID) != 1 {
			t.Error("live session removed")
		}
	})
}

func TestTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		root, city := principal(t, db, "root"), principal(t, db, "cityadmin")

		// only the administrator of everything decides which roles need a second factor
		wantKind(t, auth.SetRequiredTOTPRoles(ctx, db, city, []string{"admin"}), apperr.Forbidden, "")
		wantKind(t, auth.SetRequiredTOTPRoles(ctx, db, principal(t, db, "jijian"), []string{"admin"}), apperr.Forbidden, "")
		wantKind(t, auth.SetRequiredTOTPRoles(ctx, db, root, []string{"admin", "judge"}), apperr.Invalid, "err.role.unknown")
		mark := auditMark(t, db)
		if err := auth.SetRequiredTOTPRoles(ctx, db, root, []string{"discipline", "admin", "discipline"}); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, ev{"settings.totp_roles", "auth.totp_required_roles", "root"})
		if got, _ := auth.RequiredTOTPRoles(ctx, db.Read); !slices.Equal(got, []string{"admin", "discipline"}) {
			t.Errorf("required roles: %v", got)
		}

		// a required role forces enrolment at login
		res, err := auth.Login(ctx, db, pol, "jijian", pw)
		if err != nil || res.Stage != auth.StageTOTPEnrol {
			t.Fatalf("login: %+v %v", res, err)
		}
		s, _ := auth.Authenticate(ctx, db, pol, res.Token)
		p := principal(t, db, "jijian")
		key, err := auth.BeginTOTP(ctx, db, p.UserID, p.Username)
		if err != nil {
			t.Fatal(err)
		}
		if sec, _ := auth.PendingTOTPSecret(ctx, db, p.UserID); sec != key.Secret() {
			t.Fatalf("pending secret %q", sec)
		}
		mark = auditMark(t, db)
		wantKind(t, auth.ConfirmTOTP(ctx, db, p.UserID, s.ID, "000000x"), apperr.Unauthorized, "err.login.bad_code")
		code, _ := totp.GenerateCode(key.Secret(), time.Now())
		if err := auth.ConfirmTOTP(ctx, db, p.UserID, s.ID, code); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, ev{"auth.totp_enabled", "jijian", "jijian"})
		if s, err := auth.Authenticate(ctx, db, pol, res.Token); err != nil || s.Stage != auth.StageFull {
			t.Fatalf("after enrolment: %+v %v", s, err)
		}
		if sec, _ := auth.PendingTOTPSecret(ctx, db, p.UserID); sec != "" {
			t.Error("an active secret is shown as pending")
		}
		// an active secret cannot be replaced by a new enrolment
		auth.BeginTOTP(ctx, db, p.UserID, p.Username)
		if sec, _ := auth.PendingTOTPSecret(ctx, db, p.UserID); sec != "" {
			t.Error("BeginTOTP replaced an active secret")
		}

		// next login asks for the code; the enrolment code cannot be replayed
		res, err = auth.Login(ctx, db, pol, "jijian", pw)
		if err != nil || res.Stage != auth.StageTOTP {
			t.Fatalf("login: %+v %v", res, err)
		}
		s, _ = auth.Authenticate(ctx, db, pol, res.Token)
		mark = auditMark(t, db)
		wantKind(t, auth.VerifyTOTP(ctx, db, pol, s, code), apperr.Unauthorized, "err.login.bad_code")
		next, _ := totp.GenerateCode(key.Secret(), time.Now().Add(30*time.Second))
		if err := auth.VerifyTOTP(ctx, db, pol, s, next); err != nil {
			t.Fatalf("verify: %v", err)
		}
		wantAudit(t, db, mark, ev{"auth.login_failed", "jijian", "jijian"}, ev{"auth.login", "jijian", "jijian"})
		if s, err := auth.Authenticate(ctx, db, pol, res.Token); err != nil || s.Stage != auth.StageFull {
			t.Fatalf("after the code: %+v %v", s, err)
		}
		// a full session does not take codes
		s, _ = auth.Authenticate(ctx, db, pol, res.Token)
		wantKind(t, auth.VerifyTOTP(ctx, db, pol, s, next), apperr.Unauthorized, "")
		if count(t, db, `SELECT failed_logins FROM users WHERE id = $1`, p.UserID) != 0 {
			t.Error("a completed login left failures behind")
		}

		// wrong codes count as failures; signing in again with the password does not
		// reset the count, and at MaxFailures every pending session ends and the account locks
		pending := func() *auth.Session {
			t.Helper()
			res, err := auth.Login(ctx, db, pol, "jijian", pw)
			if err != nil || res.Stage != auth.StageTOTP {
				t.Fatalf("login: %+v %v", res, err)
			}
			s, err := auth.Authenticate(ctx, db, pol, res.Token)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s1 := pending()
		for range pol.MaxFailures - 1 {
			wantKind(t, auth.VerifyTOTP(ctx, db, pol, s1, "123456"), apperr.Unauthorized, "err.login.bad_code")
		}
		s2 := pending()
		wantKind(t, auth.VerifyTOTP(ctx, db, pol, s2, "654321"), apperr.Unauthorized, "err.login.bad_code")
		if count(t, db, `SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND stage <> 0`, p.UserID) != 0 {
			t.Error("pending sessions survived the lock")
		}
		good, _ := totp.GenerateCode(key.Secret(), time.Now())
		wantKind(t, auth.VerifyTOTP(ctx, db, pol, s1, good), apperr.TooMany, "err.login.locked")
		_, err = auth.Login(ctx, db, pol, "jijian", pw)
		wantKind(t, err, apperr.TooMany, "err.login.locked")
		exec(t, db, `UPDATE users SET locked_until = $1 WHERE id = $2`, store.Now()-1, p.UserID)

		// the second factor cannot be switched off while a role requires it
		wantKind(t, auth.DisableTOTP(ctx, db, p, "jijian"), apperr.Conflict, "err.totp.required_for_role")
		// an officer may enrol and switch it off; an admin may reset it for someone in reach
		alice := principal(t, db, "alice")
		res, _ = auth.Login(ctx, db, pol, "alice", pw)
		if res.Stage != auth.StageFull {
			t.Fatalf("alice stage %d", res.Stage)
		}
		as, _ := auth.Authenticate(ctx, db, pol, res.Token)
		k2, _ := auth.BeginTOTP(ctx, db, alice.UserID, "alice")
		c2, _ := totp.GenerateCode(k2.Secret(), time.Now())
		// a session of someone else is not promoted by another person's enrolment
		if err := auth.ConfirmTOTP(ctx, db, alice.UserID, "not-alices-session", c2); err != nil {
			t.Fatal(err)
		}
		mark = auditMark(t, db)
		if err := auth.DisableTOTP(ctx, db, alice, "alice"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, auth.DisableTOTP(ctx, db, principal(t, db, "bob"), "jijian"), apperr.Forbidden, "")
		if err := auth.DisableTOTP(ctx, db, city, "jijian"); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, db, mark, ev{"auth.totp_disabled", "alice", "alice"}, ev{"auth.totp_disabled", "jijian", "cityadmin"})
		_ = as
		// without a second factor the required role enrols again at the next login
		if res, err := auth.Login(ctx, db, pol, "jijian", pw); err != nil || res.Stage != auth.StageTOTPEnrol {
			t.Errorf("after the reset: %+v %v", res, err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fixture(t, db)
		alice, bob := principal(t, db, "alice"), principal(t, db, "bob")
		mark := auditMark(t, db)
		secret, tk, err := auth.CreateToken(ctx, db, alice, "alice", " 报表 ")
		if err != nil || !strings.HasPrefix(secret, "lst_") || len(secret) != 47 || tk.Name != "报表" || tk.Prefix != secret[:10] {
			t.Fatalf("create: %q %+v %v", secret, tk, err)
		}
		// only the hash is stored: no column of the table holds the secret
		rows, err := db.Read.Query(`SELECT CAST(id AS TEXT), CAST(user_id AS TEXT), name, prefix, token_hash FROM api_tokens`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var cols [5]string
			rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4])
			for _, c := range cols {
				if strings.Contains(c, secret[len("lst_"):]) {
					t.Errorf("secret stored: %q", c)
				}
			}
			if cols[4] != auth.HashSecret(secret) {
				t.Errorf("hash %q", cols[4])
			}
		}
		rows.Close()

		uid, tid, err := auth.AuthenticateToken(ctx, db, secret)
		if err != nil || uid != alice.UserID || tid != tk.ID {
			t.Fatalf("authenticate: %d %d %v", uid, tid, err)
		}
		if list, _ := auth.ListTokens(ctx, db, alice); len(list) != 1 || list[0].LastUsedAt == 0 {
			t.Errorf("list: %+v", list)
		}
		for _, bad := range []string{"", "lst_short", "Bearer " + secret, secret + "x", "lst_" + strings.Repeat("!", 43)} {
			_, _, err := auth.AuthenticateToken(ctx, db, bad)
			wantKind(t, err, apperr.Unauthorized, "err.token.malformed")
		}
		_, _, err = auth.AuthenticateToken(ctx, db, "lst_"+strings.Repeat("A", 43))
		wantKind(t, err, apperr.Unauthorized, "err.token.invalid")

		// tokens are personal: nobody mints one for another person, existing or not
		_, _, err = auth.CreateToken(ctx, db, alice, "bob", "x")
		wantKind(t, err, apperr.Forbidden, "")
		_, _, err = auth.CreateToken(ctx, db, alice, "nobody", "x")
		wantKind(t, err, apperr.Forbidden, "")
		_, _, err = auth.CreateToken(ctx, db, alice, "alice", strings.Repeat("名", 61))
		wantKind(t, err, apperr.Invalid, "err.token.name_too_long")

		// revoke: only one's own, once
		wantKind(t, auth.RevokeToken(ctx, db, bob, tk.ID), apperr.NotFound, "")
		if err := auth.RevokeToken(ctx, db, alice, tk.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, auth.RevokeToken(ctx, db, alice, tk.ID), apperr.NotFound, "")
		_, _, err = auth.AuthenticateToken(ctx, db, secret)
		wantKind(t, err, apperr.Unauthorized, "err.token.invalid")
		if list, _ := auth.ListTokens(ctx, db, alice); len(list) != 1 || list[0].RevokedAt == 0 {
			t.Errorf("list after revoke: %+v", list)
		}
		wantAudit(t, db, mark, ev{"token.create", itoa(tk.ID), "alice"}, ev{"token.revoke", itoa(tk.ID), "alice"})

		// the command line (nil principal) mints for anyone; a disabled person's tokens stop
		s2, _, err := auth.CreateToken(ctx, db, nil, "bob", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := auth.AuthenticateToken(ctx, db, s2); err != nil {
			t.Fatal(err)
		}
		exec(t, db, `UPDATE users SET disabled_at = $1 WHERE id = $2`, store.Now(), bob.UserID) // not revoked, only disabled
		_, _, err = auth.AuthenticateToken(ctx, db, s2)
		wantKind(t, err, apperr.Unauthorized, "err.token.invalid")
		_, _, err = auth.CreateToken(ctx, db, nil, "bob", "")
		wantKind(t, err, apperr.Invalid, "err.user.disabled")
		_, _, err = auth.CreateToken(ctx, db, nil, "nobody", "")
		wantKind(t, err, apperr.Invalid, "err.user.not_found")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
