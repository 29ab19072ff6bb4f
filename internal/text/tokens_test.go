package text

import (
	"reflect"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ａ３区　一米阳光", "a3区 一米阳光"},
		{"ＡＢＣ，ｄｅｆ！", "abc,def!"},
		{"iPhone 12", "iphone 12"},
		{"１３８００１３８０００", "13800138000"},
		{"", ""},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"拆迁", []string{"拆迁", "迁"}},
		{"拆迁补偿", []string{"拆迁", "迁补", "补偿", "偿"}},
		{"区", []string{"区"}},
		{"A3区大道", []string{"a3", "区大", "大道", "道"}},
		{"A市A3区 一米阳光", []string{"a", "市", "a3", "区", "一米", "米阳", "阳光", "光"}},
		{"电话：0000-00000000。", []string{"电话", "话", "0000", "00000000"}},
		{"ＷＩＦＩ信号差！", []string{"wifi", "信号", "号差", "差"}},
		{"……！？", nil},
		{"", nil},
	} {
		if got := Tokens(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := SearchText("Ａ３区大道"); got != "a3 区大 大道 道" {
		t.Errorf("SearchText = %q", got)
	}
}

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		in      string
		fts, ts string
	}{
		{"拆迁", `"拆迁"`, `'拆迁'`},
		{"拆迁 补偿款", `"拆迁" AND "补偿" + "偿款"`, `'拆迁' & ('补偿' <-> '偿款')`},
		{"A3区 一米阳光", `"a3" + "区"* AND "一米" + "米阳" + "阳光"`, `('a3' <-> '区':*) & ('一米' <-> '米阳' <-> '阳光')`},
		// two Han runs apart in the query: either token where they meet
		{`"西湖 建筑"`, `("西湖" + "湖" + "建筑" OR "西湖" + "湖建" + "建筑")`, `('西湖' <-> ('湖' | '湖建') <-> '建筑')`},
		{"小区，停", `("小区" + "区" + "停"* OR "小区" + "区停" + "停"*)`, `('小区' <-> ('区' | '区停') <-> '停':*)`},
		// beyond three joins a term is cut at the later ones
		{`"甲乙 丙丁 戊己 庚辛 壬癸"`, "", `('甲乙' <-> ('乙' | '乙丙') <-> '丙丁' <-> ('丁' | '丁戊') <-> '戊己' <-> ('己' | '己庚') <-> '庚辛') & '壬癸'`},
		{"“一米阳光”　婚纱", `"一米" + "米阳" + "阳光" AND "婚纱"`, `('一米' <-> '米阳' <-> '阳光') & '婚纱'`},
		{"区", `"区"*`, `'区':*`},
		{"WiFi", `"wifi"`, `'wifi'`},
		{`'; DROP TABLE x; --`, `"drop" AND "table" AND "x"`, `'drop' & 'table' & 'x'`},
		{"！？ ……", ``, ``},
	} {
		q := ParseQuery(c.in)
		if got := q.FTS5(); got != c.fts && c.fts != "" {
			t.Errorf("FTS5(%q) = %s, want %s", c.in, got, c.fts)
		}
		if got := q.TSQuery(); got != c.ts {
			t.Errorf("TSQuery(%q) = %s, want %s", c.in, got, c.ts)
		}
		if q.Empty() != (c.ts == "") {
			t.Errorf("Empty(%q) = %v", c.in, q.Empty())
		}
	}
}

