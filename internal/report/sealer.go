package report

import (
	"github.com/luoshi/luoshi/internal/apperr"
	"github.com/luoshi/luoshi/internal/scrub"
	"github.com/luoshi/luoshi/internal/vault"
)

// VaultSealer seals with the deployment's vault: a fresh data key per report,
// kept wrapped by the master key.
type VaultSealer struct{ V *vault.Vault }

// NewKey returns a fresh data key, wrapped.
func (s VaultSealer) NewKey() ([]byte, error) {
	_, wrapped, err := s.V.NewDataKey()
	return wrapped, err
}

// Seal encrypts plaintext under the wrapped data key.
func (s VaultSealer) Seal(wrapped, plaintext, aad []byte) ([]byte, error) {
	dk, err := s.V.Unwrap(wrapped)
	if err != nil {
		return nil, err
	}
	return vault.Seal(dk, plaintext, aad), nil
}

// Open decrypts and authenticates a ciphertext under the wrapped data key.
func (s VaultSealer) Open(wrapped, ciphertext, aad []byte) ([]byte, error) {
	dk, err := s.V.Unwrap(wrapped)
	if err != nil {
		return nil, err
	}
	return vault.Open(dk, ciphertext, aad)
}

// Scrubbed is the Cleaner of a deployment: internal/scrub decides the type by
// content, refuses programs and active content, and removes metadata. Its
// errors are reported on the evidence field of the forms.
func Scrubbed(name string, data []byte) (CleanFile, error) {
	res, err := scrub.Clean(name, data)
	if err != nil {
		if e := apperr.As(err); e != nil {
			c := *e
			c.Field = "evidence"
			return CleanFile{}, &c
		}
		return CleanFile{}, err
	}
	return CleanFile{Name: res.Name, MIME: res.MIME, Data: res.Data}, nil
}
