package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/auth"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestNeedsAPI: 群众点单 through the API — a public proposal (bad input with
// its field), a vote once per token, following by receipt and key, staff
// inside and outside the unit's scope, and a decline the public then sees.
func TestNeedsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if _, err := org.CreateUser(context.Background(), db, setupPrincipal, org.UserInput{Username: "clerk", Name: "办事员丁",
			UnitCode: "x1-court", Roles: []org.RoleGrant{{Role: "handler"}}, Password: testPassword}); err != nil {
			t.Fatal(err)
		}
		secret, _, err := auth.CreateToken(context.Background(), db, nil, "clerk", "t")
		if err != nil {
			t.Fatal(err)
		}
		f.tok["clerk"] = secret

		r := f.req("", "POST", "/api/v1/public/needs", `{"unit_code":"x1-court","area":"worry","title":"周末立案","body":""}`)
		want(t, r, http.StatusBadRequest, "")
		if r.errField() != "body" {
			t.Fatalf("field %q", r.errField())
		}
		want(t, f.req("", "POST", "/api/v1/public/needs", `{"unit_code":"x1-court","area":"worry","title":"t","body":"b","extra":1}`),
			http.StatusBadRequest, "")
		r = f.req("", "POST", "/api/v1/public/needs", `{"unit_code":"x1-court","area":"worry","title":"希望周末也能立案","body":"电话 13912345678"}`)
		want(t, r, http.StatusCreated, "")
		receipt, key := r.str("receipt"), r.str("key")
		id := fmt.Sprint(r.Body["id"])
		if len(receipt) != 12 || len(key) != 20 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("receipt answer %s %v", r.Raw, r.Header)
		}

		r = f.req("", "GET", "/api/v1/public/needs/"+id, nil)
		want(t, r, http.StatusOK, "")
		if strings.Contains(string(r.Raw), "13912345678") {
			t.Fatal("the public answer shows the phone number")
		}
		tok := r.str("vote_token")
		want(t, f.req("", "POST", "/api/v1/public/needs/"+id+"/votes", map[string]string{"token": tok}), http.StatusCreated, "")
		want(t, f.req("", "POST", "/api/v1/public/needs/"+id+"/votes", map[string]string{"token": tok}), http.StatusConflict, "voted")
		r = f.req("", "GET", "/api/v1/public/needs?unit=x1", nil)
		want(t, r, http.StatusOK, "")
		if it := r.items(); len(it) != 1 || it[0].(map[string]any)["votes"].(float64) != 1 {
			t.Fatalf("public list %s", r.Raw)
		}

		wrong := "A" + key[1:]
		if wrong == key {
			wrong = "B" + key[1:]
		}
		want(t, f.req("", "POST", "/api/v1/public/needs/follow", map[string]string{"receipt": receipt, "key": wrong}), http.StatusBadRequest, "")
		r = f.req("", "POST", "/api/v1/public/needs/follow", map[string]string{"receipt": receipt, "key": key})
		want(t, r, http.StatusOK, "")
		if r.str("status") != "open" {
			t.Fatalf("followed %s", r.Raw)
		}

		// staff: in scope unmasked; outside scope not found; anonymous refused
		r = f.req("clerk", "GET", "/api/v1/needs", nil)
		want(t, r, http.StatusOK, "")
		if !strings.Contains(string(r.Raw), "13912345678") || len(r.items()) != 1 {
			t.Fatalf("staff list %s", r.Raw)
		}
		if r := f.req("c2leader", "GET", "/api/v1/needs", nil); len(r.items()) != 0 {
			t.Fatalf("outsider list %s", r.Raw)
		}
		want(t, f.req("c2leader", "GET", "/api/v1/needs/"+id, nil), http.StatusNotFound, "")
		want(t, f.req("", "GET", "/api/v1/needs/"+id, nil), http.StatusUnauthorized, "")
		want(t, f.req("c2leader", "POST", "/api/v1/needs/"+id+"/decline", map[string]string{"answer": "不办"}), http.StatusNotFound, "")
		want(t, f.req("clerk", "POST", "/api/v1/needs/"+id+"/decline", map[string]string{"answer": ""}), http.StatusBadRequest, "")
		want(t, f.req("clerk", "POST", "/api/v1/needs/"+id+"/decline", map[string]string{"answer": "由县法院统一安排,已转交"}), http.StatusOK, "")
		r = f.req("", "GET", "/api/v1/public/needs/"+id, nil)
		if r.str("status") != "declined" || r.str("answer") != "由县法院统一安排,已转交" || r.str("vote_token") != "" {
			t.Fatalf("declined need %s", r.Raw)
		}
	})
}
