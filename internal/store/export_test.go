package store

// SetWALRestart replaces walRestartAt (bytes) for the databases opened
// after it, for a test, and returns the undo.
func SetWALRestart(n int) func() {
	old := walRestartAt
	walRestartAt = n
	return func() { walRestartAt = old }
}
