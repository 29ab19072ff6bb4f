package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/org"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestScorecardPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		ctx := context.Background()
		county, err := org.UnitByCode(ctx, db.Read, "county1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddItems(ctx, db.Write, st.Repeat(6, st.Item{UnitID: county.ID, Deadline: "2025-08-20", ClosedOn: "2025-08-10"})); err != nil {
			t.Fatal(err)
		}
		insp, admin, handler, officer := loggedIn(t, srv, "inspector1"), loggedIn(t, srv, "admin"), loggedIn(t, srv, "handler1"), loggedIn(t, srv, "officer1")

		card := "/scorecards?unit=county1&period=2025-Q3"
		expect(t, insp.get(card), 200, "一县委政法委", "整改质量", "按期销号且未反弹", "6 / 6", "样本不足", "v1",
			`/problems?deadline_from=2025-07-01&deadline_to=2025-09-30&unit=county1`)
		expect(t, insp.get("/scorecards?unit=county1&period=2025-Q9"), http.StatusBadRequest, "期间“2025-Q9”格式不正确")
		expect(t, handler.get("/scorecards?unit=city2&period=2025-Q3"), http.StatusNotFound)
		expect(t, officer.get("/scorecards"), http.StatusForbidden)
		expect(t, insp.get("/scorecards/print?unit=county1&period=2025-Q3"), 200, "述职评议考核", "data-print")

		// the export opens as a workbook with the card and its history
		r := insp.get("/scorecards/export.xlsx?unit=county1&period=2025-Q3")
		if r.Status != 200 {
			t.Fatalf("export: %d", r.Status)
		}
		x, err := excelize.OpenReader(bytes.NewReader([]byte(r.Body)))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("民标")
		if len(rows) < 10 || !strings.Contains(strings.Join(rows[0], " "), "一县委政法委") {
			t.Errorf("sheet rows %v", rows)
		}
		if hist, _ := x.GetRows("历次得分"); len(hist) != 7 {
			t.Errorf("history rows %d", len(hist))
		}

		// the formula: only the root admin edits; a bad sum is refused on the form
		expect(t, insp.post("/scorecards/formula", url.Values{"weight_people": {"40"}}), http.StatusForbidden)
		form := url.Values{"weight_people": {"50"}, "weight_closure": {"25"}, "weight_response": {"15"}, "weight_lasting": {"10"},
			"weight_study": {"10"}, "min_people": {"10"}, "min_closure": {"5"}, "min_response": {"5"}, "min_lasting": {"3"},
			"min_study": {"5"}, "rectify_share": {"25"}, "min_coverage": {"50"}, "note": {"试行"}}
		expect(t, admin.post("/scorecards/formula", form), http.StatusBadRequest, "各部分权重之和须为100,现为110。")
		form.Set("weight_people", "40")
		form.Set("weight_closure", "25")
		form.Set("min_closure", "3")
		if r := admin.post("/scorecards/formula", form); r.Status != http.StatusSeeOther {
			t.Fatalf("formula: %d\n%s", r.Status, r.Body)
		}
		expect(t, insp.get("/scorecards/formula"), 200, "现行公式:第2版。", "试行")

		// publishing: not for a city inspector; the root admin publishes once, then must confirm a republish
		pub := url.Values{"unit": {"county1"}, "period": {"2025-Q3"}}
		expect(t, insp.post("/scorecards/publish", pub), http.StatusForbidden)
		if r := admin.post("/scorecards/publish", pub); r.Status != http.StatusSeeOther {
			t.Fatalf("publish: %d\n%s", r.Status, r.Body)
		}
		expect(t, insp.get(card), 200, "发布(第1次)", "v2")
		expect(t, admin.post("/scorecards/publish", pub), http.StatusConflict, "已按第2版公式发布")

		// the API: parts with inputs, the formula version, the publication
		r = insp.get("/api/v1/scorecards?unit=county1&period=2025-Q3")
		var body struct {
			Unit           string `json:"unit"`
			FormulaVersion int    `json:"formula_version"`
			Published      *struct {
				Revision int `json:"revision"`
			} `json:"published"`
			Parts []struct {
				Key     string `json:"key"`
				Enough  bool   `json:"enough"`
				Figures []struct {
					Key string `json:"key"`
					Num int    `json:"numerator"`
					Den int    `json:"denominator"`
				} `json:"figures"`
			} `json:"parts"`
			History []struct {
				Period string `json:"period"`
			} `json:"history"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.Status != 200 {
			t.Fatalf("api: %d %s", r.Status, r.Body)
		}
		if body.Unit != "county1" || body.FormulaVersion != 2 || body.Published == nil || len(body.Parts) != 5 || len(body.History) != 6 {
			t.Errorf("api body %+v", body)
		}
		if c := body.Parts[1]; c.Key != "closure" || !c.Enough || c.Figures[0].Num != 6 || c.Figures[0].Den != 6 {
			t.Errorf("closure part %+v", c)
		}
		if body.Parts[0].Enough || body.Parts[4].Enough {
			t.Errorf("people or study counted on no data: %+v", body.Parts)
		}
		expect(t, handler.get("/api/v1/scorecards?unit=city2&period=2025-Q3"), http.StatusNotFound)
		expect(t, insp.get("/api/v1/scorecards?unit=county1&period=Q3"), http.StatusBadRequest)
	})
}

func TestWarningPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		ctx := context.Background()
		county, err := org.UnitByCode(ctx, db.Read, "county1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddItems(ctx, db.Write, st.Repeat(2, st.Item{UnitID: county.ID, Deadline: "2025-10-30", Status: "reopened",
			Reopens: 1, ReopenedOn: "2025-08-30", Title: "窗口推诿问题"})); err != nil {
			t.Fatal(err)
		}
		insp, handler := loggedIn(t, srv, "inspector1"), loggedIn(t, srv, "handler1")
		page := "/warnings?unit=city1&period=2025-Q3"
		expect(t, insp.get(page), 200, "回头看问题反弹", "本期回头看发现2件已销号问题反弹。", "窗口推诿问题", `action="/warnings/dismiss"`)
		// the unit's own handler reads its flags but cannot dismiss them
		r := handler.get("/warnings?unit=county1&period=2025-Q3")
		expect(t, r, 200, "回头看问题反弹")
		if strings.Contains(r.Body, `action="/warnings/dismiss"`) {
			t.Error("the handler is offered the dismissal")
		}
		form := url.Values{"scope": {"city1"}, "period": {"2025-Q3"}, "unit": {"county1"}, "kind": {"reopened"}, "subject": {"2025-Q3"}, "reason": {"太短"}}
		expect(t, handler.post("/warnings/dismiss", form), http.StatusForbidden)
		expect(t, insp.post("/warnings/dismiss", form), http.StatusBadRequest, "请写明撤销预警的理由")
		form.Set("reason", "两件均为群众新诉求,已另行立项,非原问题反弹")
		if r := insp.post("/warnings/dismiss", form); r.Status != http.StatusSeeOther {
			t.Fatalf("dismiss: %d\n%s", r.Status, r.Body)
		}
		expect(t, insp.get(page), 200, "已撤销:两件均为群众新诉求,已另行立项,非原问题反弹(inspector1")

		r = insp.get("/api/v1/warnings?unit=city1&period=2025-Q3")
		var body struct {
			Flags []struct {
				Kind      string `json:"kind"`
				Unit      string `json:"unit"`
				Dismissed *struct {
					Reason string `json:"reason"`
				} `json:"dismissed"`
				Evidence []struct {
					Link string `json:"link"`
				} `json:"evidence"`
			} `json:"flags"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || len(body.Flags) != 1 {
			t.Fatalf("api: %d %s", r.Status, r.Body)
		}
		if f := body.Flags[0]; f.Kind != "reopened" || f.Unit != "county1" || f.Dismissed == nil || len(f.Evidence) != 2 {
			t.Errorf("api flag %+v", f)
		}
		expect(t, handler.get("/api/v1/warnings?unit=city2"), http.StatusNotFound)
	})
}
