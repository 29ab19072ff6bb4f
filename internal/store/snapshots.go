package store

import (
	"context"
	"database/sql"
)

// DropPeriodsExcept deletes the snapshots of every period not in keep: the
// rows of rowsTable and the run of runsTable (both keyed by a "period"
// column). The scorecard and warnings snapshot jobs keep only the periods
// they maintain. The table names are the callers' constants, never input.
func (db *DB) DropPeriodsExcept(ctx context.Context, runsTable, rowsTable string, keep map[string]bool) error {
	rows, err := db.Read.QueryContext(ctx, `SELECT period FROM `+runsTable)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		if !keep[p] {
			stale = append(stale, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range stale {
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return DropPeriod(ctx, tx, runsTable, rowsTable, p) }); err != nil {
			return err
		}
	}
	return nil
}

// DropPeriod deletes one period's snapshot rows and its run.
func DropPeriod(ctx context.Context, tx *sql.Tx, runsTable, rowsTable, period string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+rowsTable+` WHERE period = $1`, period); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM `+runsTable+` WHERE period = $1`, period)
	return err
}
