package ledger

import (
	"strings"
	"testing"
	"testing/iotest"
)

// TestHasFElement: the byte scan that spares the formula parse finds every
// way of writing an element named "f", also across reads, and passes sheets
// without one.
func TestHasFElement(t *testing.T) {
	for xml, want := range map[string]bool{
		`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`:              false,
		`<c r="A1"><f>SUM(B1)</f><v>3</v></c>`:                       true,
		`<c r="A1"><f t="shared" si="0"/></c>`:                       true,
		`<c r="A1"><x:f>1+1</x:f></c>`:                               true,
		"<c r=\"A1\"><f\n>1+1</f></c>":                               true,
		`<c r="A1" t="inlineStr"><is><t>font fee</t></is></c>`:       false,
		`<c r="A1" t="inlineStr"><is><t>a:f b</t></is></c>`:          true, // a false alarm: the full parse decides
		strings.Repeat(`<c r="A1"><v>1</v></c>`, 10000) + `<f>1</f>`: true,
	} {
		got, err := hasFElement(iotest.OneByteReader(strings.NewReader(xml)))
		if err != nil || got != want {
			t.Errorf("%.60q: got %v, %v; want %v", xml, got, err, want)
		}
		if got, _ := hasFElement(strings.NewReader(xml)); got != want {
			t.Errorf("%.60q (one read): got %v, want %v", xml, got, want)
		}
	}
}
