package ledger

// LiveCounts switches the dashboard to live counting, so tests can compare
// the maintained counts with COUNT(*) over the items.
func LiveCounts(on bool) { liveCounts = on }

// WalkMin sets the fewest matches for which the list walks the status's
// order index (list.go, walkPage) and returns the restore.
func WalkMin(n int) func() {
	old := walkMin
	walkMin = n
	return func() { walkMin = old }
}
