package ledger_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// An item linked to another capability's record closes only when that
// capability's check agrees, at the request and again at the verification.
func TestCloseCheckOfLinkedItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		hand, off, insp := f.p["c-hand"], f.p["c-k-off"], f.p["p-insp"]
		allowed := false
		var seen string
		f.l.OnClose("rating", func(ctx context.Context, tx *sql.Tx, pr *ledger.Problem) error {
			seen = pr.OriginRef
			if !allowed {
				return apperr.New(apperr.Conflict, "visit_required", "", "err.rating.visit_required", pr.OriginRef)
			}
			return nil
		})
		in := f.input()
		in.Source, in.OriginType, in.OriginRef = "rating", "rating", "PJ-2026-000001"
		linked, err := f.l.Create(ctx, hand, in)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := f.l.Create(ctx, hand, f.input())
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.l.RequestClose(ctx, off, linked.ID, ledger.CloseInput{Note: "已整改", Files: []ledger.Upload{pngFile(t)}})
		wantErr(t, err, "err.rating.visit_required")
		if seen != "PJ-2026-000001" {
			t.Fatalf("the check saw %q", seen)
		}
		if pr, _ := f.l.Get(ctx, insp, linked.ID); pr.Status != ledger.Open || pr.EvidenceCount != 0 {
			t.Fatalf("a refused request changed the item: %+v", pr)
		}
		// items of other origins are not asked about
		if _, err := f.l.RequestClose(ctx, off, plain.ID, ledger.CloseInput{Note: "已整改", Files: []ledger.Upload{pngFile(t)}}); err != nil {
			t.Fatal(err)
		}
		allowed = true
		if _, err := f.l.RequestClose(ctx, off, linked.ID, ledger.CloseInput{Note: "已整改", Files: []ledger.Upload{pngFile(t)}}); err != nil {
			t.Fatal(err)
		}
		allowed = false // the condition lapsed before the verification
		_, err = f.l.Verify(ctx, insp, linked.ID, true, "")
		wantErr(t, err, "err.rating.visit_required")
		// refusing the request needs no check
		if _, err := f.l.Verify(ctx, insp, linked.ID, false, "证据不足"); err != nil {
			t.Fatal(err)
		}
		st, err := ledger.StatusesOf(ctx, db.Read, []int64{linked.ID, plain.ID, 999})
		if err != nil || st[linked.ID] != ledger.InProgress || st[plain.ID] != ledger.Pending || len(st) != 2 {
			t.Fatalf("statuses %v %v", st, err)
		}
		nums, err := ledger.NumbersOf(ctx, db.Read, []int64{linked.ID, 999})
		if err != nil || nums[linked.ID] != linked.Number || len(nums) != 1 {
			t.Fatalf("numbers %v %v", nums, err)
		}
	})
}
