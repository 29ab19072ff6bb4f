// Package vault encrypts what must never be readable from a copy of the
// database: report content, reporters' identities, attachments. Each record
// gets its own random data key; data keys are stored wrapped (encrypted) by a
// master key that lives outside the database — a key file in the data folder,
// or LUOSHI_MASTER_KEY. A database dump, a copied SQLite file or its WAL hold
// only ciphertext.
//
// Primitives come from golang.org/x/crypto: XChaCha20-Poly1305 (random 24-byte
// nonces are safe at any volume), HKDF-SHA256 for subkeys, HMAC-SHA256 for the
// key check value and the blind index. Nothing here is home-made crypto; the
// file format is the STREAM construction (nonce prefix + chunk counter +
// last-chunk flag) over that AEAD.
package vault

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"github.com/luoshi/luoshi/internal/store"
)

// KeyFileName is the master key file inside the data folder. `luoshi backup`
// leaves it out on purpose: a backup that carries its own key protects nothing.
const KeyFileName = "master.key"

// EnvName is the environment variable that supplies the master key instead of
// the key file (base64 of 32 bytes).
const EnvName = "LUOSHI_MASTER_KEY"

// KeySize is the master key's and every data key's length in bytes.
const KeySize = 32

// Vault holds the master key and the keys derived from it. It is safe for
// concurrent use. Its String form shows the key id only, never the key.
type Vault struct {
	id       [keyIDSize]byte
	wrap     cipher.AEAD // wraps data keys
	indexKey []byte      // blind index HMAC key
	check    []byte      // key check value
	source   string      // where the key came from, for messages
	created  bool        // the key file was created by this LoadKey
}

const keyIDSize = 8

// Domain-separation labels: each use of the master key gets its own subkey.
const (
	infoWrap  = "luoshi-vault-wrap-v1"
	infoIndex = "luoshi-vault-blind-index-v1"
	infoID    = "luoshi-vault-key-id-v1"
	checkMsg  = "luoshi-vault-check"
)

// LoadKey returns the vault for the master key: envValue (base64 of 32 bytes,
// from LUOSHI_MASTER_KEY) when it is set, else the key file in dataDir, which
// is created with a fresh random key on first use.
func LoadKey(dataDir, envValue string) (*Vault, error) {
	return load(dataDir, envValue, true)
}

// LoadExistingKey is LoadKey without creating a key file: for commands that
// only check (luoshi key check).
func LoadExistingKey(dataDir, envValue string) (*Vault, error) {
	return load(dataDir, envValue, false)
}

func load(dataDir, envValue string, create bool) (*Vault, error) {
	if v := strings.TrimSpace(envValue); v != "" {
		key, err := decodeKey(v)
		if err != nil {
			// never echo the value: it may be a real key with a typo
			return nil, fmt.Errorf("%s: %w", EnvName, err)
		}
		return newVault(key, EnvName+" (environment)", false), nil
	}
	if dataDir == "" {
		return nil, errors.New("vault: no data folder for the master key file and " + EnvName + " is not set")
	}
	path := filepath.Join(dataDir, KeyFileName)
	key, err := readKeyFile(path)
	created := false
	if errors.Is(err, os.ErrNotExist) && create {
		key, created, err = createKeyFile(path)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("master key file %s does not exist and %s is not set: restore the key from your key backup", path, EnvName)
	}
	if err != nil {
		return nil, err
	}
	return newVault(key, "key file "+path, created), nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the master key must be %d bytes (base64), got %d bytes", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("the master key is not valid base64 (want %d random bytes, base64-encoded)", KeySize)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("master key file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("master key file %s can be read by group or others (mode %04o): run `chmod 600 %s` and start again", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, err
	}
	key, err := decodeKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a fresh key atomically: a synced temporary file is
// hard-linked into place, which fails if another process created the key
// first (then that key is used), so two starts cannot end with two keys.
func createKeyFile(path string) (key []byte, created bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create data folder for the master key: %w", err)
	}
	key = make([]byte, KeySize)
	rand.Read(key)
	tmp, err := os.CreateTemp(dir, ".master.key-*")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			key, err := readKeyFile(path)
			return key, false, err
		}
		return nil, false, fmt.Errorf("create master key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the new name durable
		d.Close()
	}
	return key, true, nil
}

