package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A window's cover holds every document from its start to the newest,
// names at most coverMax blocks, and holds little before the start: less
// than about twice the window's time span or one finest block.
func TestTimeCover(t *testing.T) {
	day := int64(86_400_000)
	now := int64(1_796_300_000_000) // 2026-12
	type window struct{ from, top int64 }
	ws := []window{{0, 0}, {0, now}, {1, 1}, {65_535, 65_536}, {now - day, now}, {now - 2*365*day, now}, {now, now},
		{now - 1, now}, {now - 1000, now + 1000}, {1 << 40, 1<<40 + 5}, {maxTime - 1, maxTime}, {maxTime, maxTime},
		{maxTime + 5, maxTime + 9}, {-3, 10}, {now, now - day}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		from := r.Int64N(maxTime)
		// spans from a millisecond to the whole range, on a log scale
		span := int64(1) << r.IntN(43)
		ws = append(ws, window{from, from + r.Int64N(span)})
	}
	for _, w := range ws {
		cover := timeCover(w.from, w.top)
		if len(cover) == 0 || len(cover) > coverMax {
			t.Fatalf("cover of %d..%d: %d blocks", w.from, w.top, len(cover))
		}
		in := map[string]bool{}
		for _, l := range cover {
			if in[l] {
				t.Fatalf("cover of %d..%d names %s twice", w.from, w.top, l)
			}
			in[l] = true
		}
		f := min(max(w.from, 0), maxTime)
		top := min(max(w.top, f), maxTime)
		covered := func(d int64) bool {
			return slices.ContainsFunc(timeLexemes(d), func(l string) bool { return in[l] })
		}
		// every document of the window
		docs := []int64{f, top, f + (top-f)/2, top - 1, f + 1}
		for range 50 {
			docs = append(docs, f+r.Int64N(top-f+1))
		}
		for _, d := range docs {
			if d >= f && d <= top && !covered(d) {
				t.Fatalf("document at %d not in the cover of %d..%d (%v)", d, f, top, cover)
			}
		}
		// little before it
		slack := max(3*(top-f), int64(1)<<timeShifts[0])
		for _, d := range []int64{f - slack - 1, f - 2*slack, f - 10*slack, 0} {
			if d >= 0 && d < f-slack && covered(d) {
				t.Fatalf("document at %d, %d before the window %d..%d, in its cover %v", d, f-d, f, top, cover)
			}
		}
	}
	if got := timeLexemes(65_536 * 17); got[0] != "_ta17" || got[1] != "_tb1" || got[6] != "_tg0" {
		t.Fatalf("lexemes %v", got)
	}
	if got := timeCover(65_536*17+5, 65_536*20); !slices.Equal(got, []string{"_ta17", "_ta18", "_ta19", "_ta20"}) {
		t.Fatalf("cover %v", got)
	}
}
