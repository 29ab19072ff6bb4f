package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/score"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/warn"
)

// TestScorecardSnapshotPages: the current quarter's card and flags come
// from the job's snapshot, say when they were computed, and an
// administrator (not a handler) may ask for a recompute.
func TestScorecardSnapshotPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		ctx := context.Background()
		county, err := org.UnitByCode(ctx, db.Read, "county1")
		if err != nil {
			t.Fatal(err)
		}
		cur := score.Containing(score.Quarter, time.Now().In(time.FixedZone("CST", 8*3600)))
		if _, err := st.AddItems(ctx, db.Write, st.Repeat(6, st.Item{UnitID: county.ID, Deadline: cur.FromDay(), ClosedOn: cur.FromDay()})); err != nil {
			t.Fatal(err)
		}
		admin, handler := loggedIn(t, srv, "admin"), loggedIn(t, srv, "handler1")
		// a new deployment: computed on read
		expect(t, admin.get("/scorecards?unit=county1"), 200, "6 / 6")
		if _, err := score.New(db).RefreshSnapshots(ctx, false); err != nil {
			t.Fatal(err)
		}
		if _, err := warn.New(db).RefreshSnapshots(ctx, false); err != nil {
			t.Fatal(err)
		}
		expect(t, admin.get("/scorecards?unit=county1"), 200, "6 / 6", `id="score-computed"`, "后台每15分钟重算", `id="recompute-form"`)
		r := handler.get("/scorecards?unit=county1")
		expect(t, r, 200, `id="score-computed"`)
		if strings.Contains(r.Body, "recompute-form") {
			t.Error("the handler is offered the recompute")
		}
		expect(t, handler.post("/scorecards/recompute", url.Values{"unit": {"county1"}}), http.StatusForbidden)
		if r := admin.post("/scorecards/recompute", url.Values{"unit": {"county1"}, "period": {cur.Key}}); r.Status != http.StatusSeeOther {
			t.Fatalf("recompute: %d\n%s", r.Status, r.Body)
		}
		expect(t, admin.get("/scorecards?unit=county1&period="+cur.Key), 200, "已于", "请求重算")
		expect(t, admin.get("/warnings?unit=city1"), 200, `id="warn-computed" data-computed-at=`, "撤销立即生效", `id="warn-recompute"`, "已于")

		var body struct {
			Computed *struct {
				ComputedAt int64 `json:"computed_at"`
				Units      int   `json:"units"`
			} `json:"computed"`
		}
		r = admin.get("/api/v1/scorecards?unit=county1")
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Computed == nil || body.Computed.ComputedAt == 0 || body.Computed.Units != 4 {
			t.Fatalf("api: %d %s", r.Status, r.Body)
		}
		r = admin.get("/api/v1/warnings?unit=city1")
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Computed == nil {
			t.Fatalf("api warnings: %d %s", r.Status, r.Body)
		}
	})
}
