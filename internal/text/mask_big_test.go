package text

import (
	"strings"
	"testing"
)

// Masking a long text stays linear: no input makes it crawl. A benchmark,
// not a timed test: go test -run '^$' -bench MaskLongInput ./internal/text/
func BenchmarkMaskLongInput(b *testing.B) {
	for _, s := range []string{
		strings.Repeat("1 ", 50000),
		strings.Repeat("a.", 50000) + "@" + strings.Repeat("b.", 50000) + "cn",
		strings.Repeat("@a.cn", 20000),
		strings.Repeat("+86 1", 20000),
		strings.Repeat("张三张", 30000),
	} {
		b.Run(s[:5], func(b *testing.B) {
			for b.Loop() {
				Mask(s, "张三张三")
			}
		})
	}
}
