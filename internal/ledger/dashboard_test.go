package ledger_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

var cst = time.FixedZone("CST", 8*3600)

// boardItem is one constructed item: where it sits and the state it is put in.
type boardItem struct {
	unit, resp, class, source string
	status                    ledger.Status
	light                     string
	supervised                bool
	created                   time.Time
	closedOn                  string
}

// boardItems: the fixture's clock is Monday 2026-11-02 10:00 in Beijing, so
// the current ISO week (2026-W45) began at 2026-11-02 00:00 CST.
var boardItems = []boardItem{
	{"c-k", "c-k-off", "deadline", "inspection", ledger.InProgress, "red", true, time.Date(2026, 11, 2, 9, 0, 0, 0, cst), ""},
	// Sunday 23:30 in Beijing: still the week before
	{"c-k", "c-k-hand", "immediate", "self_check", ledger.Open, "red", false, time.Date(2026, 11, 1, 23, 30, 0, 0, cst), ""},
	{"c", "c-hand", "deadline", "citizen_report", ledger.Open, "yellow", false, time.Date(2026, 10, 20, 12, 0, 0, 0, cst), ""},
	{"c", "c-hand", "longterm", "inspection", ledger.Closed, "green", false, time.Date(2026, 9, 28, 12, 0, 0, 0, cst), "2026-11-02"},
	// created 13 weeks ago: before the series
	{"d", "d-hand", "deadline", "self_check", ledger.Reopened, "red", false, time.Date(2026, 8, 3, 12, 0, 0, 0, cst), ""},
	{"d", "d-hand", "immediate", "inspection", ledger.Pending, "green", true, time.Date(2026, 8, 5, 12, 0, 0, 0, cst), ""},
	// Monday 00:30 in Beijing (Sunday in UTC): this week
	{"p", "p-lead", "deadline", "other", ledger.Draft, "green", false, time.Date(2026, 11, 2, 0, 30, 0, 0, cst), ""},
	{"d", "d-hand", "deadline", "rating", ledger.Closed, "green", false, time.Date(2026, 10, 5, 12, 0, 0, 0, cst), "2026-10-12"},
}

