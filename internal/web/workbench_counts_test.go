package web_test

import (
	"net/url"
	"testing"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// The 工作台 counts are cached, yet a change made here shows on the next view.
func TestWorkbenchCountsFollowChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := fixture(t, db)
		c := loggedIn(t, srv, "admin")
		expect(t, c.get("/"), 200, `id="stat-units">4<`, `id="stat-people">4<`, `<span class="who-unit">青禾省委政法委</span>`)
		expect(t, c.get("/"), 200, `id="stat-units">4<`, `id="stat-people">4<`)
		if r := c.post("/units", url.Values{"code": {"city3"}, "name": {"三市委政法委"}, "parent_code": {"qh"}, "kind": {"city"}}); r.Status != 303 {
			t.Fatalf("create unit: %d\n%s", r.Status, r.Body)
		}
		expect(t, c.get("/"), 200, `id="stat-units">5<`, `id="stat-people">4<`)
		if r := c.post("/users", url.Values{"username": {"newbie"}, "name": {"新人"}, "unit_code": {"city3"},
			"role": {"officer"}, "password": {"new-person-pw-1"}}); r.Status != 303 {
			t.Fatalf("create user: %d\n%s", r.Status, r.Body)
		}
		expect(t, c.get("/"), 200, `id="stat-units">5<`, `id="stat-people">5<`)
		if r := c.post("/units/city3/move", url.Values{"parent_code": {"city1"}}); r.Status != 303 {
			t.Fatalf("move unit: %d\n%s", r.Status, r.Body)
		}
		// the city inspector now reaches the moved unit and its person
		expect(t, loggedIn(t, srv, "inspector1").get("/"), 200, `id="stat-units">3<`, `id="stat-people">3<`)
	})
}