func newVault(master []byte, source string, created bool) *Vault {
	v := &Vault{source: source, created: created}
	wrapKey := derive(master, infoWrap, KeySize)
	aead, err := chacha20poly1305.NewX(wrapKey)
	if err != nil {
		panic(err) // the key size is fixed: cannot happen
	}
	v.wrap = aead
	v.indexKey = derive(master, infoIndex, KeySize)
	copy(v.id[:], derive(master, infoID, keyIDSize))
	m := hmac.New(sha256.New, master)
	m.Write([]byte(checkMsg))
	v.check = m.Sum(nil)[:16]
	return v
}

func derive(master []byte, info string, n int) []byte {
	out := make([]byte, n)
	if _, err := io.ReadFull(hkdf.New(sha256.New, master, nil, []byte(info)), out); err != nil {
		panic(err) // n is far below HKDF's limit
	}
	return out
}

// KeyID is the master key's public fingerprint (hex). It reveals nothing about
// the key; wrapped data keys carry it so a later key rotation knows which key
// wrapped what.
func (v *Vault) KeyID() string { return hex.EncodeToString(v.id[:]) }

// Source says where the key came from ("key file …/master.key" or the
// environment), for operator messages.
func (v *Vault) Source() string { return v.source }

// Created reports whether LoadKey created a new key file.
func (v *Vault) Created() bool { return v.created }

// String never shows the key.
func (v *Vault) String() string { return "vault(key " + v.KeyID() + ")" }

// GoString keeps %#v from printing the key material.
func (v *Vault) GoString() string { return v.String() }

// KeyMismatchError is the fatal error of a start with the wrong master key.
type KeyMismatchError struct {
	Source     string // where the key in use came from
	HaveID     string // the id of the key in use
	WantID     string // the id the database was bound to
	NewKeyFile bool   // no key file existed, so a new one was created
}

func (e *KeyMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the master key from %s (key id %s) is not the key this database's encrypted data was written with (key id %s). ",
		e.Source, e.HaveID, e.WantID)
	if e.NewKeyFile {
		b.WriteString("No key file existed, so a new one was just created: it cannot decrypt anything. ")
	}
	fmt.Fprintf(&b, "Restore %s from your key backup into the data folder (or set %s to the backed-up key) and start again. "+
		"Do not delete or reset the database: without the right key its reports cannot be read.", KeyFileName, EnvName)
	return b.String()
}

// Check binds the database to this master key on first use and refuses every
// later start with another key. It stores only the key id and a check value
// (an HMAC of a fixed text), never the key. Pass the write pool (or a
// transaction): the first call inserts.
func (v *Vault) Check(ctx context.Context, q store.Queryer) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO vault_master (singleton, key_id, check_value, created_at)
		VALUES (1, $1, $2, $3) ON CONFLICT (singleton) DO NOTHING`,
		v.KeyID(), hex.EncodeToString(v.check), store.Now()); err != nil {
		return fmt.Errorf("vault: register the master key: %w", err)
	}
	_, err := v.Verify(ctx, q)
	return err
}

// Verify compares the key with the database without writing. bound is false
// when no key was registered yet (a database never started).
func (v *Vault) Verify(ctx context.Context, q store.Queryer) (bound bool, err error) {
	var id, check string
	err = q.QueryRowContext(ctx, `SELECT key_id, check_value FROM vault_master WHERE singleton = 1`).Scan(&id, &check)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("vault: read the key check value: %w", err)
	}
	want, derr := hex.DecodeString(check)
	if derr != nil || !hmac.Equal(want, v.check) {
		return true, &KeyMismatchError{Source: v.source, HaveID: v.KeyID(), WantID: id, NewKeyFile: v.created}
	}
	return true, nil
}
