package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/luoshi/luoshi/internal/org"
	st "github.com/luoshi/luoshi/internal/score/scoretest"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/web/browsertest"
)

// TestBrowserScorecard: the menu opens the card (no JavaScript or CSP error:
// the harness fails on any), a figure's drill-down opens the ledger list of
// exactly the items behind it, the printable page has its print button, and
// at 375 px the card does not overflow the page.
func TestBrowserScorecard(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	srv := fixture(t, db)
	ctx := context.Background()
	county, err := org.UnitByCode(ctx, db.Read, "county1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddItems(ctx, db.Write, st.Join(
		st.Repeat(5, st.Item{UnitID: county.ID, Deadline: "2025-08-20", ClosedOn: "2025-08-10", Title: "按期整改事项"}),
		st.Repeat(2, st.Item{UnitID: county.ID, Deadline: "2025-09-20", Status: "in_progress", Title: "逾期未改事项"}),
	)); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	b.Navigate(srv.URL + "/login")
	if st := b.Submit("#login-form", url.Values{"username": {"inspector1"}, "password": {pw}}); st != http.StatusOK {
		t.Fatalf("login: %d", st)
	}
	if st := b.ClickAndWait(`#menu a[href="/scorecards"]`); st != http.StatusOK {
		t.Fatalf("menu → scorecards: %d", st)
	}
	if st := b.Submit("#score-filter", url.Values{"unit": {"county1"}, "period": {"2025-Q3"}}); st != http.StatusOK {
		t.Fatalf("filter: %d", st)
	}
	if got := b.Text("#part-closure td ul li"); got != "按期销号且未反弹: 5 / 7 (71.4%)" {
		t.Errorf("closure figure %q", got)
	}
	if path := os.Getenv("LUOSHI_SCORE_SHOT"); path != "" { // a look at the page, on demand
		if buf, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(path, buf, 0o644)
		}
	}
	if st := b.ClickAndWait(`#part-closure a.drill`); st != http.StatusOK {
		t.Fatalf("drill-down: %d", st)
	}
	if n := b.Count(`a[href^="/problems/"]`); n < 7 {
		t.Errorf("the drill-down lists %d item links, want the 7 due", n)
	}
	b.Navigate(srv.URL + "/scorecards/print?unit=county1&period=2025-Q3")
	b.Visible("#score-print-now")
	b.Navigate(srv.URL + "/scorecards?unit=county1&period=2025-Q3")
	b.SetViewport(375, 800)
	if over := browsertest.Eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		t.Error("the card overflows at 375 px")
	}
}
