package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/luoshi/luoshi/internal/attach"
	"github.com/luoshi/luoshi/internal/calendar"
	"github.com/luoshi/luoshi/internal/demo"
	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/report"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/vault"
)

func calendarToday() string { return calendar.FormatDay(calendar.Today(time.Now())) }

// demoChannel loads the demo's organisation and returns its reporting
// channel, sealing with a fresh vault key, and its ledger.
func demoChannel(t *testing.T, db *store.DB) (*report.Reports, *ledger.Ledger) {
	t.Helper()
	if _, err := demo.Load(context.Background(), db, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v, err := vault.LoadKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(db, attach.New(dir))
	return report.New(db, dir, report.VaultSealer{V: v}, report.Scrubbed), l
}
