package tipdm

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// JudgedPair is one line of a hand-checked pair file.
type JudgedPair struct {
	A, B string
	Same bool
	Why  string
}

// LoadPairs reads a tab-separated file of "id_a id_b same|diff why" lines;
// lines starting with # are comments.
func LoadPairs(path string) ([]JudgedPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []JudgedPair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 4)
		if len(f) < 3 || (f[2] != "same" && f[2] != "diff") {
			return nil, fmt.Errorf("%s:%d: want id_a, id_b, same|diff, why", path, n)
		}
		p := JudgedPair{A: f[0], B: f[1], Same: f[2] == "same"}
		if len(f) == 4 {
			p.Why = f[3]
		}
		out = append(out, p)
	}
	return out, sc.Err()
}
