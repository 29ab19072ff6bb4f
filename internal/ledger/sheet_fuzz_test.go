package ledger

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/i18n"
)

// gridRows serves a text grid (rows by "\n", cells by "\t") as excelize's row
// iterator would, so the parser can be fuzzed without building zip files.
type gridRows struct {
	rows [][]string
	i    int
}

func (g *gridRows) Next() bool { g.i++; return g.i <= len(g.rows) }
func (g *gridRows) Columns(...excelize.Options) ([]string, error) {
	return g.rows[g.i-1], nil
}
func (g *gridRows) Error() error { return nil }

func grid(s string) *gridRows {
	g := &gridRows{}
	for _, line := range strings.Split(s, "\n") {
		g.rows = append(g.rows, strings.Split(line, "\t"))
	}
	return g
}

// FuzzParseRows feeds the header and row parser any grid of cells: it must
// never panic, every refusal must carry a message key, every row it keeps must
// have passed Input.Validate or carry an error, and every error names a row
// at or below the header.
func FuzzParseRows(f *testing.F) {
	f.Add("序号\t问题描述\t问题来源\t整改类别\t整改措施\t责任人\t完成时限\n1\t迟到早退\t自查自纠\t立行立改\t通报\tc-hand\t2026年3月1日", "")
	f.Add("台账\n\n问题内容\t来源\t整改类型\t措施\t责任领导\t整改时限\t状态\n\t\t\t\t\t\t\n1\tx\t督查\t限期整改\t\t\t下月底\t已销号", "3:5")
	f.Add("问题表现\t问题来源\t整改类别\t整改措施\t责任人员\t完成时间\n"+strings.Repeat("a", 300)+"\t其他\tlongterm\tm\tu\t46082", "")
	f.Fuzz(func(t *testing.T, text, formula string) {
		if !utf8.ValidString(text) || len(text) > 1<<16 {
			return
		}
		formulas := map[int][]int{}
		if r, c, ok := strings.Cut(formula, ":"); ok && len(r) == 1 && len(c) == 1 {
			formulas[int(r[0]-'0')] = []int{int(c[0] - '0')}
		}
		s, err := parseRows(grid(text), formulas)
		if err != nil {
			if e := apperr.As(err); e == nil || !i18n.Has(e.Key) {
				t.Fatalf("refusal without a message: %v", err)
			}
			return
		}
		bad := map[int]bool{}
		for _, e := range s.Errors {
			if e.Err == nil || !i18n.Has(e.Err.Key) || e.Line < 1 {
				t.Fatalf("error %+v", e)
			}
			bad[e.Line] = true
		}
		for _, r := range s.Rows {
			if bad[r.Line] {
				continue
			}
			in := r.In
			in.UnitCode = "-"
			if err := in.Validate(); err != nil {
				t.Fatalf("row %d kept without an error but invalid: %v", r.Line, err)
			}
			if in.Deadline != "" && len(in.Deadline) != 10 {
				t.Fatalf("deadline %q", in.Deadline)
			}
		}
	})
}
