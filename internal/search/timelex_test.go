package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A document is in a window's cover exactly when it changed at or after
// the start of the finest block holding the window's start: the cover
// holds the whole window and at most one finest block (65 s) more.
func TestTimeCover(t *testing.T) {
	day := int64(86_400_000)
	now := int64(1_796_300_000_000) // 2026-12
	starts := []int64{0, 1, 65_535, 65_536, now - day, now - 2*365*day, now, now + 1, 1 << 40, maxTime - 1, maxTime, maxTime + 5, -3}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		starts = append(starts, r.Int64N(maxTime))
	}
	for _, from := range starts {
		cover := timeCover(from)
		if len(cover) > 15*(len(timeShifts)-1)+4 {
			t.Fatalf("cover of %d: %d blocks", from, len(cover))
		}
		in := map[string]bool{}
		for _, l := range cover {
			if in[l] {
				t.Fatalf("cover of %d names %s twice", from, l)
			}
			in[l] = true
		}
		f := min(max(from, 0), maxTime)
		docs := []int64{f, f - 1, f + 1, f >> 16 << 16, f>>16<<16 - 1, f + day, f - day, 0, maxTime, now}
		for range 50 {
			docs = append(docs, r.Int64N(maxTime+1))
		}
		for _, d := range docs {
			if d < 0 || d > maxTime {
				continue
			}
			want := d>>timeShifts[0] >= f>>timeShifts[0]
			got := slices.ContainsFunc(timeLexemes(d), func(l string) bool { return in[l] })
			if got != want {
				t.Fatalf("document at %d, window from %d: in cover %v, want %v (%v)", d, from, got, want, timeLexemes(d))
			}
		}
	}
	if got := timeLexemes(65_536 * 17); got[0] != "_ta17" || got[1] != "_tb1" || got[6] != "_tg0" {
		t.Fatalf("lexemes %v", got)
	}
}
