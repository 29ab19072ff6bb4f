package search

import (
	"strconv"
	"strings"
)

// Time lexemes (PostgreSQL, migration 00041). GIN returns every match of a
// term whatever the window: a search for 区 in the 2,000 newest documents
// read the term's whole posting list (570,000 entries at a million) before
// the key range kept the window. Every document also holds, without
// positions, the blocks of time its key falls in at several sizes
// (timeLexemes), and a window asks for "any block covering it"
// (timeCover) as well as its key range. GIN's fast scan then drives the
// intersection by the rarer side: the blocks of the window, not the term.
// The key range stays the exact condition; the blocks only have to hold
// every document of the window (they hold up to one finest block more).

// timeShifts are the block sizes, as shifts of unix milliseconds: 65 s,
// 17 min, 4.7 h, 3.1 days, 50 days, 2.2 years, 35 years. Each is 16 of the
// one before, so a window's cover needs at most 15 blocks of a size.
var timeShifts = []uint{16, 20, 24, 28, 32, 36, 40}

// timeLexeme names block b of size level: "_ta123".
func timeLexeme(level int, b int64) string {
	return headMark + "t" + string(rune('a'+level)) + strconv.FormatInt(b, 10)
}

// timeLexemes are the blocks a document changed at t (unix ms) is in, one
// of each size.
func timeLexemes(t int64) []string {
	t = min(max(t, 0), maxTime)
	out := make([]string, len(timeShifts))
	for i, s := range timeShifts {
		out[i] = timeLexeme(i, t>>s)
	}
	return out
}

// timeCover is the fewest blocks that together hold every time from t on
// (to maxTime): the finest blocks up to the start of the next coarser
// one, then coarser ones, and so on up to the last of the coarsest.
func timeCover(t int64) []string {
	t = min(max(t, 0), maxTime)
	var out []string
	b := t >> timeShifts[0]
	for i := range timeShifts {
		if i == len(timeShifts)-1 {
			for ; b <= maxTime>>timeShifts[i]; b++ {
				out = append(out, timeLexeme(i, b))
			}
			break
		}
		step := int64(1) << (timeShifts[i+1] - timeShifts[i])
		for ; b%step != 0; b++ {
			out = append(out, timeLexeme(i, b))
		}
		b /= step
	}
	return out
}

// timeQuery is the tsquery literal of timeCover(t): any of its blocks.
func timeQuery(t int64) string {
	cover := timeCover(t)
	for i, l := range cover {
		cover[i] = "'" + l + "'"
	}
	return "(" + strings.Join(cover, " | ") + ")"
}
