package vault

import (
	"bytes"
	"testing"
)

// The fuzz targets feed garbage to every parser of stored bytes: none may
// panic, and nothing but the genuine ciphertext may open.

func fuzzVault(f *testing.F) (*Vault, DataKey, []byte) {
	v, err := LoadKey(f.TempDir(), "")
	if err != nil {
		f.Fatal(err)
	}
	dk, wrapped, _ := v.NewDataKey()
	return v, dk, wrapped
}

func FuzzOpen(f *testing.F) {
	_, dk, _ := fuzzVault(f)
	good := Seal(dk, []byte("举报内容"), []byte("aad"))
	f.Add(good, []byte("aad"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{formatSealed}, []byte("aad"))
	f.Fuzz(func(t *testing.T, ct, aad []byte) {
		pt, err := Open(dk, ct, aad)
		if err == nil && !(bytes.Equal(ct, good) && string(aad) == "aad" && string(pt) == "举报内容") {
			t.Fatalf("garbage opened: %x", ct)
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	v, _, wrapped := fuzzVault(f)
	f.Add(wrapped)
	f.Add([]byte{formatWrapped})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := v.Unwrap(b); err == nil && !bytes.Equal(b, wrapped) {
			t.Fatalf("garbage unwrapped: %x", b)
		}
	})
}

func FuzzOpenFile(f *testing.F) {
	_, dk, _ := fuzzVault(f)
	var buf bytes.Buffer
	SealFile(dk, bytes.NewReader([]byte("evidence bytes")), &buf, nil)
	good := buf.Bytes()
	f.Add(good)
	f.Add([]byte{formatFile})
	f.Add(good[:fileHeader])
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if err := OpenFile(dk, bytes.NewReader(b), &out, nil); err == nil && !bytes.Equal(b, good) {
			t.Fatalf("garbage file opened: %x", b)
		}
	})
}
