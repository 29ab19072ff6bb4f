// Package text is luoshi's Chinese text engine, in pure Go with no
// dictionary: normalisation and character-bigram tokens for search on both
// SQLite FTS5 (unicode61) and PostgreSQL (to_tsvector('simple')), a routing
// classifier (智能分办), same-matter grouping (重复件/热点问题), privacy
// masking and reply quality hints. Design and measured figures: docs/text.md.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize folds full-width ASCII forms (ＡＢＣ１２３，) and the ideographic
// space to their half-width forms and lower-cases latin letters, so that
// "Ａ３区" and "a3区" produce the same tokens. Traditional characters are
// not folded (the data is simplified Chinese).
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	switch {
	case r == 0x3000:
		return ' '
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	}
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

// runKind classifies a rune for splitting into runs.
type runKind uint8

const (
	kindSep runKind = iota
	kindHan
	kindWord // latin letters, digits, other scripts
)

func kindOf(r rune) runKind {
	switch {
	case r < utf8.RuneSelf:
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			return kindWord
		}
		return kindSep
	case unicode.Is(unicode.Han, r):
		return kindHan
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return kindWord
	}
	return kindSep
}

// run is a maximal sequence of runes of one kind in normalized text.
type run struct {
	kind  runKind
	runes []rune
}

// runs splits normalized text into Han runs and word (latin/digit) runs;
// everything else (punctuation, spaces, symbols) separates runs.
func runs(norm string) []run {
	var out []run
	var cur []rune
	kind := kindSep
	flush := func() {
		if kind != kindSep && len(cur) > 0 {
			out = append(out, run{kind, cur})
		}
		cur = nil
	}
	for _, r := range norm {
		k := kindOf(r)
		if k != kind {
			flush()
			kind = k
		}
		if k != kindSep {
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// Tokens returns the search tokens of s, in text order. A latin/digit run is
// one token. A Han run c1…cn gives its overlapping bigrams c1c2 … c(n-1)cn
// followed by its last character cn alone (a one-character run gives just
// that character). The trailing single character makes every occurrence of
// a character the first character of some token, so a one-character query
// term can be answered by a prefix query, and it marks run ends so phrases
// that cross a Han/latin boundary ("A3区") match exactly.
func Tokens(s string) []string {
	return appendTokens(nil, runs(Normalize(s)))
}

func appendTokens(out []string, rs []run) []string {
	for _, r := range rs {
		if r.kind == kindWord {
			out = append(out, string(r.runes))
			continue
		}
		for i := 0; i+1 < len(r.runes); i++ {
			out = append(out, string(r.runes[i:i+2]))
		}
		out = append(out, string(r.runes[len(r.runes)-1]))
	}
	return out
}

// SearchText is the value of a search column: the tokens of s separated by
// single spaces. Stored in an FTS5 table with the unicode61 tokenizer or
// indexed as to_tsvector('simple', col) on PostgreSQL, each token stays one
// term (both split on spaces only, and the tokens hold only letters and
// digits), so both engines answer the queries of ParseQuery.
func SearchText(s string) string {
	return strings.Join(Tokens(s), " ")
}
