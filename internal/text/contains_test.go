package text

import "testing"

// TestParseContains: word fragments cut at the edges are loosened.
func TestParseContains(t *testing.T) {
	for q, want := range map[string]string{
		"WT-B-00123": `"b" + "00123"*`,
		"-B-00123-":  `"b" + "00123"`,
		"00123":      ``,
		"a3区":        `"区"*`,
		"拆迁补偿":       `"拆迁" + "迁补" + "补偿"`,
		"物业 收费x":     `"物业" AND "收费" + "费" + "x"*`,
		"x物业":        `"物业"`,
	} {
		if got := ParseContains(q).FTS5(); got != want {
			t.Errorf("%q: %s, want %s", q, got, want)
		}
	}
}
