package search

// SetWindows replaces the search windows for a test and returns the undo.
func SetWindows(w []int) func() {
	old := searchWindows
	searchWindows = w
	return func() { searchWindows = old }
}
