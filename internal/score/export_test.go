package score

// SetFirstChunk sets how many cards a transaction of a first snapshot
// writes, for a test; the returned function puts it back.
func SetFirstChunk(n int) func() {
	old := firstChunk
	firstChunk = n
	return func() { firstChunk = old }
}
