package text

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Mask hides personal data in s the usual Chinese way, keeping a short
// prefix and suffix so staff can still tell numbers apart:
//
//   - mainland mobile numbers (11 digits, 1[3-9]…, also with spaces or
//     dashes, full-width digits, +86 / 0086 prefixes): 138****8000
//   - landlines with an area code (010-…, 0731-…, (0731)…): 0731-****5678
//   - 18-digit resident ID numbers with a valid ISO 7064 MOD 11-2 check
//     character: 110***********123X
//   - bank card numbers of 16–19 digits passing the Luhn check:
//     6222*********1234
//   - e-mail addresses: zh***@example.com
//   - the given names (e.g. the reporter's own): 张*, 欧**娜
//
// A number counts only when it is not glued to other digits or latin
// letters, so dates, amounts and order numbers stay readable. Landline
// numbers without an area code are left alone: eight bare digits are as
// often an amount or a code.
func Mask(s string, names ...string) string {
	orig := []rune(s)
	fold := make([]rune, len(orig))
	for i, r := range orig {
		fold[i] = foldRune(r)
	}
	var spans []span
	spans = append(spans, numberSpans(fold)...)
	spans = append(spans, emailSpans(fold)...)
	spans = append(spans, nameSpans(fold, names)...)
	if len(spans) == 0 {
		return s
	}
	// earlier first, longer first; where spans overlap (a given name
	// with digits running into a phone number), the earlier one is
	// replaced as usual and the rest of the later one becomes stars: the
	// earlier replacement keeps its last character, and dropping the later
	// span would have put the number back whole ("3 1" in "张3 139…")
	sort.Slice(spans, func(a, b int) bool {
		if spans[a].start != spans[b].start {
			return spans[a].start < spans[b].start
		}
		return spans[a].end > spans[b].end
	})
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for _, sp := range spans {
		if sp.end <= pos {
			continue
		}
		if sp.start < pos {
			b.WriteString(strings.Repeat("*", sp.end-pos))
			pos = sp.end
			continue
		}
		b.WriteString(string(orig[pos:sp.start]))
		b.WriteString(sp.repl)
		pos = sp.end
	}
	b.WriteString(string(orig[pos:]))
	return b.String()
}

type span struct {
	start, end int // rune indices, end exclusive
	repl       string
}

