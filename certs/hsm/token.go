//go:build cgo

package hsm

import (
	"crypto"
	"crypto/elliptic"
	"fmt"

	"github.com/ThalesGroup/crypto11"
)

// Token is an open PKCS#11 token, logged in. It is safe for concurrent
// use; Close it when done.
type Token struct {
	ctx *crypto11.Context
}

// Open loads cfg.Module, finds the token and logs in as its user.
func Open(cfg Config) (*Token, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{
		Path: cfg.Module, TokenLabel: cfg.TokenLabel, SlotNumber: cfg.Slot, Pin: cfg.PIN,
		MaxSessions: 16,
	})
	if err != nil {
		return nil, fmt.Errorf("hsm: opening the token (%s): %w", cfg.Module, err)
	}
	return &Token{ctx: ctx}, nil
}

// Signer returns the key pair named by ref. The error wraps ErrNoKey when
// the token has none; two matching key pairs are an error too.
func (t *Token) Signer(ref KeyRef) (crypto.Signer, error) {
	if ref.Label == "" && len(ref.ID) == 0 {
		return nil, fmt.Errorf("hsm: a key needs a label or an ID")
	}
	found, err := t.ctx.FindKeyPairs(ref.ID, label(ref))
	switch {
	case err != nil:
		return nil, fmt.Errorf("hsm: finding the key (%s): %w", ref, err)
	case len(found) == 0:
		return nil, fmt.Errorf("%w: %s", ErrNoKey, ref)
	case len(found) > 1:
		return nil, fmt.Errorf("hsm: %d key pairs match %s; name the key by label and ID", len(found), ref)
	}
	return found[0], nil
}

// Generate makes a new ECDSA P-256 key pair in the token, named by ref; its
// private key is sensitive and not extractable (crypto11's defaults).
func (t *Token) Generate(ref KeyRef) (crypto.Signer, error) {
	if ref.Label == "" {
		return nil, fmt.Errorf("hsm: a new key needs a label")
	}
	id := ref.ID
	if len(id) == 0 {
		id = []byte(ref.Label)
	}
	s, err := t.ctx.GenerateECDSAKeyPairWithLabel(id, []byte(ref.Label), elliptic.P256())
	if err != nil {
		return nil, fmt.Errorf("hsm: generating a key (%s): %w", ref, err)
	}
	return s, nil
}

// Close logs out and unloads the module.
func (t *Token) Close() error { return t.ctx.Close() }

func label(ref KeyRef) []byte {
	if ref.Label == "" {
		return nil
	}
	return []byte(ref.Label)
}
