package search

import (
	"context"
	"time"

	"github.com/luoshi/luoshi/internal/text"
)

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
// and returns the undo. The narrow reads go in chunks of 1 to 4 items, so
// the small fixtures read several and stop early, after 3 items a term
// found in fewer than 1 in 32 goes to the text index, and on PostgreSQL a
// reach of more than 2 items is asked of GIN (reachGIN).
func SetNarrow(n int) func() {
	old, c, m, pr, rm := narrowCap, narrowChunk, narrowChunkMax, narrowProbe, reachMin
	narrowCap, narrowChunk, narrowChunkMax, narrowProbe, reachMin = n, 1, 4, 3, 2
	return func() { narrowCap, narrowChunk, narrowChunkMax, narrowProbe, reachMin = old, c, m, pr, rm }
}

// SetMergeStep replaces the pages of one step of the FTS5 merge after a
// bulk build (ftsMergeStep) for a test and returns the undo.
func SetMergeStep(n int) func() {
	old := ftsMergeStep
	ftsMergeStep = n
	return func() { ftsMergeStep = old }
}

// SetSmallTable replaces smallTable (the rows of a kind up to which a narrow
// read scans the table) for a test and returns the undo.
func SetSmallTable(n int) func() {
	old := smallTable
	smallTable = n
	return func() { smallTable = old }
}

// SetGINSettle replaces ginCleanAt and ginAnalyzeAt for a test and returns
// the undo.
func SetGINSettle(clean, analyze int) func() {
	c, a := ginCleanAt, ginAnalyzeAt
	ginCleanAt, ginAnalyzeAt = clean, analyze
	return func() { ginCleanAt, ginAnalyzeAt = c, a }
}

// WindowStart is keyHistogram.start for a histogram of these bounds, rows
// and rows changed since.
func WindowStart(bounds []int64, rows float64, since, n int64) (int64, bool) {
	return keyHistogram{bounds: bounds, rows: rows, since: since}.start(n)
}

// KeyHistogram reads the index's histogram of keys: its bounds and the
// rows changed since it was taken. A search reads it again after this.
func (ix *Index) KeyHistogram(ctx context.Context) ([]int64, int64, error) {
	ix.hist.Lock()
	ix.hist.at = time.Time{}
	ix.hist.Unlock()
	h, err := ix.keyHistogram(ctx)
	return h.bounds, h.since, err
}

// Walkable reports whether a search for q would walk the index (walk)
// by the histogram the index reads now.
func (ix *Index) Walkable(ctx context.Context, q string) (bool, error) {
	h, err := ix.freshHistogram(ctx)
	return h.walkable(ginLoose(text.ParseQuery(q))), err
}

// Dense reports whether a narrow read of q would read tokens rather than
// ask GIN (keyHistogram.dense), by the histogram the index reads now.
func (ix *Index) Dense(ctx context.Context, q string) (bool, error) {
	h, err := ix.freshHistogram(ctx)
	return h.dense(ginLoose(text.ParseQuery(q))), err
}

// freshHistogram is the histogram read now, not the one cached.
func (ix *Index) freshHistogram(ctx context.Context) (keyHistogram, error) {
	ix.hist.Lock()
	ix.hist.at = time.Time{}
	ix.hist.Unlock()
	return ix.histogram(ctx)
}

// SetWalkFreq replaces walkFreq (above 1: no query is walked) for a test
// and returns the undo.
func SetWalkFreq(f float64) func() {
	old := walkFreq
	walkFreq = f
	return func() { walkFreq = old }
}

// AgeReplyChecker makes the node's reply checker as old as replyCheckerAge,
// so that the next check starts a rebuild.
func AgeReplyChecker(ix *Index) {
	ix.replies.mu.Lock()
	ix.replies.at = time.Now().Add(-replyCheckerAge)
	ix.replies.mu.Unlock()
}
