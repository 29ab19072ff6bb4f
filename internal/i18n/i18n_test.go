package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q has no English text", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q has no Chinese text", k)
		}
	}
}

func TestPlaceholdersMatch(t *testing.T) {
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for k, z := range zh {
		if len(verb.FindAllString(z, -1)) != len(verb.FindAllString(en[k], -1)) {
			t.Errorf("key %q: placeholders differ between zh and en", k)
		}
	}
}

// TestEveryKeyUsedExists scans the source for message keys so a typo cannot
// reach a user as a raw key.
func TestEveryKeyUsedExists(t *testing.T) {
	re := regexp.MustCompile(`"((?:err|ui|msg)\.[a-z0-9_.]+)"`)
	root := filepath.Join("..", "..")
	filepath.Walk(filepath.Join(root, "internal"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "/i18n/") {
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !Has(m[1]) {
				t.Errorf("%s uses %q, which is not in the catalogue", path, m[1])
			}
		}
		return nil
	})
}

func TestT(t *testing.T) {
	if got := T(ZH, "err.unit.code_taken", "A1"); got != "单位编码“A1”已被使用,请换一个。" {
		t.Fatal(got)
	}
	if got := T(EN, "err.login.locked", 15); !strings.Contains(got, "15 minutes") {
		t.Fatal(got)
	}
	if Parse("en-US") != EN || Parse("") != ZH || Parse("fr") != ZH {
		t.Fatal("Parse")
	}
}
