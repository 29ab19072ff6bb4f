package search_test

import (
	"slices"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestLedgerTextMatch: the ledger list's q filter narrowed by the index
// gives exactly the rows and totals of the plain LIKE, for every reader,
// for word fragments cut at either edge, mixed case and full-width text,
// items written after the index's last sync (more than a search's sync
// indexes) and items whose indexed title is out of date.
func TestLedgerTextMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		fill(t, e)
		e.problem(t, "号1", "k1-ga", "Wifi信号差 WT-Q-0012345", "", "")
		e.problem(t, "号2", "k1-court", "物业 收费不合理", "", "")
		e.problem(t, "号3", "c2", "小区一米阳光大道噪音", "", "ga-handler")
		if _, err := e.ix.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		// after the sync: a backlog larger than a search's own sync, and an
		// item whose indexed title no longer holds
		e.ix.Batch = 1
		for i, title := range []string{"新写入的拆迁事项", "WT-Q-0012399 新写入", "又一个A3区物业问题", "第四个拆迁"} {
			e.problem(t, "新"+string(rune('a'+i)), "k1-ga", title, "", "")
		}
		if _, err := e.l.Update(ctx, writer, e.ids["problem:号2"], ledger.Input{Title: "物业 停车", Source: "self_check", Class: "immediate",
			UnitCode: "k1-court", Draft: true}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)

		plain := *e.l
		plain.TextMatch = nil
		indexed := *e.l
		indexed.TextMatch = e.ix.ProblemMatch
		narrowed := 0
		for _, q := range []string{"拆迁", "补偿款", "WT-Q-00123", "T-Q-0012", "00123", "wifi", "WiFi", "ＷｉＦｉ", "A3区", "区",
			"阳光小", "物业 收费", "物业", "Q-0", "%", "_", "拆", `"一米`, "新写入", "收费", "停车", "问题", "WT"} {
			if _, ok := e.ix.ProblemMatch(ctx, q, func(any) string { return "$1" }); ok {
				narrowed++
			}
			for _, who := range []string{"inspector", "jj-county", "judge", "ga-handler", "inspector-c2"} {
				p := e.p(t, who)
				f := ledger.Filter{Q: q, Limit: 200}
				want, wantN, err := plain.List(ctx, p, f)
				if err != nil {
					t.Fatal(err)
				}
				got, gotN, err := indexed.List(ctx, p, f)
				if err != nil {
					t.Fatalf("%s %q: %v", who, q, err)
				}
				if gotN != wantN || !slices.EqualFunc(got, want, func(a, b ledger.Problem) bool { return a.ID == b.ID }) {
					t.Errorf("%s %q: index %d %v, LIKE %d %v", who, q, gotN, ids(got), wantN, ids(want))
				}
			}
		}
		if narrowed < 10 {
			t.Errorf("the index narrowed only %d queries", narrowed)
		}
	})
}

func ids(ps []ledger.Problem) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}
