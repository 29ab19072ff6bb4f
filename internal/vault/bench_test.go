package vault

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkSeal1KiB(b *testing.B) {
	v := testVault(b)
	dk, _, _ := v.NewDataKey()
	msg := bytes.Repeat([]byte("举"), 1024/3)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		Seal(dk, msg, []byte("report:1:content"))
	}
}

func BenchmarkSealFile8MiB(b *testing.B) {
	v := testVault(b)
	dk, _, _ := v.NewDataKey()
	data := make([]byte, 8<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := SealFile(dk, bytes.NewReader(data), io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenFile8MiB(b *testing.B) {
	v := testVault(b)
	dk, _, _ := v.NewDataKey()
	var ct bytes.Buffer
	SealFile(dk, bytes.NewReader(make([]byte, 8<<20)), &ct, nil)
	b.SetBytes(8 << 20)
	for b.Loop() {
		if err := OpenFile(dk, bytes.NewReader(ct.Bytes()), io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrap(b *testing.B) {
	v := testVault(b)
	_, w, _ := v.NewDataKey()
	for b.Loop() {
		if _, err := v.Unwrap(w); err != nil {
			b.Fatal(err)
		}
	}
}
