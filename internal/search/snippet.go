package search

import (
	"slices"
	"strings"
	"unicode"

	"github.com/luoshi/luoshi/internal/text"
)

// Matches reports whether s matches q exactly as the plain index would
// answer it: every term's tokens occur adjacently and in order in s's
// tokens, the last one as a prefix when the term says so. It checks hits
// of the blind index, which only knows that the tokens occur.
func Matches(s string, q text.Query) bool {
	toks := text.Tokens(s)
	for _, t := range q.Terms {
		if !hasPhrase(toks, t) {
			return false
		}
	}
	return true
}

func hasPhrase(toks []string, t text.Term) bool {
	n := len(t.Tokens)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(toks); i++ {
		ok := true
		for j, want := range t.Tokens {
			got := toks[i+j]
			if j == n-1 && t.Prefix {
				ok = strings.HasPrefix(got, want)
			} else {
				ok = got == want || !t.Fixed(j) && got == t.Joined[j]
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// significant reports whether a rune takes part in tokens (Han, letters,
// digits); everything else separates them.
func significant(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// needles are the query's terms as runs of significant normalized runes:
// what is highlighted. Quotes group words as in ParseQuery.
func needles(raw string) [][]rune {
	var out [][]rune
	for _, part := range strings.FieldsFunc(raw, func(r rune) bool {
		return r == ' ' || r == '\t' || r == 0x3000 || r == '"' || r == '“' || r == '”' || r == '＂'
	}) {
		var n []rune
		for _, r := range []rune(text.Normalize(part)) {
			if significant(r) {
				n = append(n, r)
			}
		}
		if len(n) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// Snippet cuts about width runes of s around the first place the query
// (as typed) occurs and returns it with the [start, end) rune offsets of
// every occurrence of a query term in it. Line breaks become spaces.
func Snippet(s, raw string, width int) (string, [][2]int) {
	orig := []rune(s)
	norm := []rune(text.Normalize(s))
	var spans [][2]int
	if len(norm) == len(orig) { // Normalize maps rune to rune; guard anyway
		var compact []rune
		var at []int
		for i, r := range norm {
			if significant(r) {
				compact = append(compact, r)
				at = append(at, i)
			}
		}
		for _, n := range needles(raw) {
			for i := 0; i+len(n) <= len(compact); i++ {
				if compact[i] == n[0] && slices.Equal(compact[i:i+len(n)], n) {
					spans = append(spans, [2]int{at[i], at[i+len(n)-1] + 1})
				}
			}
		}
	}
	first := len(orig)
	for _, sp := range spans {
		first = min(first, sp[0])
	}
	if first == len(orig) {
		first = 0
	}
	start := max(0, first-width/4)
	end := min(len(orig), start+width)
	if end-start < width {
		start = max(0, end-width)
	}
	var b strings.Builder
	shift := -start
	if start > 0 {
		b.WriteString("…")
		shift++
	}
	for _, r := range orig[start:end] {
		if r == '\n' || r == '\r' || r == '\t' {
			r = ' '
		}
		b.WriteRune(r)
	}
	if end < len(orig) {
		b.WriteString("…")
	}
	// merge overlapping spans inside the window, in order
	var marks [][2]int
	for _, sp := range sortSpans(spans) {
		a, z := max(sp[0], start), min(sp[1], end)
		if a >= z {
			continue
		}
		m := [2]int{a + shift, z + shift}
		if k := len(marks); k > 0 && m[0] <= marks[k-1][1] {
			marks[k-1][1] = max(marks[k-1][1], m[1])
			continue
		}
		marks = append(marks, m)
	}
	return b.String(), marks
}

func sortSpans(s [][2]int) [][2]int {
	out := append([][2]int(nil), s...)
	slices.SortFunc(out, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return b[1] - a[1]
	})
	return out
}
