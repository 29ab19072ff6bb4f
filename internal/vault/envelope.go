package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// Format bytes: the first byte of every stored blob names its layout, so the
// layout can change later without guessing.
const (
	formatWrapped byte = 0x01 // wrapped data key
	formatSealed  byte = 0x02 // sealed value
	formatFile    byte = 0x03 // sealed file stream
)

// ErrDecrypt is returned when a ciphertext does not authenticate: a wrong key,
// a changed byte, a ciphertext moved to another record (other aad) or cut short.
var ErrDecrypt = errors.New("vault: the data cannot be decrypted (wrong key, changed or moved data)")

// ErrFormat is returned for bytes that are not a vault blob of a known version.
var ErrFormat = errors.New("vault: not encrypted data of a known format")

// DataKey is one record's key. It is never stored as is: store the wrapped
// form from NewDataKey and Unwrap it when needed. Its String form hides it.
type DataKey struct{ k *[KeySize]byte }

// String never shows the key.
func (DataKey) String() string { return "vault.DataKey(…)" }

// GoString keeps %#v from printing the key.
func (d DataKey) GoString() string { return d.String() }

func (d DataKey) valid() bool { return d.k != nil }

// Layout of a wrapped key: format | key id (8) | nonce (24) | sealed key (32+16).
const wrappedSize = 1 + keyIDSize + chacha20poly1305.NonceSizeX + KeySize + chacha20poly1305.Overhead

// NewDataKey makes a random data key and returns it with its wrapped form,
// which is what the record stores. The wrapped form names the master key's id.
func (v *Vault) NewDataKey() (DataKey, []byte, error) {
	k := new([KeySize]byte)
	rand.Read(k[:])
	hdr := make([]byte, 1+keyIDSize, wrappedSize)
	hdr[0] = formatWrapped
	copy(hdr[1:], v.id[:])
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	out := append(hdr, nonce...)
	out = v.wrap.Seal(out, nonce, k[:], hdr)
	return DataKey{k}, out, nil
}

// Unwrap recovers a data key from its wrapped form.
func (v *Vault) Unwrap(wrapped []byte) (DataKey, error) {
	if len(wrapped) != wrappedSize || wrapped[0] != formatWrapped {
		return DataKey{}, ErrFormat
	}
	hdr := wrapped[:1+keyIDSize]
	if !bytes.Equal(hdr[1:], v.id[:]) {
		return DataKey{}, fmt.Errorf("vault: the data key was wrapped by master key %s, this server holds key %s: %w",
			hex.EncodeToString(hdr[1:]), v.KeyID(), ErrDecrypt)
	}
	nonce := wrapped[len(hdr) : len(hdr)+chacha20poly1305.NonceSizeX]
	k := new([KeySize]byte)
	if _, err := v.wrap.Open(k[:0], nonce, wrapped[len(hdr)+len(nonce):], hdr); err != nil {
		return DataKey{}, ErrDecrypt
	}
	return DataKey{k}, nil
}

// WrappedKeyID returns the id of the master key that wrapped a data key (for
// a later rotation), or "" when wrapped is not a wrapped key.
func WrappedKeyID(wrapped []byte) string {
	if len(wrapped) != wrappedSize || wrapped[0] != formatWrapped {
		return ""
	}
	return hex.EncodeToString(wrapped[1 : 1+keyIDSize])
}

// Seal encrypts plaintext under dk. aad names the record and field the value
// belongs to (e.g. "report:123:content"): the value opens only with the same
// aad, so ciphertexts cannot be swapped between rows or columns unnoticed.
// Layout: format | nonce (24) | ciphertext+tag.
func Seal(dk DataKey, plaintext, aad []byte) []byte {
	if !dk.valid() {
		panic("vault: Seal with a zero DataKey")
	}
	aead, _ := chacha20poly1305.NewX(dk.k[:])
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(plaintext)+chacha20poly1305.Overhead)
	out[0] = formatSealed
	rand.Read(out[1:])
	return aead.Seal(out, out[1:], plaintext, sealAAD(out[0], aad))
}

// Open decrypts what Seal produced with the same dk and aad.
func Open(dk DataKey, ct, aad []byte) ([]byte, error) {
	if !dk.valid() {
		return nil, ErrDecrypt
	}
	if len(ct) < 1+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead || ct[0] != formatSealed {
		return nil, ErrFormat
	}
	aead, _ := chacha20poly1305.NewX(dk.k[:])
	nonce := ct[1 : 1+chacha20poly1305.NonceSizeX]
	pt, err := aead.Open(nil, nonce, ct[1+len(nonce):], sealAAD(ct[0], aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// sealAAD authenticates the format byte along with the caller's aad.
func sealAAD(format byte, aad []byte) []byte {
	return append([]byte{format}, aad...)
}

// SealString is Seal for text columns: the result is base64 (standard
// alphabet), safe in TEXT on both engines.
func SealString(dk DataKey, plaintext, aad string) string {
	return base64.StdEncoding.EncodeToString(Seal(dk, []byte(plaintext), []byte(aad)))
}

// OpenString reverses SealString.
func OpenString(dk DataKey, ct, aad string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(ct)
	if err != nil {
		return "", ErrFormat
	}
	pt, err := Open(dk, b, []byte(aad))
	if err != nil {
		return "", err
	}
	return string(pt), nil
}
