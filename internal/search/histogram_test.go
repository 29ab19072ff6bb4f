package search

import "testing"

// A query is rare when the rows times its lexemes' shares (a lexeme
// outside the most common counted as the least of them) is at most
// rareMatches; the shares multiplied also decide walks and dense terms.
func TestQueryShares(t *testing.T) {
	h := keyHistogram{rows: 1_000_000, common: map[string]float64{"sb": 1, "问题": 0.4, "区": 0.63, "停车": 0.069, "least": 0.062}, least: 0.062}
	for _, c := range []struct {
		lexemes     []string
		phrase      bool
		rare, dense bool
		walk        bool
	}{
		{lexemes: []string{"问题"}, dense: true, walk: true},
		{lexemes: []string{"停车"}, walk: true},             // 6.9%: walked, not dense
		{lexemes: []string{"蚯蚓"}},                         // 62,000 at most
		{lexemes: []string{"sb", "0001234"}},              // the same
		{lexemes: []string{"高铁", "铁站"}, rare: true},       // 3,844 at most
		{lexemes: []string{"问题", "停车", "蚯蚓"}, rare: true}, // 1,711
		{lexemes: []string{"一米", "米阳", "阳光"}, phrase: true, rare: true},
		{lexemes: []string{"问题", "区"}, phrase: true}, // a phrase: no share, 252,000 at most
		{lexemes: nil}, // a longer prefix
	} {
		g := ginQuery{lexemes: c.lexemes, phrase: c.phrase}
		if got := h.rare(g); got != c.rare {
			t.Errorf("rare(%v) = %v, want %v", c.lexemes, got, c.rare)
		}
		if got := h.dense(g); got != c.dense {
			t.Errorf("dense(%v) = %v, want %v", c.lexemes, got, c.dense)
		}
		if got := h.walkable(g); got != c.walk {
			t.Errorf("walkable(%v) = %v, want %v", c.lexemes, got, c.walk)
		}
		if (keyHistogram{}).rare(g) {
			t.Errorf("rare(%v) without statistics", c.lexemes)
		}
	}
	// rows changed since the ANALYZE count too
	g := ginQuery{lexemes: []string{"高铁", "铁站"}}
	if h.since = 100_000; h.rare(g) {
		t.Errorf("rare(%v) with 1,100,000 rows", g.lexemes)
	}
}
