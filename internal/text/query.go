package text

import (
	"slices"
	"strings"
)

// Term is one element of a query: a sequence of tokens that must occur
// adjacently and in order (a phrase; a single token is a phrase of one).
// When Prefix is set the last token matches any token starting with it: a
// one-character Han run at the end of a term may be followed by more Han
// characters in the document ("A3区" finds "A3区大道").
type Term struct {
	Tokens []string
	Prefix bool
	// Joined, when not nil, holds at position i the token a document has
	// instead of Tokens[i] where it writes two Han runs that the query
	// separates (by a space or punctuation) without a separator: "小区
	// 停车" is 小区 区 停车 as typed and 小区 区停 停车 in "小区停车". Either
	// token matches there, so a phrase does not depend on how the writer
	// spaced or punctuated it. "" where there is no join.
	Joined []string
}

// maxJoins bounds the joins of one term: each doubles the phrases the
// engines are asked (FTS5 has no alternatives inside a phrase). A term
// with more is cut into separate terms at the later joins.
const maxJoins = 3

// Variants returns the token sequences the term stands for: Tokens, and
// with every combination of joined tokens.
func (t Term) Variants() [][]string {
	out := [][]string{t.Tokens}
	for i, j := range t.Joined {
		if j == "" {
			continue
		}
		for _, v := range out {
			w := slices.Clone(v)
			w[i] = j
			out = append(out, w)
		}
	}
	return out
}

// Fixed reports whether every match has Tokens[i] at position i (no join
// there).
func (t Term) Fixed(i int) bool { return t.Joined == nil || t.Joined[i] == "" }

// Query is a parsed user query: every term must match (AND).
type Query struct {
	Terms []Term
}

// ParseQuery turns what a user typed into terms. Terms are separated by
// white space (ASCII or ideographic); text in double quotes (ASCII "…" or
// Chinese “…”) is one term whatever its spaces and punctuation. Each term is
// tokenized like the documents (Tokens), so "拆迁" is the one token 拆迁,
// "拆迁补偿" the phrase 拆迁 迁补 补偿, and "A3区" the phrase a3 区*. Terms
// with no letters, digits or Han characters are dropped.
func ParseQuery(q string) Query {
	var out Query
	for _, part := range splitQuery(q) {
		rs := runs(Normalize(part))
		if len(rs) == 0 {
			continue
		}
		var toks, joined []string
		for i, r := range rs {
			toks = appendTokens(toks, rs[i:i+1])
			for len(joined) < len(toks) {
				joined = append(joined, "")
			}
			if i+1 < len(rs) && r.kind == kindHan && rs[i+1].kind == kindHan {
				// the run's last character alone, or joined to the next run's first
				joined[len(toks)-1] = string(r.runes[len(r.runes)-1]) + string(rs[i+1].runes[0])
			}
		}
		t := Term{Tokens: toks}
		if last := rs[len(rs)-1]; last.kind == kindHan {
			if len(last.runes) == 1 {
				// a lone trailing Han character: in a document it may start a
				// longer run, so it is a prefix of the document's token
				t.Prefix = true
			} else {
				// the run's own trailing single-character token would demand
				// a run end in the document; the bigrams already say it all
				t.Tokens = toks[:len(toks)-1]
				joined = joined[:len(joined)-1]
			}
		}
		out.Terms = append(out.Terms, withJoins(t, joined)...)
	}
	return out
}

// withJoins sets t's joins, cutting it into separate terms at the joins
// beyond maxJoins (the joined position itself is dropped there: either
// token may stand in it).
func withJoins(t Term, joined []string) []Term {
	n := 0
	for i, j := range joined {
		if j == "" {
			continue
		}
		if n++; n > maxJoins {
			left := Term{Tokens: t.Tokens[:i]}
			left = withJoins(left, joined[:i])[0]
			rest := Term{Tokens: t.Tokens[i+1:], Prefix: t.Prefix}
			return append([]Term{left}, withJoins(rest, joined[i+1:])...)
		}
	}
	if n > 0 {
		t.Joined = joined
	}
	return []Term{t}
}

// splitQuery splits on white space outside quotes.
func splitQuery(q string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
		}
	}
	for _, r := range q {
		switch {
		case r == '"' || r == '“' || r == '”' || r == '＂':
			flush()
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == 0x3000):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return parts
}

// Empty reports whether the query has no terms (nothing searchable typed).
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// FTS5 renders the query as an SQLite FTS5 MATCH expression for a column
// filled with SearchText: `"拆迁" AND "a3" + "区"*`. Tokens hold only letters
// and digits, so quoting them is enough to keep FTS5 syntax out.
func (q Query) FTS5() string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		vs := t.Variants()
		if len(vs) > 1 {
			b.WriteString("(")
		}
		for k, v := range vs {
			if k > 0 {
				b.WriteString(" OR ")
			}
			for j, tok := range v {
				if j > 0 {
					b.WriteString(" + ")
				}
				b.WriteString(`"` + tok + `"`)
			}
			if t.Prefix {
				b.WriteString("*")
			}
		}
		if len(vs) > 1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// TSQuery renders the query for PostgreSQL's to_tsquery('simple', $1)
// against to_tsvector('simple', col): `'拆迁' & 'a3' <-> '区':*`.
func (q Query) TSQuery() string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteString(" & ")
		}
		if len(t.Tokens) > 1 {
			b.WriteString("(")
		}
		for j, tok := range t.Tokens {
			if j > 0 {
				b.WriteString(" <-> ")
			}
			if !t.Fixed(j) {
				// either token there (never a prefix: a term cut at a
				// join may end in one, and has no prefix then)
				b.WriteString("('" + tok + "' | '" + t.Joined[j] + "')")
				continue
			}
			b.WriteString("'" + tok + "'")
			if t.Prefix && j == len(t.Tokens)-1 {
				b.WriteString(":*")
			}
		}
		if len(t.Tokens) > 1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// ParseContains is the query for "the text contains s" (SQL's LIKE
// '%s%'): every document that holds s matches it, and others may, so a
// caller narrows with it and keeps its exact test. s is parsed like a
// query (ParseQuery: every term must match), and its edges are loosened
// where a document may continue a word that s cuts: a latin/digit word at
// the start of s may be the end of a longer word, so it is dropped; one at
// the end may be the start of a longer word, so it becomes a prefix
// ("WT-B-00123" gives b 00123*: the number WT-B-0012345 matches). Han
// characters need no loosening (bigrams, and a last lone character is a
// prefix already). Empty when nothing is left to look up ("00123" alone):
// the caller must then test every row.
func ParseContains(s string) Query {
	q := ParseQuery(s)
	norm := []rune(Normalize(s))
	if q.Empty() || len(norm) == 0 {
		return q
	}
	if kindOf(norm[len(norm)-1]) == kindWord {
		q.Terms[len(q.Terms)-1].Prefix = true
	}
	if kindOf(norm[0]) == kindWord {
		t := &q.Terms[0]
		t.Tokens = t.Tokens[1:]
		if t.Joined != nil {
			t.Joined = t.Joined[1:]
		}
		if len(t.Tokens) == 0 {
			q.Terms = q.Terms[1:]
		}
	}
	return q
}
