package keyhash

import (
	"bytes"
	"crypto/rand"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestSameAsXCrypto: the pooled hash gives argon2.IDKey's output for many
// parameters, one after another (so each hash runs on memory an earlier one
// left dirty, of other sizes too) and from several goroutines at once.
func TestSameAsXCrypto(t *testing.T) {
	type params struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}
	var cases []params
	for _, tm := range []uint32{1, 2, 3} {
		for _, m := range []uint32{8, 64, 100, 2048} {
			for _, th := range []uint8{1, 2, 4} {
				cases = append(cases, params{tm, m, th, 32})
			}
		}
	}
	cases = append(cases, params{1, 2048, 1, 16}, params{2, 4096, 1, 64})
	check := func(t *testing.T, p params) {
		pw, salt := make([]byte, 20), make([]byte, 16)
		rand.Read(pw)
		rand.Read(salt)
		want := argon2.IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen)
		if got := IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen); !bytes.Equal(got, want) {
			t.Errorf("%+v: %x, want %x", p, got, want)
		}
	}
	for range 2 {
		for _, p := range cases {
			check(t, p)
		}
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				check(t, cases[(i*7+j)%len(cases)])
			}
		}()
	}
	wg.Wait()
}

// TestRFC9106Vector is the Argon2id test vector of RFC 9106 section 5.3.
func TestRFC9106Vector(t *testing.T) {
	pw := bytes.Repeat([]byte{1}, 32)
	salt := bytes.Repeat([]byte{2}, 16)
	secret := bytes.Repeat([]byte{3}, 8)
	ad := bytes.Repeat([]byte{4}, 12)
	want := []byte{0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53, 0xc9,
		0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59}
	for range 2 { // the second on reused memory
		if got := deriveKey(argon2id, pw, salt, secret, ad, 3, 32, 4, 32); !bytes.Equal(got, want) {
			t.Fatalf("RFC 9106 vector: %x", got)
		}
	}
}

func BenchmarkIDKey(b *testing.B) {
	pw, salt := []byte("K7QF2M9XRT4B8HZCP3WD"), []byte("0123456789abcdef")
	b.Run("pooled", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			IDKey(pw, salt, 1, 2048, 1, 32)
		}
	})
	b.Run("x-crypto", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			argon2.IDKey(pw, salt, 1, 2048, 1, 32)
		}
	})
}
