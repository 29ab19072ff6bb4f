package report

import (
	"strings"
	"testing"
)

// FuzzNormalizeReceipt: whatever a reporter types, the result is either ""
// or exactly twelve ASCII digits, and normalizing is idempotent.
func FuzzNormalizeReceipt(f *testing.F) {
	for _, s := range []string{"482109375521", "4821 0937 5521", "４８２１-０９３７-５５２１", "4821　0937　5521", "", "48210937552", "4821093755211", "abc", "٤٨٢١٠٩٣٧٥٥٢١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := NormalizeReceipt(s)
		if r == "" {
			return
		}
		if len(r) != receiptDigits || strings.Trim(r, "0123456789") != "" {
			t.Fatalf("NormalizeReceipt(%q) = %q", s, r)
		}
		if NormalizeReceipt(r) != r || NormalizeReceipt(FormatReceipt(r)) != r {
			t.Fatalf("not idempotent: %q", r)
		}
	})
}

// FuzzNormalizeKey: the result is "" or twenty Crockford base32 characters,
// and a formatted key reads back as itself.
func FuzzNormalizeKey(f *testing.F) {
	for _, s := range []string{"K7QF2M9XRT4B8HZCP3WD", "k7qf-2m9x-rt4b-8hzc-p3wd", "K7QF 2M9X RT4B 8HZC P3WO", "ILOO-ILOO-ILOO-ILOO-ILOO", "", "K7QF-2M9X", "Ｋ7QF2M9XRT4B8HZCP3WD", "ǅ7QF2M9XRT4B8HZCP3WD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NormalizeKey(s)
		if k == "" {
			return
		}
		if len(k) != keyChars {
			t.Fatalf("NormalizeKey(%q) = %q", s, k)
		}
		for _, c := range k {
			if !strings.ContainsRune(crockford, c) {
				t.Fatalf("NormalizeKey(%q) = %q", s, k)
			}
		}
		if NormalizeKey(k) != k || NormalizeKey(FormatKey(k)) != k {
			t.Fatalf("not idempotent: %q", k)
		}
	})
}
