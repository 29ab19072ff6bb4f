package ledger

// LiveCounts switches the dashboard to live counting, so tests can compare
// the maintained counts with COUNT(*) over the items.
func LiveCounts(on bool) { liveCounts = on }
