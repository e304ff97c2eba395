//go:build !cgo

package hsm

import (
	"crypto"
	"crypto/cipher"
)

// Token is an open PKCS#11 token; without cgo none can be opened.
type Token struct{}

// Open fails with ErrUnsupported: this binary was built without cgo.
func Open(cfg Config) (*Token, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return nil, ErrUnsupported
}

// Signer fails with ErrUnsupported.
func (t *Token) Signer(KeyRef) (crypto.Signer, error) { return nil, ErrUnsupported }

// Generate fails with ErrUnsupported.
func (t *Token) Generate(KeyRef) (crypto.Signer, error) { return nil, ErrUnsupported }

// Sealer fails with ErrUnsupported.
func (t *Token) Sealer(KeyRef) (cipher.AEAD, error) { return nil, ErrUnsupported }

// GenerateAES fails with ErrUnsupported.
func (t *Token) GenerateAES(KeyRef) error { return ErrUnsupported }

// Close does nothing.
// DeleteAES fails with ErrUnsupported.
func (t *Token) DeleteAES(KeyRef) error { return ErrUnsupported }

func (t *Token) Close() error { return nil }
