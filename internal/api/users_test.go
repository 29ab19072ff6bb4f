package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func (f *fx) user(name string) (org.User, bool) {
	u, err := org.UserByUsername(context.Background(), f.db.Read, name)
	return u, err == nil
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()

		r := f.req("admin", "GET", "/api/v1/users", nil)
		want(t, r, 200, "")
		if r.Body["total"].(float64) != 5 {
			t.Fatalf("list: %s", r.Raw)
		}
		for _, it := range r.items() {
			u := it.(map[string]any)
			if _, leak := u["password_hash"]; leak {
				t.Fatal("hash listed")
			}
		}
		r = f.req("admin", "GET", "/api/v1/users?unit_code=c1", nil)
		if r.Body["total"].(float64) != 2 {
			t.Fatalf("unit_code filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/users?role=inspector", nil)
		if r.Body["total"].(float64) != 1 || r.items()[0].(map[string]any)["username"] != "inspector" {
			t.Fatalf("role filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/users?q=%E5%B9%B2%E8%AD%A6", nil) // 干警
		if r.Body["total"].(float64) != 1 {
			t.Fatalf("q filter: %s", r.Raw)
		}
		want(t, f.req("admin", "GET", "/api/v1/users?role=king", nil), 400, "invalid")

		// create
		body := `{"username":"handler1","name":"承办人丁","unit_code":"x1-court","password":"handler-pass-1",
			"roles":[{"role":"handler"},{"role":"officer","scope_code":""}]}`
		r = f.req("admin", "POST", "/api/v1/users", body)
		want(t, r, 201, "")
		if r.Header.Get("Location") != "/api/v1/users/handler1" || r.str("unit_code") != "x1-court" || r.str("unit_name") != "东城县人民法院" ||
			len(r.Body["roles"].([]any)) != 2 || r.Body["disabled"] != false || r.Body["totp_enabled"] != false {
			t.Fatalf("create: %s", r.Raw)
		}
		if strings.Contains(string(r.Raw), "handler-pass-1") {
			t.Fatal("password echoed")
		}
		if _, err := auth.Login(ctx, db, auth.DefaultPolicy, "handler1", "handler-pass-1"); err != nil {
			t.Fatalf("new user cannot sign in: %v", err)
		}
		r = f.req("admin", "GET", "/api/v1/users/handler1", nil)
		want(t, r, 200, "")
		if r.str("name") != "承办人丁" {
			t.Fatalf("get: %s", r.Raw)
		}
		// an inspector may be granted a wider scope
		want(t, f.req("admin", "POST", "/api/v1/users", `{"username":"insp2","name":"督察戊","unit_code":"c1","password":"insp-pass-12",
			"roles":[{"role":"inspector","scope_code":"qh"}]}`), 201, "")

		// patch
		r = f.req("admin", "PATCH", "/api/v1/users/handler1", `{"name":"承办人丁丁","roles":[{"role":"deputy"}]}`)
		want(t, r, 200, "")
		if r.str("name") != "承办人丁丁" || len(r.Body["roles"].([]any)) != 1 || r.Body["roles"].([]any)[0].(map[string]any)["role"] != "deputy" {
			t.Fatalf("patch: %s", r.Raw)
		}
		r = f.req("admin", "PATCH", "/api/v1/users/handler1", `{"unit_code":"x1-court-d1"}`)
		want(t, r, 200, "")
		if r.str("unit_code") != "x1-court-d1" {
			t.Fatalf("move person: %s", r.Raw)
		}
		r = f.req("admin", "PATCH", "/api/v1/users/handler1", `{"disabled":true}`)
		want(t, r, 200, "")
		if r.Body["disabled"] != true {
			t.Fatalf("disable: %s", r.Raw)
		}
		want(t, f.req("admin", "PATCH", "/api/v1/users/handler1", `{"disabled":false}`), 200, "")

		// reset password
		r = f.req("admin", "POST", "/api/v1/users/handler1/reset-password", `{"password":"brand-new-pass"}`)
		want(t, r, 204, "")
		if _, err := auth.Login(ctx, db, auth.DefaultPolicy, "handler1", "brand-new-pass"); err != nil {
			t.Fatalf("reset password does not work: %v", err)
		}
		// a user may read themself even without user.read over their unit
		want(t, f.req("officer", "GET", "/api/v1/users/officer", nil), 200, "")
	})
}

func TestUserBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		create := func(body string, status int, code, field string) {
			t.Helper()
			f.unchanged(func() {
				r := f.req("admin", "POST", "/api/v1/users", body)
				want(t, r, status, code)
				if field != "" && r.errField() != field {
					t.Fatalf("field %q, want %q: %s", r.errField(), field, r.Raw)
				}
			})
			if _, ok := f.user("new1"); ok {
				t.Fatalf("%s: the user was created", body)
			}
		}
		ok := `"username":"new1","name":"新人","unit_code":"c1","password":"new-pass-123"`
		create(`{`+ok+`,"roles":[{"role":"king"}]}`, 400, "invalid", "roles")
		create(`{`+ok+`,"roles":[]}`, 400, "invalid", "roles")
		create(`{`+ok+`}`, 400, "invalid", "roles")
		create(`{`+ok+`,"roles":[{"role":"officer"},{"role":"officer"}]}`, 400, "invalid", "roles")
		create(`{`+ok+`,"roles":[{"role":"officer","scope_code":"qh"}]}`, 400, "invalid", "roles")
		create(`{`+ok+`,"roles":[{"role":"officer","level":3}]}`, 400, "unknown_field", "roles[0].level")
		create(`{`+ok+`,"roles":[{"role":"officer"}],"password_hash":"x"}`, 400, "unknown_field", "password_hash")
		create(`{`+ok+`,"roles":[{"role":"officer"}],"PasswordHash":"x"}`, 400, "unknown_field", "PasswordHash")
		create(`{`+ok+`,"roles":"officer"}`, 400, "malformed_json", "roles")
		create(`{"username":"new1","name":"","unit_code":"c1","password":"new-pass-123","roles":[{"role":"officer"}]}`, 400, "invalid", "name")
		create(`{"username":"new1","name":"`+strings.Repeat("名", 51)+`","unit_code":"c1","password":"new-pass-123","roles":[{"role":"officer"}]}`, 400, "invalid", "name")
		create(`{"username":"new1","name":"新人","unit_code":"c1","password":"short","roles":[{"role":"officer"}]}`, 400, "invalid", "password")
		create(`{"username":"new1","name":"新人","unit_code":"nope","password":"new-pass-123","roles":[{"role":"officer"}]}`, 400, "invalid", "unit_code")
		create(`{"username":"n","name":"新人","unit_code":"c1","password":"new-pass-123","roles":[{"role":"officer"}]}`, 400, "invalid", "username")
		create(`{"username":"officer","name":"新人","unit_code":"c1","password":"new-pass-123","roles":[{"role":"officer"}]}`, 409, "duplicate_username", "username")
		create(`{`+ok+`,"roles":[{"role":"officer"}]`, 400, "malformed_json", "")
		if u, _ := f.user("officer"); u.Name != "干警甲" || u.UnitCode != "x1-court" {
			t.Fatal("a duplicate username changed the existing user")
		}

		// patches and resets that are refused change nothing
		patch := func(who, username, body string, status int, code string) {
			t.Helper()
			before, _ := f.user(username)
			f.unchanged(func() { want(t, f.req(who, "PATCH", "/api/v1/users/"+username, body), status, code) })
			after, _ := f.user(username)
			if after.Name != before.Name || after.UnitCode != before.UnitCode || len(after.Roles) != len(before.Roles) ||
				after.Roles[0] != before.Roles[0] || after.Disabled != before.Disabled {
				t.Fatalf("%s changed %s: %+v -> %+v", body, username, before, after)
			}
		}
		patch("admin", "officer", `{"roles":[{"role":"emperor"}]}`, 400, "invalid")
		patch("admin", "officer", `{"name":"新名","roles":[{"role":"emperor"}]}`, 400, "invalid")
		patch("admin", "officer", `{"name":""}`, 400, "invalid")
		patch("admin", "officer", `{"unit_code":"nope"}`, 400, "invalid")
		patch("admin", "officer", `{}`, 400, "invalid")
		patch("admin", "officer", `{"password":"x"}`, 400, "unknown_field")
		patch("admin", "officer", `{"disabled":"yes"}`, 400, "malformed_json")
		patch("admin", "admin", `{"disabled":true}`, 409, "self_disable")
		patch("admin", "admin", `{"roles":[{"role":"officer"}]}`, 409, "self_admin")
		// scope: cityadmin cannot see c2leader, officer may not write
		patch("cityadmin", "c2leader", `{"name":"改"}`, 404, "not_found")
		patch("cityadmin", "admin", `{"name":"改"}`, 404, "not_found")
		patch("officer", "officer", `{"name":"改"}`, 403, "forbidden")
		// nobody grants beyond their own reach
		patch("cityadmin", "officer", `{"roles":[{"role":"inspector","scope_code":"qh"}]}`, 400, "invalid")
		f.unchanged(func() {
			want(t, f.req("cityadmin", "GET", "/api/v1/users/c2leader", nil), 404, "not_found")
			want(t, f.req("admin", "GET", "/api/v1/users/nobody", nil), 404, "not_found")
			want(t, f.req("cityadmin", "POST", "/api/v1/users/admin/reset-password", `{"password":"hijack-pass-1"}`), 404, "not_found")
			want(t, f.req("officer", "POST", "/api/v1/users/officer/reset-password", `{"password":"hijack-pass-1"}`), 403, "forbidden")
			want(t, f.req("admin", "POST", "/api/v1/users/officer/reset-password", `{"password":"short"}`), 400, "invalid")
			want(t, f.req("admin", "POST", "/api/v1/users/officer/reset-password", `{"pass":"long-enough-1"}`), 400, "unknown_field")
			want(t, f.req("cityadmin", "POST", "/api/v1/users", `{"username":"new2","name":"新","unit_code":"c2","password":"new-pass-123","roles":[{"role":"officer"}]}`), 400, "invalid")
		})
		if _, err := auth.Login(context.Background(), db, auth.DefaultPolicy, "admin", "hijack-pass-1"); err == nil {
			t.Fatal("an out-of-scope reset changed the password")
		}
		// out-of-scope people are not listed
		r := f.req("cityadmin", "GET", "/api/v1/users", nil)
		for _, it := range r.items() {
			if n := it.(map[string]any)["username"]; n != "cityadmin" && n != "officer" {
				t.Fatalf("cityadmin sees %v", n)
			}
		}
		want(t, f.req("cityadmin", "GET", "/api/v1/users?unit_code=c2", nil), 404, "not_found")
	})
}
