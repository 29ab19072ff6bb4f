package report

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/audit"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store/storetest"
	"github.com/luoshi/luoshi/internal/vault"
)

// TestBatchFallsBackOneByOne: when a batch's multi-row statements fail (here
// two submissions drew the same receipt), the batch is written again one
// submission at a time; the one that fails fails alone and asks for a fresh
// receipt, the others are committed once, with their audit entries.
func TestBatchFallsBackOneByOne(t *testing.T) {
	ctx := context.Background()
	for _, d := range storetest.Engines(t) {
		t.Run(string(d), func(t *testing.T) {
			db := storetest.Open(t, d)
			admin := &org.Principal{Username: "setup", Grants: []org.Grant{{Role: org.RoleAdmin, ScopePath: "/"}}}
			u, err := org.CreateUnit(ctx, db, admin, org.UnitInput{Code: "k1", Name: "一县委政法委", Kind: "county"})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			v, err := vault.LoadKey(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			r := New(db, filepath.Join(dir, "attachments"), VaultSealer{V: v}, nil)
			today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			mk := func(receipt string) *pending {
				p := &pending{in: Input{Category: "work", UnitCode: "k1"}, unitID: u.ID, handling: u.ID, receipt: receipt,
					keyHash: HashKey(NewKey()), ackDue: "2026-12-08", today: today}
				if p.wrapped, err = r.Seal.NewKey(); err != nil {
					t.Fatal(err)
				}
				if p.sealed, err = r.sealJSON(p.wrapped, receipt, "content", Sealed{Subject: "s", Content: "c"}); err != nil {
					t.Fatal(err)
				}
				return p
			}
			batch := []*pending{mk("111111111111"), mk("222222222222"), mk("111111111111")}
			r.commitBatch(batch)
			if batch[0].err != nil || batch[1].err != nil || !errors.Is(batch[2].err, errCollision) {
				t.Fatalf("errors: %v, %v, %v", batch[0].err, batch[1].err, batch[2].err)
			}
			if batch[0].number == batch[1].number || batch[0].number == "" {
				t.Fatalf("numbers %q %q", batch[0].number, batch[1].number)
			}
			var n, events int
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM reports`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("reports: %d, %v", n, err)
			}
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM report_events`).Scan(&events); err != nil || events != 2 {
				t.Fatalf("events: %d, %v", events, err)
			}
			if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'report.submit'`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("audit entries: %d, %v", n, err)
			}
			if _, err := audit.Verify(ctx, db); err != nil {
				t.Fatal(err)
			}
		})
	}
}
