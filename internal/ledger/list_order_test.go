package ledger_test

import (
	"slices"
	"testing"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestListDeadlineRangeOrder: a deadline range in the default order is read
// in branches on PostgreSQL (list.go); its pages, at every offset, must be
// the export's order (one plain ORDER BY) cut into pages.
func TestListDeadlineRangeOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for i, d := range []string{"2026-11-10", "2026-11-12", "2026-11-12", "2026-11-20", "2026-11-25", "2026-12-05", "2026-11-12"} {
			in := f.input()
			in.Title, in.Deadline = "期限问题"+string(rune('A'+i)), d
			pr, err := f.l.Create(ctx, f.p["p-insp"], in)
			if err != nil {
				t.Fatal(err)
			}
			if i%3 == 1 { // some closed: they sort after the work still owed
				if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET status = 'closed' WHERE id = $1`, pr.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, lf := range []ledger.Filter{
			{DeadlineFrom: "2026-11-11", DeadlineTo: "2026-11-30"},
			{DeadlineFrom: "2026-11-11"},
			{DeadlineTo: "2026-11-20", Status: ledger.StatusActive},
			{DeadlineFrom: "2026-11-01", Status: "closed"},
		} {
			checkPages(t, f, lf, []int{1, 2, 50})
		}
	})
}

// TestListStatusWalkOrder: a unit subtree with one status in the default
// order may be read by walking the status's order index (list.go,
// walkPage); its pages must be the export's order cut into pages, with
// items of other subtrees, other statuses and without a deadline about.
func TestListStatusWalkOrder(t *testing.T) {
	defer ledger.WalkMin(0)()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for i := range 24 {
			in := f.input()
			in.Title = "状态问题" + string(rune('A'+i))
			in.Deadline = []string{"2026-11-10", "2026-11-12", "2026-11-20", "2026-12-05"}[i%4]
			if i%5 == 2 {
				in.UnitCode, in.Responsible = "d", "d-hand"
			}
			pr, err := f.l.Create(ctx, f.p["p-insp"], in)
			if err != nil {
				t.Fatal(err)
			}
			status := []string{"in_progress", "closed", "in_progress"}[i%3]
			if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET status = $1 WHERE id = $2`, status, pr.ID); err != nil {
				t.Fatal(err)
			}
			if i%7 == 3 { // without a deadline: after the others
				if _, err := db.Write.ExecContext(ctx, `UPDATE problems SET deadline = NULL WHERE id = $1`, pr.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, lf := range []ledger.Filter{
			{Unit: "c", Status: "in_progress"},
			{Unit: "c", Status: "closed"},
			{Unit: "d", Status: "in_progress"},
			{Unit: "c-k", Status: "in_progress"},
		} {
			checkPages(t, f, lf, []int{1, 2, 3, 50})
		}
	})
}

// checkPages lists lf page by page for every page size and compares the
// pages, joined, with the export's order (Each).
func checkPages(t *testing.T, f *fixture, lf ledger.Filter, sizes []int) {
	t.Helper()
	var want []int64
	if err := f.l.Each(ctx, f.p["p-insp"], lf, func(pr ledger.Problem) error {
		want = append(want, pr.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		var got []int64
		for off := 0; off < len(want)+1; off += size {
			lf.Offset, lf.Limit = off, size
			page, total, err := f.l.List(ctx, f.p["p-insp"], lf)
			if err != nil || total != len(want) {
				t.Fatalf("%+v: total %d (%v), want %d", lf, total, err, len(want))
			}
			for _, pr := range page {
				got = append(got, pr.ID)
			}
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%+v pages of %d: %v, want %v", lf, size, got, want)
		}
	}
}