func (f *fixture) boardData(t *testing.T) {
	t.Helper()
	for i, it := range boardItems {
		in := f.input()
		in.UnitCode, in.Responsible, in.Class, in.Source = it.unit, it.resp, it.class, it.source
		in.Title = "晴雨表问题" + string(rune('A'+i))
		pr, err := f.l.Create(ctx, f.p["p-insp"], in)
		if err != nil {
			t.Fatal(err)
		}
		var sup, closed any
		if it.supervised {
			sup = f.now.UnixMilli()
		}
		if it.closedOn != "" {
			closed = it.closedOn
		}
		if _, err := f.db.Write.ExecContext(ctx, `UPDATE problems SET status = $1, light = $2, supervised_at = $3, created_at = $4, closed_on = $5
			WHERE id = $6`, string(it.status), it.light, sup, it.created.UnixMilli(), closed, pr.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func counts(figs []ledger.Figure) map[string]int {
	m := map[string]int{}
	for _, f := range figs {
		m[f.Key] = f.Count
	}
	return m
}

// checkLinks: every figure's filter lists exactly as many items as it counts.
func checkLinks(t *testing.T, f *fixture, p *org.Principal, b ledger.Board) {
	t.Helper()
	var all []ledger.Figure
	all = append(all, b.Total, b.Active, b.Overdue, b.Supervised)
	all = append(all, b.ByStatus...)
	all = append(all, b.ByLight...)
	all = append(all, b.ByClass...)
	all = append(all, b.BySource...)
	for _, c := range b.Children {
		all = append(all, c.Total, c.Active, c.Overdue)
	}
	for _, w := range b.Weeks {
		all = append(all, w.Created, w.Closed)
	}
	for _, fig := range all {
		// through the query string, as a click on the figure sends it
		v, _ := url.ParseQuery(fig.Query())
		flt, err := ledger.ParseFilter(v)
		if err != nil {
			t.Fatalf("%s %q: %v", fig.Key, fig.Query(), err)
		}
		_, n, err := f.l.List(ctx, p, flt)
		if err != nil {
			t.Fatal(err)
		}
		if n != fig.Count {
			t.Errorf("figure %s (%s) counts %d, its list has %d", fig.Key, fig.Query(), fig.Count, n)
		}
	}
}

func TestDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.boardData(t)
		insp := f.p["p-insp"]

		b, err := f.l.Dashboard(ctx, insp, "") // the top of the inspector's scope
		if err != nil {
			t.Fatal(err)
		}
		if b.UnitCode != "p" || b.UnitName != "青禾省委政法委" || b.ParentCode != "" || b.Today != "2026-11-02" {
			t.Fatalf("board of %s %s (parent %q) on %s", b.UnitCode, b.UnitName, b.ParentCode, b.Today)
		}
		if b.Total.Count != 8 || b.Active.Count != 4 || b.Overdue.Count != 3 || b.Supervised.Count != 2 {
			t.Errorf("total %d active %d overdue %d supervised %d, want 8 4 3 2", b.Total.Count, b.Active.Count, b.Overdue.Count, b.Supervised.Count)
		}
		for name, c := range map[string]struct {
			got  []ledger.Figure
			want map[string]int
		}{
			"status": {b.ByStatus, map[string]int{"draft": 1, "open": 2, "in_progress": 1, "pending_verification": 1, "closed": 2, "reopened": 1}},
			"light":  {b.ByLight, map[string]int{"green": 0, "yellow": 1, "red": 3}},
			"class":  {b.ByClass, map[string]int{"immediate": 2, "deadline": 5, "longterm": 1}},
			"source": {b.BySource, map[string]int{"self_check": 2, "inspection": 3, "citizen_report": 1, "rating": 1, "clue": 0, "other": 1}},
		} {
			if got := counts(c.got); !reflect.DeepEqual(got, c.want) {
				t.Errorf("by %s: %v, want %v", name, got, c.want)
			}
		}
		// every key is listed, zeros too, in the catalogue's order
		if len(b.ByStatus) != len(ledger.Statuses) || b.ByStatus[0].Key != "draft" || len(b.BySource) != len(ledger.Sources) {
			t.Errorf("keys: %+v / %+v", b.ByStatus, b.BySource)
		}

		// the ranking: c (2 overdue of 3 active, 4 items), d (1 of 1, 3 items), then p's own item
		type row struct {
			code                   string
			own                    bool
			total, active, overdue int
		}
		var rows []row
		for _, c := range b.Children {
			rows = append(rows, row{c.Code, c.Own, c.Total.Count, c.Active.Count, c.Overdue.Count})
		}
		want := []row{{"c", false, 4, 3, 2}, {"d", false, 3, 1, 1}, {"p", true, 1, 0, 0}}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("children %+v, want %+v", rows, want)
		}
		if q := b.Children[2].Total.Query(); q != "direct=1&unit=p" {
			t.Errorf("own items' link %q", q)
		}

		// twelve ISO weeks, 2026-W34 … 2026-W45
		if len(b.Weeks) != ledger.Weeks || b.Weeks[0].Label != "2026-W34" || b.Weeks[0].From != "2026-08-17" ||
			b.Weeks[11].Label != "2026-W45" || b.Weeks[11].From != "2026-11-02" || b.Weeks[11].To != "2026-11-08" {
			t.Fatalf("weeks %+v … %+v", b.Weeks[0], b.Weeks[len(b.Weeks)-1])
		}
		created, closed := map[string]int{}, map[string]int{}
		for _, w := range b.Weeks {
			if w.Created.Count > 0 {
				created[w.Label] = w.Created.Count
			}
			if w.Closed.Count > 0 {
				closed[w.Label] = w.Closed.Count
			}
		}
		if want := map[string]int{"2026-W45": 2, "2026-W44": 1, "2026-W43": 1, "2026-W41": 1, "2026-W40": 1}; !reflect.DeepEqual(created, want) {
			t.Errorf("created by week %v, want %v", created, want)
		}
		if want := map[string]int{"2026-W45": 1, "2026-W42": 1}; !reflect.DeepEqual(closed, want) {
			t.Errorf("closed by week %v, want %v", closed, want)
		}
		checkLinks(t, f, insp, b)

		// a child unit: its own children and the way back up
		b, err = f.l.Dashboard(ctx, insp, "c")
		if err != nil {
			t.Fatal(err)
		}
		if b.ParentCode != "p" || b.Total.Count != 4 || b.Overdue.Count != 2 || len(b.Children) != 2 ||
			b.Children[0].Code != "c-k" || b.Children[0].Overdue.Count != 2 || !b.Children[1].Own || b.Children[1].Total.Count != 2 {
			t.Errorf("board of c: %+v", b)
		}
		checkLinks(t, f, insp, b)

		// a city inspector: opens on the city and cannot go up
		cinsp := f.p["c-insp"]
		b, err = f.l.Dashboard(ctx, cinsp, "")
		if err != nil || b.UnitCode != "c" || b.ParentCode != "" || b.Total.Count != 4 {
			t.Errorf("city inspector: %s %d (parent %q) %v", b.UnitCode, b.Total.Count, b.ParentCode, err)
		}
		checkLinks(t, f, cinsp, b)
		for _, code := range []string{"p", "d", "nowhere"} {
			if _, err := f.l.Dashboard(ctx, cinsp, code); !notFound(err) {
				t.Errorf("city inspector on %s: %v, want not found", code, err)
			}
		}

		// an officer without ledger rights sees only the items in their charge
		off := f.p["c-k-off"]
		b, err = f.l.Dashboard(ctx, off, "")
		if err != nil || b.UnitCode != "c-k" || b.Total.Count != 1 || b.Overdue.Count != 1 {
			t.Errorf("officer: %s total %d overdue %d %v", b.UnitCode, b.Total.Count, b.Overdue.Count, err)
		}
		checkLinks(t, f, off, b)
		if _, err := f.l.Dashboard(ctx, off, "c"); !notFound(err) {
			t.Errorf("officer on c: %v, want not found", err)
		}
		if _, err := f.l.Dashboard(ctx, nil, "p"); !notFound(err) {
			t.Errorf("nobody: %v", err)
		}
	})
}

