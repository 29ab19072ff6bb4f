package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		r := f.req("officer", "GET", "/api/v1/tokens", nil)
		want(t, r, 200, "")
		if r.Body["total"].(float64) != 1 || r.items()[0].(map[string]any)["name"] != "t" {
			t.Fatalf("list: %s", r.Raw)
		}
		if strings.Contains(string(r.Raw), f.tok["officer"]) {
			t.Fatal("a listed token shows its secret")
		}

		r = f.req("officer", "POST", "/api/v1/tokens", `{"name":"脚本"}`)
		want(t, r, 201, "")
		secret := r.str("token")
		if !strings.HasPrefix(secret, "lst_") || r.str("name") != "脚本" || !strings.HasPrefix(secret, r.str("prefix")) {
			t.Fatalf("create: %s", r.Raw)
		}
		id := int64(r.Body["id"].(float64))
		f.tok["script"] = secret
		r = f.req("script", "GET", "/api/v1/me", nil)
		want(t, r, 200, "")
		if r.str("username") != "officer" {
			t.Fatalf("the new token is not the officer's: %s", r.Raw)
		}
		r = f.req("officer", "GET", "/api/v1/tokens", nil)
		if r.Body["total"].(float64) != 2 || strings.Contains(string(r.Raw), secret) {
			t.Fatalf("list after create: %s", r.Raw)
		}
		r = f.req("officer", "GET", "/api/v1/tokens?per_page=1&page=2", nil)
		if len(r.items()) != 1 || r.Body["total"].(float64) != 2 {
			t.Fatalf("token paging: %s", r.Raw)
		}
		want(t, f.req("officer", "POST", "/api/v1/tokens", `{}`), 201, "") // default name

		// another person's token is not found, and not revoked
		f.unchanged(func() {
			want(t, f.req("admin", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil), 404, "not_found")
			want(t, f.req("admin", "DELETE", "/api/v1/tokens/abc", nil), 404, "not_found")
			want(t, f.req("officer", "POST", "/api/v1/tokens", `{"name":"`+strings.Repeat("n", 61)+`"}`), 400, "invalid")
			want(t, f.req("officer", "POST", "/api/v1/tokens", `{"name":"x","user":"admin"}`), 400, "unknown_field")
			want(t, f.req("officer", "POST", "/api/v1/tokens", `{"name":["x"]}`), 400, "malformed_json")
		})
		want(t, f.req("script", "GET", "/api/v1/me", nil), 200, "")

		want(t, f.req("officer", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil), 204, "")
		want(t, f.req("script", "GET", "/api/v1/me", nil), 401, "bad_token")
		// revoking twice: it is gone
		want(t, f.req("officer", "DELETE", fmt.Sprintf("/api/v1/tokens/%d", id), nil), 404, "not_found")
		r = f.req("officer", "GET", "/api/v1/tokens", nil)
		revoked := 0
		for _, it := range r.items() {
			if it.(map[string]any)["revoked"] == true {
				revoked++
			}
		}
		if revoked != 1 {
			t.Fatalf("list after revoke: %s", r.Raw)
		}
	})
}
