package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// dashboardData adds a province inspector (inspector0) to the ledger fixture
// and records items: three in county1, one in city1; two are made red.
func dashboardData(t *testing.T, db *store.DB, h, insp *client) {
	t.Helper()
	if _, err := org.CreateUser(context.Background(), db, setup, org.UserInput{Username: "inspector0", Name: "省督察",
		UnitCode: "qh", Roles: []org.RoleGrant{{Role: "inspector"}}, Password: pw}); err != nil {
		t.Fatal(err)
	}
	var red []string
	for i, title := range []string{"窗口推诿", "执行超期", "案件积压"} {
		loc := createProblem(t, h, openForm(title))
		if i < 2 {
			red = append(red, strings.TrimPrefix(loc, "/problems/"))
		}
	}
	f := openForm("市级督办问题")
	f.Set("unit_code", "city1")
	createProblem(t, insp, f)
	// past the deadline (the daily job would light them red; here it is set directly)
	if _, err := db.Write.ExecContext(context.Background(), `UPDATE problems SET light = 'red' WHERE id IN (`+strings.Join(red, ",")+`)`); err != nil {
		t.Fatal(err)
	}
}

// figureLink finds the figures on a dashboard page: each link to the list
// with the count it shows.
var figureLink = regexp.MustCompile(`href="(/problems\?[^"]*)" class="dash-n[^"]*"(?: data-key="[^"]*")? data-count="(\d+)"`)

// listCount is the number of items a list page shows (all on one page here).
func listCount(t *testing.T, c *client, link string) int {
	t.Helper()
	r := c.get(link)
	if r.Status != http.StatusOK {
		t.Fatalf("%s: %d\n%s", link, r.Status, r.Body)
	}
	return strings.Count(r.Body, `class="problem-row"`)
}

func TestDashboardPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, _ := ledgerFixture(t, db)
		h := loggedIn(t, srv, "handler1")
		dashboardData(t, db, h, loggedIn(t, srv, "inspector1"))

		p := loggedIn(t, srv, "inspector0")
		r := p.get("/dashboard")
		expect(t, r, 200, `<h1>晴雨表 · <span id="dash-unit">青禾省委政法委</span></h1>`, `href="/dashboard" aria-current="page"`, "晴雨表",
			`id="dash-form"`, `hx-get="/units/picker?field=unit"`, `value="qh"`,
			`id="dash-total" href="/problems?unit=qh"><span class="stat-n">4<`,
			`id="dash-overdue" href="/problems?light=red&status=active&unit=qh"><span class="stat-n">2<`,
			`id="dash-active" href="/problems?status=active&unit=qh"><span class="stat-n">4<`,
			`data-chart="status"`, `data-chart="lights"`, `data-chart="children"`, `data-chart="weeks"`,
			`<script src="/static/vendor/echarts-5.6.0.min.js" defer></script>`, `<script src="/static/dashboard.js" defer></script>`,
			`href="/dashboard?unit=city1" class="dash-drill">一市委政法委</a>`, `href="/dashboard?unit=city2" class="dash-drill">二市委政法委</a>`,
			"下级单位超期排名", "近 12 周新增与销号", "按整改类别", "按问题来源", "50%")
		// the ranking: city1 (2 overdue of 4) before city2 (none)
		if i, j := strings.Index(r.Body, "unit=city1\" class=\"dash-drill"), strings.Index(r.Body, "unit=city2\" class=\"dash-drill"); i < 0 || j < i {
			t.Error("city1 is not ranked before city2")
		}
		// the charts' data is JSON in a data block (no inline script)
		m := regexp.MustCompile(`<script type="application/json" id="dash-data">(.*?)</script>`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatal("no chart data block")
		}
		var chart struct {
			Children struct {
				Labels []string `json:"labels"`
				Values []int    `json:"values"`
				Links  []string `json:"links"`
			} `json:"children"`
			Created struct {
				Values []int `json:"values"`
			} `json:"created"`
		}
		if err := json.Unmarshal([]byte(m[1]), &chart); err != nil {
			t.Fatalf("chart data: %v\n%s", err, m[1])
		}
		if len(chart.Children.Labels) != 2 || chart.Children.Labels[0] != "一市委政法委" || chart.Children.Values[0] != 2 ||
			chart.Children.Links[0] != "/problems?light=red&status=active&unit=city1" {
			t.Errorf("children series %+v", chart.Children)
		}
		if n := len(chart.Created.Values); n != 12 || chart.Created.Values[11] != 4 {
			t.Errorf("created per week %v, want 4 this week", chart.Created.Values)
		}

		// every figure's link lists exactly as many items as it shows
		figs := figureLink.FindAllStringSubmatch(r.Body, -1)
		if len(figs) < 30 {
			t.Fatalf("only %d figure links", len(figs))
		}
		for _, f := range figs {
			link := html.UnescapeString(f[1])
			want, _ := strconv.Atoi(f[2])
			if got := listCount(t, p, link); got != want {
				t.Errorf("%s shows %d items, the dashboard says %d", link, got, want)
			}
		}
		// the list keeps the dashboard's filters on its form
		expect(t, p.get("/problems?created_from="+day(-1)+"&created_to="+day(1)+"&unit=city1&direct=1"), 200,
			`name="created_from" value="`+day(-1)+`"`, `name="direct" value="1" checked`, "市级督办问题")

		// drilling down: city1, with the way back up
		expect(t, p.get("/dashboard?unit=city1"), 200, `<span id="dash-unit">一市委政法委</span>`, `id="dash-crumbs"`,
			`href="/dashboard?unit=qh">青禾省委政法委</a>`, `href="/dashboard?unit=county1" class="dash-drill"`, "一市委政法委(本级)")

		// a city inspector opens on the city; above it or beside it nothing is found
		c := loggedIn(t, srv, "inspector1")
		r = c.get("/dashboard")
		expect(t, r, 200, `<span id="dash-unit">一市委政法委</span>`)
		if strings.Contains(r.Body, `id="dash-crumbs"`) {
			t.Error("the city inspector is offered the province")
		}
		for _, u := range []string{"qh", "city2", "no-such-unit"} {
			r = c.get("/dashboard?unit=" + u)
			expect(t, r, 404, "找不到单位“"+u+"”,或您无权查看该单位。", `class="field-error"`)
			if strings.Contains(r.Body, `id="dash-total"`) {
				t.Errorf("figures shown for %s", u)
			}
		}

		// no ledger rights: no menu entry
		o := loggedIn(t, srv, "officer1")
		if r := o.get("/"); strings.Contains(r.Body, `href="/dashboard"`) {
			t.Error("an officer's menu offers the dashboard")
		}
		expect(t, o.get("/dashboard"), 200, `id="dash-total" href="/problems?unit=city2"><span class="stat-n">0<`)

		// English
		p.c.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "luoshi_lang", Value: "en"}})
		expect(t, p.get("/dashboard?unit=city1"), 200, "<h1>Dashboard · ", "Overdue ranking of the units below", "Recorded and closed, last 12 weeks")
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
