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
// (timeLexemes), and a window asks for "any of these blocks" (timeCover)
// as well as its key range. GIN's fast scan then drives the intersection
// by the rarer side: the blocks of the window, not the term. The key
// range stays the exact condition; the blocks only have to hold every
// document of the window.

// timeShifts are the block sizes, as shifts of unix milliseconds: 65 s,
// 17 min, 4.7 h, 3.1 days, 50 days, 2.2 years, 35 years, each 16 of the
// one before (a cover takes the finest that needs few blocks).
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

// coverMax is the most blocks a cover names. GIN tests every candidate
// against the whole query, each block an operand: a cover of the 94
// blocks that hold a window exactly (15 of each size) cost a city
// inspector 39 ms a window after an import, when GIN walked his reach's
// 60,000 entries rather than the import's block of 100,000.
const coverMax = 8

// timeCover is a few blocks of one size that together hold every time
// from t to top (unix ms): the finest size that needs at most coverMax of
// them. They hold more than the window: less than one block before t,
// which is less than about twice the time from t to top (a finer size
// needed more than coverMax blocks), or one finest block (65 s).
func timeCover(t, top int64) []string {
	t = min(max(t, 0), maxTime)
	top = min(max(top, t), maxTime)
	var out []string
	for i, s := range timeShifts {
		if (top>>s)-(t>>s) < coverMax || i == len(timeShifts)-1 {
			for b := t >> s; b <= top>>s; b++ {
				out = append(out, timeLexeme(i, b))
			}
			break
		}
	}
	return out
}

// timeQuery is the tsquery literal of timeCover(t, top): any of its blocks.
func timeQuery(t, top int64) string {
	cover := timeCover(t, top)
	for i, l := range cover {
		cover[i] = "'" + l + "'"
	}
	return "(" + strings.Join(cover, " | ") + ")"
}
