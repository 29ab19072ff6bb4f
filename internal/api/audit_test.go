package api_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// an entry tied to no unit: only an administrator of the whole tree sees it
		if err := audit.Record(context.Background(), db, audit.Event{Actor: audit.System, Action: "system.test", ObjectType: "system", ObjectID: "x"}); err != nil {
			t.Fatal(err)
		}
		want(t, f.req("admin", "PATCH", "/api/v1/units/x1-court-d1", `{"name":"立案一庭"}`), 200, "")
		want(t, f.req("admin", "PATCH", "/api/v1/units/c2", `{"name":"西城市"}`), 200, "")

		r := f.req("admin", "GET", "/api/v1/audit", nil)
		want(t, r, 200, "")
		items := r.items()
		if len(items) == 0 {
			t.Fatalf("empty trail: %s", r.Raw)
		}
		newest := items[0].(map[string]any)
		if newest["action"] != "unit.rename" || newest["object_id"] != "c2" || newest["actor"] != "admin" || newest["hash"] == "" {
			t.Fatalf("newest entry: %v", newest)
		}
		if _, err := time.Parse(time.RFC3339Nano, newest["time"].(string)); err != nil {
			t.Fatalf("time: %v", newest["time"])
		}
		if r.Body["next_before"] != nil {
			t.Fatalf("one page only, yet next_before: %s", r.Raw)
		}
		has := func(r resp, action string) bool {
			for _, it := range r.items() {
				if it.(map[string]any)["action"] == action {
					return true
				}
			}
			return false
		}
		if !has(r, "system.test") {
			t.Fatal("the root admin does not see unit-less entries")
		}

		// filters
		r = f.req("admin", "GET", "/api/v1/audit?action=unit.rename", nil)
		if len(r.items()) != 2 {
			t.Fatalf("action filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/audit?object_type=unit&object_id=x1-court-d1", nil)
		if len(r.items()) != 2 { // create and rename
			t.Fatalf("object filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/audit?actor=admin", nil)
		if len(r.items()) != 2 {
			t.Fatalf("actor filter: %s", r.Raw)
		}
		future := url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339))
		r = f.req("admin", "GET", "/api/v1/audit?from="+future, nil)
		want(t, r, 200, "")
		if len(r.items()) != 0 {
			t.Fatalf("from filter: %s", r.Raw)
		}
		r = f.req("admin", "GET", "/api/v1/audit?to="+future+"&from=2020-01-01T00:00:00Z", nil)
		if len(r.items()) == 0 {
			t.Fatalf("to filter: %s", r.Raw)
		}

		// keyset pages cover the trail once
		total := len(f.req("admin", "GET", "/api/v1/audit?limit=500", nil).items())
		seen := map[float64]bool{}
		path := "/api/v1/audit?limit=4"
		for pages := 0; ; pages++ {
			if pages > total {
				t.Fatal("paging does not end")
			}
			r := f.req("admin", "GET", path, nil)
			want(t, r, 200, "")
			for _, it := range r.items() {
				s := it.(map[string]any)["seq"].(float64)
				if seen[s] {
					t.Fatalf("seq %v twice", s)
				}
				seen[s] = true
			}
			nb, ok := r.Body["next_before"].(float64)
			if !ok {
				break
			}
			path = fmt.Sprintf("/api/v1/audit?limit=4&before=%d", int64(nb))
		}
		if len(seen) != total {
			t.Fatalf("pages saw %d of %d entries", len(seen), total)
		}

		// scope: the city admin sees its subtree only, and no unit-less entries
		r = f.req("cityadmin", "GET", "/api/v1/audit?limit=500", nil)
		want(t, r, 200, "")
		inC1 := map[string]bool{"c1": true, "x1": true, "x1-court": true, "x1-court-d1": true, "cityadmin": true, "officer": true}
		for _, it := range r.items() {
			e := it.(map[string]any)
			if e["object_type"] == "token" {
				continue // tokens of people in c1
			}
			if !inC1[e["object_id"].(string)] {
				t.Fatalf("cityadmin sees %v", e)
			}
		}
		if has(r, "system.test") {
			t.Fatal("a sub-tree admin sees unit-less entries")
		}
		// an inspector reads the whole tree but not the unit-less entries
		r = f.req("inspector", "GET", "/api/v1/audit?limit=500", nil)
		want(t, r, 200, "")
		if !has(r, "unit.rename") || has(r, "system.test") {
			t.Fatalf("inspector: %s", r.Raw)
		}

		// no audit.read: 403
		want(t, f.req("officer", "GET", "/api/v1/audit", nil), 403, "forbidden")
		want(t, f.req("c2leader", "GET", "/api/v1/audit", nil), 403, "forbidden")

		for _, q := range []string{"from=yesterday", "to=2026-13-01T00:00:00Z", "before=0", "before=x", "limit=0", "limit=501", "limit=x"} {
			want(t, f.req("admin", "GET", "/api/v1/audit?"+q, nil), 400, "invalid")
		}
	})
}
