package api_test

import (
	"context"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestProblemDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setupLedger(t, db)
		// two items in c-k, one in c, one in d; one of c-k's is past its deadline
		var ids []string
		for _, unit := range []string{"c-k", "c-k", "c", "d"} {
			resp := "off"
			if unit == "d" {
				resp = "out"
			}
			b := problem("unit_code", unit, "responsible", resp)
			id, _ := f.create("insp", b)
			ids = append(ids, id)
		}
		if _, err := db.Write.ExecContext(context.Background(), `UPDATE problems SET light = 'red' WHERE id = $1`, ids[0]); err != nil {
			t.Fatal(err)
		}

		r := f.req("insp", "GET", "/api/v1/problems/dashboard", nil)
		want(t, r, 200, "")
		if r.str("unit_code") != "p" || r.str("today") != "2026-11-02" {
			t.Fatalf("board: %s", r.Raw)
		}
		fig := func(v any) (int, string) {
			m := v.(map[string]any)
			return int(m["count"].(float64)), m["query"].(string)
		}
		if n, q := fig(r.Body["overdue"]); n != 1 || q != "light=red&status=active&unit=p" {
			t.Errorf("overdue %d %q", n, q)
		}
		if n, _ := fig(r.Body["total"]); n != 4 {
			t.Errorf("total %d", n)
		}
		children := r.Body["children"].([]any)
		if len(children) != 2 {
			t.Fatalf("children: %v", children)
		}
		first := children[0].(map[string]any)
		if n, q := fig(first["overdue"]); first["unit_code"] != "c" || n != 1 || q != "light=red&status=active&unit=c" {
			t.Errorf("first child %v", first)
		}
		if weeks := r.Body["weeks"].([]any); len(weeks) != 12 || weeks[11].(map[string]any)["week"] != "2026-W45" {
			t.Errorf("weeks %v", weeks)
		}
		// every figure's query lists exactly its items through the API
		var figs []any
		for _, k := range []string{"total", "active", "overdue", "supervised"} {
			figs = append(figs, r.Body[k])
		}
		for _, k := range []string{"by_status", "by_light", "by_class", "by_source"} {
			figs = append(figs, r.Body[k].([]any)...)
		}
		for _, c := range children {
			m := c.(map[string]any)
			figs = append(figs, m["total"], m["active"], m["overdue"])
		}
		for _, w := range r.Body["weeks"].([]any) {
			m := w.(map[string]any)
			figs = append(figs, m["created"], m["closed"])
		}
		for _, v := range figs {
			n, q := fig(v)
			l := f.req("insp", "GET", "/api/v1/problems?per_page=200&"+q, nil)
			want(t, l, 200, "")
			if got := int(l.Body["total"].(float64)); got != n {
				t.Errorf("%s: the list has %d, the dashboard says %d", q, got, n)
			}
		}

		// the handler of another branch: its own unit only; the province is not found
		r = f.req("out", "GET", "/api/v1/problems/dashboard", nil)
		want(t, r, 200, "")
		if n, _ := fig(r.Body["total"]); r.str("unit_code") != "d" || n != 1 {
			t.Errorf("outsider: %s", r.Raw)
		}
		want(t, f.req("out", "GET", "/api/v1/problems/dashboard?unit=p", nil), 404, "not_found")
		want(t, f.req("out", "GET", "/api/v1/problems/dashboard?unit=c-k", nil), 404, "not_found")
		want(t, f.req("", "GET", "/api/v1/problems/dashboard", nil), 401, "")
	})
}