func TestFilterRanges(t *testing.T) {
	for _, c := range []struct {
		query, want, errField string
	}{
		{"created_from=2026-11-02&created_to=2026年11月8日", "created_from=2026-11-02&created_to=2026-11-08", ""},
		{"closed_from=2026-10-12&closed_to=2026-10-18&status=closed", "closed_from=2026-10-12&closed_to=2026-10-18&status=closed", ""},
		{"status=active&light=red&unit=c", "light=red&status=active&unit=c", ""},
		{"direct=1&unit=c", "direct=1&unit=c", ""},
		{"direct=1", "", ""}, // direct means nothing without a unit
		{"created_from=last+week", "", "created_from"},
		{"closed_to=2026-13-01", "", "closed_to"},
		{"status=busy", "", "status"},
	} {
		v, _ := url.ParseQuery(c.query)
		f, err := ledger.ParseFilter(v)
		if c.errField != "" {
			if e := apperr.As(err); e == nil || e.Field != c.errField {
				t.Errorf("%s: %v, want an error on %s", c.query, err, c.errField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got := f.Values().Encode(); got != c.want {
			t.Errorf("%s → %s, want %s", c.query, got, c.want)
		}
	}
	if !strings.Contains(ledger.Filter{Status: ledger.StatusActive}.Values().Encode(), "status=active") {
		t.Error("active status lost")
	}
}

func notFound(err error) bool {
	e := apperr.As(err)
	return e != nil && e.Kind == apperr.NotFound
}
