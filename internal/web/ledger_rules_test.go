package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

func TestLedgerRulesSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		a := loggedIn(t, srv, "admin")
		expect(t, a.get("/settings"), 200, `id="ledger-rules-form"`, `name="yellow_days"`, `value="90"`)
		form := url.Values{"yellow_days": {"5"}, "lag_points": {"25"}, "remind_days": {"4"}, "grace_days": {"3"},
			"max_extensions": {"1"}, "review_days_immediate": {"30"}, "review_days_deadline": {"60"}, "review_days_longterm": {"180"}}
		r := a.post("/settings/ledger-rules", form)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", r.Status, r.Body)
		}
		expect(t, a.get("/settings"), 200, `value="180"`, `value="25"`)
		// a value out of range, and one that is not a number, are refused on the field
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("max_extensions", "11")
		expect(t, a.post("/settings/ledger-rules", bad), 400, "该值应在 0 到 10 之间。")
		bad.Set("max_extensions", "两次")
		expect(t, a.post("/settings/ledger-rules", bad), 400, "请填写整数。")
		// only an administrator of the whole tree
		expect(t, loggedIn(t, srv, "inspector1").post("/settings/ledger-rules", form), 403)
	})
}