func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isLatin(r rune) bool  { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
func isSepNum(r rune) bool { return r == ' ' || r == '-' }

// numberSpans finds phone, ID and card numbers in folded runes.
func numberSpans(f []rune) []span {
	var out []span
	for i := 0; i < len(f); i++ {
		if i > 0 && (isDigit(f[i-1]) || isLatin(f[i-1])) {
			continue
		}
		start := i
		j := i
		prefix := ""
		// +86 / 0086 / (+86) country prefix, kept visible
		if p, n := countryPrefix(f[j:]); n > 0 {
			prefix, j = p, j+n
		}
		paren := false
		if j < len(f) && f[j] == '(' && j+1 < len(f) && f[j+1] == '0' {
			paren = true
			j++
		}
		if j >= len(f) || !isDigit(f[j]) {
			continue
		}
		// digits with single separators between them; pos[k] is the rune
		// index of digit k; an X after 17 digits may end an ID number
		var digits []rune
		var pos []int
		for j < len(f) && len(digits) < 20 {
			if isDigit(f[j]) || (len(digits) == 17 && (f[j] == 'x' || f[j] == 'X')) {
				digits = append(digits, f[j])
				pos = append(pos, j)
				j++
				continue
			}
			sep := isSepNum(f[j]) || (paren && f[j] == ')')
			if sep && j+1 < len(f) && isDigit(f[j+1]) && len(digits) > 0 {
				j++
				continue
			}
			break
		}
		sp, ok := classifyNumber(f, digits, pos, prefix != "")
		if !ok {
			continue
		}
		if prefix != "" {
			sp.repl = prefix + sp.repl
		}
		sp.start = start
		if paren {
			// "(0731)8456789" keeps its parentheses; in "（0731-8456789）"
			// the parentheses enclose the whole number and stay outside
			if a := strings.IndexByte(sp.repl, '-'); a > 0 && containsRune(f[start:sp.end], ')') {
				sp.repl = "(" + sp.repl[:a] + ")" + sp.repl[a+1:]
			} else {
				sp.start = start + 1
			}
		}
		out = append(out, sp)
		i = sp.end - 1
	}
	return out
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// countryPrefix matches +86, 0086, (+86) and (86) followed by an optional
// separator; it returns the visible prefix and the runes consumed.
func countryPrefix(f []rune) (string, int) {
	for _, p := range []string{"(+86)", "(86)", "+86", "0086"} {
		pr := []rune(p)
		if len(f) > len(pr) && string(f[:len(pr)]) == p {
			n := len(pr)
			if isSepNum(f[n]) && n+1 < len(f) {
				n++
			}
			if isDigit(f[n]) && f[n] == '1' {
				return p + " ", n
			}
		}
	}
	return "", 0
}

// classifyNumber tries, longest first, the number kinds on prefixes of
// digits that end at a digit boundary.
func classifyNumber(f []rune, digits []rune, pos []int, mobileOnly bool) (span, bool) {
	endOK := func(k int) bool { // digit k is the last of the number
		e := pos[k] + 1
		return e >= len(f) || !(isDigit(f[e]) || isLatin(f[e]))
	}
	for n := len(digits); n >= 10; n-- {
		if !endOK(n - 1) {
			continue
		}
		d := string(digits[:n])
		end := pos[n-1] + 1
		switch {
		case mobileOnly:
			if n == 11 && isMobile(d) {
				return span{end: end, repl: d[:3] + "****" + d[7:]}, true
			}
		case n == 18 && validID(d):
			return span{end: end, repl: d[:3] + strings.Repeat("*", 11) + strings.ToUpper(d[14:])}, true
		case n >= 16 && n <= 19 && digits[0] != '0' && luhn(d):
			return span{end: end, repl: d[:4] + strings.Repeat("*", n-8) + d[n-4:]}, true
		case n == 11 && isMobile(d):
			return span{end: end, repl: d[:3] + "****" + d[7:]}, true
		case n >= 10 && n <= 12 && d[0] == '0':
			if area := areaCode(d); area > 0 && n-area >= 7 && n-area <= 8 {
				return span{end: end, repl: d[:area] + "-" + strings.Repeat("*", n-area-4) + d[n-4:]}, true
			}
		}
	}
	return span{}, false
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && strings.IndexByte(d, 'x') < 0 && strings.IndexByte(d, 'X') < 0
}

// areaCode returns the length of the mainland area code d starts with:
// 010 and 02x have three digits, the others (0311, 0731, …) four.
func areaCode(d string) int {
	switch {
	case len(d) < 4 || d[0] != '0':
		return 0
	case d[1] == '1':
		if d[2] == '0' {
			return 3
		}
		return 0
	case d[1] == '2':
		return 3
	default:
		return 4
	}
}

// validID checks an 18-character resident ID: 17 digits, a plausible birth
// date and the ISO 7064 MOD 11-2 check character (0–9 or X).
func validID(d string) bool {
	if len(d) != 18 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
		sum += int(d[i]-'0') * weights[i]
	}
	check := "10X98765432"[sum%11]
	last := d[17]
	if last == 'x' {
		last = 'X'
	}
	if last != check {
		return false
	}
	year := int(d[6]-'0')*1000 + int(d[7]-'0')*100 + int(d[8]-'0')*10 + int(d[9]-'0')
	month := int(d[10]-'0')*10 + int(d[11]-'0')
	day := int(d[12]-'0')*10 + int(d[13]-'0')
	return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

// luhn is the check of bank card numbers.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := d[i]
		if c < '0' || c > '9' {
			return false
		}
		v := int(c - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

func isEmailLocal(r rune) bool {
	return isDigit(r) || isLatin(r) || r == '.' || r == '_' || r == '%' || r == '+' || r == '-'
}

func isEmailDomain(r rune) bool { return isDigit(r) || isLatin(r) || r == '.' || r == '-' }

// emailSpans finds local@domain.tld in folded runes and masks the local
// part but its first characters.
func emailSpans(f []rune) []span {
	var out []span
	for at, r := range f {
		if r != '@' {
			continue
		}
		s := at
		for s > 0 && isEmailLocal(f[s-1]) {
			s--
		}
		e := at + 1
		for e < len(f) && isEmailDomain(f[e]) {
			e++
		}
		for e > at+1 && (f[e-1] == '.' || f[e-1] == '-') {
			e--
		}
		local, domain := string(f[s:at]), string(f[at+1:e])
		dot := strings.LastIndexByte(domain, '.')
		if local == "" || dot <= 0 || len(domain)-dot-1 < 2 {
			continue
		}
		tld := domain[dot+1:]
		if strings.IndexFunc(tld, func(r rune) bool { return !isLatin(r) }) >= 0 {
			continue
		}
		keep := 2
		if utf8.RuneCountInString(local) <= 3 {
			keep = 1
		}
		out = append(out, span{start: s, end: e, repl: local[:keep] + "***@" + domain})
	}
	return out
}

// nameSpans finds the given names (two or more characters) and keeps their
// first character, and for names of three or more also the last.
func nameSpans(f []rune, names []string) []span {
	var out []span
	for _, name := range names {
		n := []rune(Normalize(strings.TrimSpace(name)))
		if len(n) < 2 {
			continue // a single character would mask every occurrence of it
		}
		repl := string(n[0]) + strings.Repeat("*", len(n)-1)
		if len(n) >= 3 {
			repl = string(n[0]) + strings.Repeat("*", len(n)-2) + string(n[len(n)-1])
		}
		for i := 0; i+len(n) <= len(f); i++ {
			match := true
			for k := range n {
				if foldLower(f[i+k]) != n[k] {
					match = false
					break
				}
			}
			if match {
				out = append(out, span{start: i, end: i + len(n), repl: repl})
				i += len(n) - 1
			}
		}
	}
	return out
}

func foldLower(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}
