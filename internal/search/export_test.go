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

// SetNarrow replaces narrowCap (the items of a kind up to which a reader's
// own items are searched first: 0 never, a large number always) for a test
// and returns the undo.
func SetNarrow(n int) func() {
	old := narrowCap
	narrowCap = n
	return func() { narrowCap = old }
}