// matches evaluates a query against a document's tokens the way the
// engines do (phrase adjacency, prefix on the last token), so the token
// design is tested without a database; search_db_test.go checks the
// engines themselves.
func matches(q Query, doc string) bool {
	toks := Tokens(doc)
	for _, t := range q.Terms {
		found := false
		for _, v := range t.Variants() {
			for i := 0; i+len(v) <= len(toks) && !found; i++ {
				ok := true
				for j, w := range v {
					d := toks[i+j]
					if t.Prefix && j == len(v)-1 {
						ok = ok && strings.HasPrefix(d, w)
					} else {
						ok = ok && d == w
					}
				}
				found = ok
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func TestQueryMatchesSubstrings(t *testing.T) {
	docs := []string{
		"A市A3区一米阳光婚纱艺术摄影是否合法纳税了？",
		"A3区大道西行便道，未管所路口至加油站路段",
		"关于拆迁补偿款迟迟不到位的问题",
		"西湖建筑集团占道施工",
		"小区WiFi信号差",
	}
	// every substring that does not cut a latin/digit word (those are whole
	// tokens) must be found in the document it was cut from
	for _, d := range docs {
		n := Normalize(d)
		rs := []rune(n)
		cuts := func(k int) bool {
			return k > 0 && k < len(rs) && kindOf(rs[k-1]) == kindWord && kindOf(rs[k]) == kindWord
		}
		for i := range rs {
			for j := i + 1; j <= len(rs) && j <= i+6; j++ {
				if cuts(i) || cuts(j) {
					continue
				}
				sub := string(rs[i:j])
				q := ParseQuery(`"` + sub + `"`)
				if q.Empty() {
					continue
				}
				if !matches(q, d) {
					t.Errorf("query %q (%v) does not match %q", sub, q.Terms, d)
				}
			}
		}
	}
	// and no match where the words are absent or apart
	for _, c := range []struct {
		q, doc string
		want   bool
	}{
		{"拆迁", "拆除违建", false},
		{"拆迁补偿", "拆迁安置与补偿", false},
		{"拆迁 补偿", "拆迁安置与补偿", true},
		{"一米阳光", "一米的阳光", false},
		{"A3区", "A3栋区政府", false},
		{"A3区", "A3区政府", true},
		{"wifi", "wifi6", false},
		{`"小区 停车位"`, "小区停车位紧张", true},
		{`"小区 停车位"`, "小区，停车位紧张", true},
		{`"小区，停车位"`, "小区 停车位", true},
		{"小区，停车位", "小区停车位", true},
		{`"小区 停车位"`, "小区的停车位", false},
		{`"小区 停车位"`, "停车位小区", false},
	} {
		if got := matches(ParseQuery(c.q), c.doc); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.q, c.doc, got, c.want)
		}
	}
}

// FuzzTokens checks what the engines rely on: the search column splits on
// spaces into exactly the tokens, every token is one kind of run (Han, or
// letters/digits) with no separator, quote or operator character, and the
// query renderings carry only such tokens.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"A市A3区 一米阳光", `"拆迁 补偿" wifi`, `"甲乙 丙,丁 戊己 庚辛 壬"`, "Ｆｕｌｌ　ｗｉｄｔｈ１２３", "'; DROP TABLE x; --", "区", "a\"b'c:*<->&|!()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		if got := strings.Fields(SearchText(s)); !reflect.DeepEqual(got, toks) && len(toks) > 0 {
			t.Fatalf("search column %q does not split into the tokens %q", SearchText(s), toks)
		}
		check := func(tok string) {
			if tok == "" {
				t.Fatalf("empty token from %q", s)
			}
			var kind runKind
			for i, r := range tok {
				k := kindOf(r)
				if k == kindSep || (i > 0 && k != kind) {
					t.Fatalf("token %q of %q mixes kinds or holds a separator", tok, s)
				}
				kind = k
			}
		}
		for _, tok := range toks {
			check(tok)
		}
		q := ParseQuery(s)
		for _, term := range q.Terms {
			if len(term.Tokens) == 0 {
				t.Fatalf("empty term from %q", s)
			}
			for _, tok := range term.Tokens {
				check(tok)
			}
			if term.Joined == nil {
				continue
			}
			// joins: one per position at most, Han bigrams, never on a
			// prefix, at most maxJoins a term
			if len(term.Joined) != len(term.Tokens) || term.Prefix && term.Joined[len(term.Joined)-1] != "" {
				t.Fatalf("joins %q of tokens %q from %q", term.Joined, term.Tokens, s)
			}
			n := 0
			for _, j := range term.Joined {
				if j != "" {
					check(j)
					n++
				}
			}
			if n == 0 || n > maxJoins || len(term.Variants()) != 1<<n {
				t.Fatalf("%d joins, %d variants from %q", n, len(term.Variants()), s)
			}
		}
		if q.Empty() != (q.FTS5() == "") || q.Empty() != (q.TSQuery() == "") {
			t.Fatalf("empty query renders %q / %q", q.FTS5(), q.TSQuery())
		}
	})
}
