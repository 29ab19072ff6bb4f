package ledger_test

import (
	"reflect"
	"testing"

	"github.com/luoshi/luoshi/internal/ledger"
	"github.com/luoshi/luoshi/internal/org"
	"github.com/luoshi/luoshi/internal/store"
	"github.com/luoshi/luoshi/internal/store/storetest"
)

// TestTallyMatchesLive changes items in every way that moves a count (new
// items one by one and many in one statement, status, light, class, source,
// supervision, unit, recording and closing days, deletion, moving a unit) and
// after each step compares every dashboard the maintained counts answer with
// the same dashboard counted live, before and after compaction.
func TestTallyMatchesLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.boardData(t)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.Write.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		unitID := func(code string) int64 {
			var id int64
			if err := db.Read.QueryRowContext(ctx, `SELECT id FROM units WHERE code = $1`, code).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		check := func(step string) {
			t.Helper()
			for _, c := range []struct{ who, unit string }{
				{"p-insp", "p"}, {"p-insp", "c"}, {"p-insp", "c-k"}, {"p-insp", "d"}, {"c-lead", "c"}, {"c-insp", "c-k"},
			} {
				for _, compact := range []bool{false, true} {
					if compact {
						if err := f.l.CompactTally(ctx); err != nil {
							t.Fatalf("%s: compact: %v", step, err)
						}
					}
					got, gotErr := f.l.Dashboard(ctx, f.p[c.who], c.unit)
					ledger.LiveCounts(true)
					want, wantErr := f.l.Dashboard(ctx, f.p[c.who], c.unit)
					ledger.LiveCounts(false)
					// A move can take a unit out of someone's reach; both
					// ways of counting must then refuse alike.
					if gotErr != nil || wantErr != nil {
						if gotErr == nil || wantErr == nil || gotErr.Error() != wantErr.Error() {
							t.Errorf("%s: %s on %s: maintained err %v, live err %v", step, c.who, c.unit, gotErr, wantErr)
						}
						continue
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s: %s on %s (compacted %v):\nmaintained %+v\nlive       %+v", step, c.who, c.unit, compact, got, want)
					}
				}
			}
			// the lists' totals, which the maintained counts answer for
			// these filters, against the items counted
			for _, compact := range []bool{false, true} {
				if compact {
					if err := f.l.CompactTally(ctx); err != nil {
						t.Fatalf("%s: compact: %v", step, err)
					}
				}
				for _, who := range []string{"p-insp", "c-lead", "c-insp", "c-k-hand", "d-hand", "c-k-off"} {
					for _, lf := range listFilters {
						_, got, gotErr := f.l.List(ctx, f.p[who], lf)
						ledger.LiveCounts(true)
						_, want, wantErr := f.l.List(ctx, f.p[who], lf)
						ledger.LiveCounts(false)
						if (gotErr == nil) != (wantErr == nil) || got != want {
							t.Errorf("%s: %s, list %+v (compacted %v): total %d (%v), counted %d (%v)", step, who, lf, compact, got, gotErr, want, wantErr)
						}
					}
				}
			}
		}
		check("created")
		exec(`UPDATE problems SET status = 'in_progress', light = 'yellow' WHERE status = 'open'`)
		check("status and light of several")
		exec(`UPDATE problems SET class = 'longterm', source = 'other', supervised_at = NULL WHERE unit_id = $1`, unitID("c-k"))
		check("class, source, supervision")
		exec(`UPDATE problems SET supervised_at = 1 WHERE unit_id = $1`, unitID("d"))
		check("supervised")
		exec(`UPDATE problems SET unit_id = $1 WHERE unit_id = $2`, unitID("c-k"), unitID("d"))
		check("moved to another unit")
		exec(`UPDATE problems SET closed_on = '2026-10-27', status = 'closed' WHERE status = 'in_progress'`)
		exec(`UPDATE problems SET created_at = created_at - 86400000`)
		check("closed and recorded days")
		exec(`UPDATE problems SET closed_on = NULL, status = 'reopened' WHERE closed_on = '2026-11-02'`)
		check("reopened")
		// many in one statement, as an import writes them
		exec(`INSERT INTO problems (id, number, title, source, class, unit_id, start_day, status, light, created_by, created_at, updated_at, closed_on)
			SELECT id + 1000, number || '-x', title, source, class, unit_id, start_day, status, light, created_by, created_at, updated_at, closed_on FROM problems`)
		check("bulk insert")
		if _, err := org.MoveUnit(ctx, db, org.SystemPrincipal(), "c-k", "d"); err != nil {
			t.Fatal(err)
		}
		check("unit moved")
		exec(`DELETE FROM problems WHERE id > 1000 AND status = 'closed'`)
		check("deleted")
	})
}

// listFilters are list filters the maintained counts answer the total of.
var listFilters = []ledger.Filter{
	{}, {Light: "red"}, {Light: "yellow", Status: ledger.StatusActive}, {Status: "closed"}, {Status: "in_progress", Class: "longterm"},
	{Source: "other"}, {Supervised: true}, {Unit: "c"}, {Unit: "c-k", Light: "green"}, {Unit: "d", Status: ledger.StatusActive},
	{Unit: "p", Supervised: true},
}
