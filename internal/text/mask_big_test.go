package text

import (
	"strings"
	"testing"
	"time"
)

// Masking a long text stays linear: no input makes it crawl.
func TestMaskLongInput(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("1 ", 50000),
		strings.Repeat("a.", 50000) + "@" + strings.Repeat("b.", 50000) + "cn",
		strings.Repeat("@a.cn", 20000),
		strings.Repeat("+86 1", 20000),
		strings.Repeat("张三张", 30000),
	} {
		start := time.Now()
		Mask(s, "张三张三")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Mask of %d bytes took %v", len(s), d)
		}
	}
}
