package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/study"
)

func TestStudyAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// an officer may not issue; the city's admin may, for the county below it
		f.unchanged(func() {
			want(t, f.req("officer", "POST", "/api/v1/study/tasks", map[string]any{"title": "学习", "unit_code": "x1", "due": "2099-01-31"}),
				http.StatusBadRequest, "invalid")
		})
		want(t, f.req("cityadmin", "POST", "/api/v1/study/tasks", map[string]any{"title": "学习", "unit_code": "x1", "due": "2099-01-31",
			"roles": []string{"mayor"}}), http.StatusBadRequest, "invalid")
		r := f.req("cityadmin", "POST", "/api/v1/study/tasks", map[string]any{"title": "教育整顿专题学习", "unit_code": "x1",
			"due": "2099-01-31", "min_length": 200, "material": "学习材料"})
		want(t, r, http.StatusCreated, "")
		if r.Body["assigned"].(float64) != 1 || r.str("number") == "" || r.Header.Get("Location") == "" {
			t.Fatalf("task %s", r.Raw)
		}
		task := fmt.Sprintf("/api/v1/study/tasks/%.0f", r.Body["id"].(float64))
		want(t, f.req("c2leader", "GET", task, nil), http.StatusNotFound, "not_found")
		if r := f.req("c2leader", "GET", "/api/v1/study/tasks", nil); len(r.items()) != 0 {
			t.Fatalf("c2 sees %s", r.Raw)
		}
		if r := f.req("officer", "GET", "/api/v1/study/tasks?mine=1", nil); len(r.items()) != 1 {
			t.Fatalf("officer's tasks %s", r.Raw)
		}

		// too short; unknown fields refused; the city admin is not in the audience
		want(t, f.req("officer", "POST", task+"/reflections", map[string]any{"text": "很有收获。"}), http.StatusBadRequest, "invalid")
		want(t, f.req("officer", "POST", task+"/reflections", `{"text": "x", "score": 1}`), http.StatusBadRequest, "")
		speech := []rune(study.Builtin()[3].Body)
		copied := strings.ReplaceAll(string(speech[400:1400]), "政法", "公安")
		want(t, f.req("cityadmin", "POST", task+"/reflections", map[string]any{"text": copied}), http.StatusForbidden, "not_assigned")

		r = f.req("officer", "POST", task+"/reflections", map[string]any{"text": copied})
		want(t, r, http.StatusCreated, "")
		sim := r.Body["similarity"].(float64)
		ms := r.Body["matches"].([]any)
		m := ms[0].(map[string]any)
		spans := m["spans"].([]any)
		if sim < 0.8 || r.Body["flagged"] != true || m["source"] != "reference:seed-003" || m["score"].(float64) < 0.8 || len(spans) == 0 {
			t.Fatalf("check %s", r.Raw)
		}
		sp := spans[0].(map[string]any)
		for _, k := range []string{"start", "end", "source_start", "source_end"} {
			if _, ok := sp[k].(float64); !ok {
				t.Fatalf("span %v", sp)
			}
		}
		refl := r.Header.Get("Location")
		want(t, f.req("officer", "GET", refl, nil), http.StatusOK, "")
		want(t, f.req("inspector", "GET", refl, nil), http.StatusOK, "")
		want(t, f.req("c2leader", "GET", refl, nil), http.StatusNotFound, "not_found")

		r = f.req("cityadmin", "GET", task, nil)
		want(t, r, http.StatusOK, "")
		c := r.Body["completion"].(map[string]any)["total"].(map[string]any)["total"].(map[string]any)
		if c["assigned"].(float64) != 1 || c["on_time"].(float64) != 1 || c["flagged"].(float64) != 1 {
			t.Fatalf("completion %s", r.Raw)
		}
	})
}
