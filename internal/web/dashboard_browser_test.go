package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// TestBrowserDashboard: the 晴雨表 draws its four charts (no JavaScript
// error: the harness fails on any), a click on a bar of the overdue ranking
// and a click on a figure of the tables both open the list with exactly
// those items, and at 375 px nothing overflows.
func TestBrowserDashboard(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv, _ := ledgerFixture(t, db)
	h, insp := newClient(t, srv), newClient(t, srv)
	h.login("handler1")
	insp.login("inspector1")
	dashboardData(t, db, h, insp)
	b := browsertest.New(t)
	b.Navigate(srv.URL + "/login")
	if st := b.Submit("#login-form", url.Values{"username": {"inspector0"}, "password": {pw}}); st != http.StatusOK {
		t.Fatalf("login: %d", st)
	}

	if st := b.ClickAndWait(`#menu a[href="/dashboard"]`); st != http.StatusOK {
		t.Fatalf("menu → dashboard: %d", st)
	}
	if got := b.Text("h1"); got != "晴雨表 · 青禾省委政法委" {
		t.Fatalf("h1 %q", got)
	}
	rendered := func() {
		t.Helper()
		for _, name := range []string{"status", "lights", "children", "weeks"} {
			sel := `.chart[data-chart="` + name + `"]`
			b.Visible(sel + " canvas")
			ok := browsertest.Eval[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector('%s');
				const c = echarts.getInstanceByDom(el), cv = el.querySelector("canvas");
				return !!c && cv.width > 100 && cv.height > 100; })()`, sel))
			if !ok {
				t.Errorf("chart %s is not drawn", name)
			}
		}
	}
	rendered()

	// a click on city1's bar in the ranking chart: its overdue items. The bar
	// is found anew before each try: on a busy machine the chart may still be
	// laying out (or animating) when the first point is computed.
	var status int
	for try := 1; ; try++ {
		pt := browsertest.Eval[struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		}](b, `(() => { const el = document.querySelector('.chart[data-chart="children"]');
		el.scrollIntoView({block: "center"});
		const r = el.getBoundingClientRect(), c = echarts.getInstanceByDom(el);
		const [x, y] = c.convertToPixel({seriesIndex: 0}, [1, 0]);
		return {x: r.left + x, y: r.top + y}; })()`)
		ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
		resp, err := chromedp.RunResponse(ctx, chromedp.MouseClickXY(pt.X, pt.Y))
		cancel()
		if err == nil && resp != nil {
			status = int(resp.Status)
			break
		}
		if try == 3 {
			t.Fatalf("click on the bar at %v: %v", pt, err)
		}
		time.Sleep(time.Second)
	}
	if u := b.URL(); status != http.StatusOK || u != srv.URL+"/problems?light=red&status=active&unit=city1" {
		t.Fatalf("the bar led to %s (%d)", u, status)
	}
	if n := b.Count("#problem-list tbody tr"); n != 2 {
		t.Errorf("city1's overdue list has %d rows, want 2", n)
	}
	if v := browsertest.Eval[string](b, `document.querySelector("#f-status").value`); v != "active" {
		t.Errorf("the list's status filter shows %q", v)
	}

	// a figure of the tables: this week's recorded items
	b.Navigate(srv.URL + "/dashboard")
	rendered()
	const week = `#dash-week-table tbody tr:last-child td:nth-child(2) a`
	want, _ := strconv.Atoi(b.Text(week))
	if want != 4 {
		t.Errorf("this week shows %d recorded items, want 4", want)
	}
	if st := b.ClickAndWait(week); st != http.StatusOK || !strings.Contains(b.URL(), "created_from=") {
		t.Fatalf("week link: %d at %s", st, b.URL())
	}
	if n := b.Count("#problem-list tbody tr"); n != want {
		t.Errorf("the week's list has %d rows, want %d", n, want)
	}

	// a phone: the charts fit, nothing overflows sideways
	b.SetViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch)
	b.Navigate(srv.URL + "/dashboard?unit=city1")
	rendered()
	if w := browsertest.Eval[int](b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the dashboard is %d px wide at 375 px", w)
	}
	if w := browsertest.Eval[int](b, `document.querySelector('.chart[data-chart="weeks"] canvas').getBoundingClientRect().right`); w > 375 {
		t.Errorf("the weekly chart reaches %d px", w)
	}
}
