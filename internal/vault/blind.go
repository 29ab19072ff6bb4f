package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// blindSize is the bytes kept of each blind token's HMAC. 8 bytes (16 hex)
// make accidental collisions negligible for search while keeping the column
// small.
const blindSize = 8

// BlindTokens maps search tokens (e.g. the character bigrams of a report's
// text) to keyed hashes, so encrypted text can be searched by its hashed
// tokens without storing the text. field separates columns: the same bigram
// in "content" and in "name" hashes differently, so one cannot be matched
// against the other. Without the master key the hashes cannot be computed,
// so a dictionary of common bigrams cannot be run against a stolen database.
// The result has one hash per token, in order.
func (v *Vault) BlindTokens(field string, tokens []string) []string {
	out := make([]string, len(tokens))
	m := hmac.New(sha256.New, v.indexKey)
	var sum [sha256.Size]byte
	for i, t := range tokens {
		m.Reset()
		m.Write([]byte(field))
		m.Write([]byte{0})
		m.Write([]byte(t))
		out[i] = hex.EncodeToString(m.Sum(sum[:0])[:blindSize])
	}
	return out
}
