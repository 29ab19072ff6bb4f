package report

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"runtime"
	"strings"

	"github.com/luoshi/luoshi/internal/password"
	"github.com/luoshi/luoshi/internal/report/keyhash"
)

// A reporter follows a report with two things: the receipt (查询编码), twelve
// digits that are easy to read over the phone, and the secret key, 20 characters
// of Crockford base32 (100 bits). The receipt is an address, the key is the
// proof: both are needed, and only an argon2id hash of the key is stored.

const (
	receiptDigits = 12
	keyChars      = 20
	crockford     = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// KeyParams is argon2id's cost for report keys. A 100-bit random key cannot be
// guessed offline, so the hash needs far less memory than a password's; it is
// still slow enough to make a stolen table useless, and cheap enough that the
// public intake sustains hundreds of submissions a second.
var KeyParams = password.Params{Memory: 2 * 1024, Time: 1, Threads: 1}

// NewReceipt returns a random receipt of twelve digits (not starting with 0).
func NewReceipt() string {
	var b strings.Builder
	for i := 0; i < receiptDigits; i++ {
		lo := int64(0)
		if i == 0 {
			lo = 1
		}
		n, err := rand.Int(rand.Reader, big.NewInt(10-lo))
		if err != nil {
			panic(err)
		}
		b.WriteByte(byte('0' + lo + n.Int64()))
	}
	return b.String()
}

// NewKey returns a random secret key of 100 bits in Crockford base32.
func NewKey() string {
	buf := make([]byte, keyChars)
	if _, err := rand.Read(buf); err != nil {
		panic(err)
	}
	for i, c := range buf {
		buf[i] = crockford[c&31]
	}
	return string(buf)
}

// FormatReceipt groups a receipt for reading: 4821 0937 5521.
func FormatReceipt(r string) string { return group(r, 4, " ") }

// FormatKey groups a key for writing down: K7QF-2M9X-RT4B-8HZC-P3WD.
func FormatKey(k string) string { return group(k, 4, "-") }

func group(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// NormalizeReceipt keeps the digits of what a reporter typed (full-width digits
// too); it returns "" when the result is not a receipt.
func NormalizeReceipt(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= '０' && c <= '９':
			b.WriteRune('0' + (c - '０'))
		case c == ' ' || c == '-' || c == '　':
		default:
			return ""
		}
	}
	if b.Len() != receiptDigits {
		return ""
	}
	return b.String()
}

// NormalizeKey reads a key the way Crockford base32 intends: case-insensitive,
// O as 0, I and L as 1, dashes and spaces ignored. It returns "" when the
// result is not a key.
func NormalizeKey(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == '-' || c == ' ' || c == '　':
			continue
		case c == 'O':
			c = '0'
		case c == 'I' || c == 'L':
			c = '1'
		}
		if c > 127 || !strings.ContainsRune(crockford, c) {
			return ""
		}
		b.WriteRune(c)
	}
	if b.Len() != keyChars {
		return ""
	}
	return b.String()
}

// HashKey hashes a normalized key for storage: argon2id in the PHC string
// format of internal/password, computed by keyhash (the same function on
// pooled memory, so a busy intake does not feed the garbage collector 2 MiB
// per submission).
func HashKey(key string) string {
	p := KeyParams
	salt := make([]byte, 16)
	rand.Read(salt)
	sum := slowHash([]byte(key), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", keyhash.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(sum))
}

var b64 = base64.RawStdEncoding

// hashSlots admits key hashes first come, first served, no more at once than
// there are processors. Fifty submitters hashing together all share the
// processors and finish late together, and they fill the run queue ahead of
// the goroutines that would finish a request (the committer, the responses):
// a hash waiting for a slot is parked, not runnable, and channel sends are
// served in order.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

func slowHash(key, salt []byte, time, memory uint32, threads uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return keyhash.IDKey(key, salt, time, memory, threads, n)
}

// checkHash is password.Check on keyhash: whatever parameters the stored hash names.
func checkHash(key, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var p password.Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != keyhash.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 ||
		p.Threads == 0 || p.Time == 0 || p.Time > 16 || p.Memory > 1<<20 {
		return false
	}
	got := slowHash([]byte(key), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a receipt does not exist, so a miss costs
// the same time as a wrong key.
var dummyHash = HashKey(NewKey())

// CheckKey compares a key with a stored hash (or the dummy when hash is "").
func CheckKey(key, hash string) bool {
	if hash == "" {
		checkHash(key, dummyHash)
		return false
	}
	return checkHash(key, hash)
}

// receiptHash names a receipt in the failure table without storing it.
func receiptHash(receipt string) string {
	sum := sha256.Sum256([]byte("luoshi-receipt:" + receipt))
	return hex.EncodeToString(sum[:16])
}
