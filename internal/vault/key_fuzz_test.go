package vault

import (
	"encoding/base64"
	"testing"
)

// FuzzDecodeKey: the master key from the environment or the key file is
// either exactly KeySize bytes or an error that does not echo the input.
func FuzzDecodeKey(f *testing.F) {
	good := make([]byte, KeySize)
	for i := range good {
		good[i] = byte(i * 7)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		f.Add(enc.EncodeToString(good))
	}
	f.Add("")
	f.Add("not base64!")
	f.Add(base64.StdEncoding.EncodeToString(good[:16]))
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeKey(s)
		if err == nil && len(b) != KeySize {
			t.Fatalf("decodeKey(%q) gave %d bytes", s, len(b))
		}
		if err != nil && len(s) >= 8 && containsString(err.Error(), s) {
			t.Fatalf("the error repeats the key: %v", err)
		}
	})
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
