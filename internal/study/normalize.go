package study

import (
	"unicode"
	"unicode/utf8"
)

// Norm is a text reduced to what originality compares: letters, digits and
// Han characters, full-width forms folded, latin lower-cased, traditional
// characters mapped to simplified; punctuation and spacing dropped. Pos[i]
// is the character (rune) offset in the original text of Runes[i], so a
// shared passage found on the reduced text can be shown on the original.
type Norm struct {
	Runes []rune
	Pos   []int32
}

// Normalize reduces s for comparison.
func Normalize(s string) Norm {
	n := Norm{Runes: make([]rune, 0, utf8.RuneCountInString(s)), Pos: make([]int32, 0, len(s)/3)}
	i := int32(0)
	for _, r := range s {
		if c, ok := fold(r); ok {
			n.Runes = append(n.Runes, c)
			n.Pos = append(n.Pos, i)
		}
		i++
	}
	return n
}

// Len is the number of compared characters (what the minimum length counts:
// a reflection padded with punctuation or spaces is not longer).
func (n Norm) Len() int { return len(n.Runes) }

func fold(r rune) (rune, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	}
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r, true
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A', true
		}
		return 0, false
	}
	if r >= hanFirst && r <= hanLast { // the common case: one table look-up
		if s := hanFold[r-hanFirst]; s != 0 {
			return s, true
		}
		return r, true
	}
	if s, ok := tradMap[r]; ok {
		return s, true
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return unicode.ToLower(r), true
	}
	return 0, false
}

// CountChars is the length of s as the minimum-length rule counts it.
func CountChars(s string) int {
	n := 0
	for _, r := range s {
		if _, ok := fold(r); ok {
			n++
		}
	}
	return n
}

// The CJK Unified Ideographs block, where nearly every character of a
// reflection lies: folded through a flat table instead of a map.
const hanFirst, hanLast = 0x4E00, 0x9FFF

var hanFold = func() []rune {
	t := make([]rune, hanLast-hanFirst+1)
	for from, to := range tradMap {
		if from >= hanFirst && from <= hanLast {
			t[from-hanFirst] = to
		}
	}
	return t
}()
