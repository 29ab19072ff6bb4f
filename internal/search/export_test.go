package search

// SetWindows replaces the search windows for a test and returns the undo.
func SetWindows(w []int) func() {
	old := searchWindows
	searchWindows = w
	return func() { searchWindows = old }
}

// SetBulk replaces the bulk build thresholds (bulkRebuild, bulkOptimize)
// for a test and returns the undo.
func SetBulk(rebuild, optimize int) func() {
	r, o := bulkRebuild, bulkOptimize
	bulkRebuild, bulkOptimize = rebuild, optimize
	return func() { bulkRebuild, bulkOptimize = r, o }
}
