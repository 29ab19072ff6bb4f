package text

import (
	"errors"
	"testing"

	"github.com/luoshi/luoshi/internal/text/tipdm"
)

// load reads one attachment of the shared data set or skips the test.
func load(t testing.TB, file string) []tipdm.Message {
	t.Helper()
	ms, err := tipdm.Load(tipdm.TestDir, file)
	if errors.Is(err, tipdm.ErrMissing) {
		t.Skipf("data set absent (%v): these figures are measured where /work/shared/data/tipdm2020c exists, as in CI", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func labeledDocs(t testing.TB) []Doc {
	ms := load(t, tipdm.Labeled)
	docs := make([]Doc, len(ms))
	for i, m := range ms {
		docs[i] = Doc{Text: m.Text(), Label: m.Label}
	}
	return docs
}
