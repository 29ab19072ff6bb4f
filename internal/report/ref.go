package report

import (
	"context"
	"database/sql"
	"errors"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/store"
)

// Ref is what another capability needs to know of a report to hang its own
// record on it (a rating): never its content or its reporter.
type Ref struct {
	ID        int64
	Number    string // staff number JB-…
	UnitID    int64  // the unit reported on
	RealName  bool
	Concluded bool
}

// Ref returns the report a reporter opened with the receipt and key.
func (v *View) Ref() Ref {
	return Ref{ID: v.id, Number: v.number, UnitID: v.unitID, RealName: v.RealName, Concluded: v.Concluded}
}

// RefByReceipt finds a report by its receipt alone, for staff who record what
// its reporter said on paper or by phone (the caller authorizes them on the
// unit and audits the act). An unknown receipt is not found.
func RefByReceipt(ctx context.Context, q store.Queryer, receipt string) (Ref, error) {
	var ref Ref
	var status string
	err := q.QueryRowContext(ctx, `SELECT id, number, unit_id, real_name, status FROM reports WHERE receipt = $1`,
		NormalizeReceipt(receipt)).Scan(&ref.ID, &ref.Number, &ref.UnitID, &ref.RealName, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, apperr.ErrNotFound
	}
	ref.Concluded = Status(status) == Concluded || Status(status) == Answered
	return ref, err
}

// LimitPublic counts one public action of a client address today inside tx
// and refuses it past max, in the channel's salted, daily-forgotten buckets:
// other capabilities' public forms share them.
func (r *Reports) LimitPublic(ctx context.Context, tx *sql.Tx, action, addr string, max int) error {
	return r.limit(ctx, tx, action, addr, max)
}
