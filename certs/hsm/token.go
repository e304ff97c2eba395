//go:build cgo

package hsm

import (
	"bytes"
	"crypto"
	"crypto/cipher"
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
		// AES-GCM (Sealer) with 12-byte IVs that the caller supplies:
		// UseGCMIVFromHSM stays false, so crypto11 passes the nonce given
		// to Seal and Open to the token in CK_GCM_PARAMS.
		GCMIVLength: 12,
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

// Sealer returns the AES-256 secret key named by ref as an AES-GCM AEAD
// computed in the token: 12-byte nonces, supplied by the caller (the
// token does not generate them), 16-byte tags. The error wraps ErrNoKey
// when the token has no such secret key; a key of another type or size
// is refused. Its Seal panics if the token fails (cipher.AEAD has no
// error to return there); callers recover.
func (t *Token) Sealer(ref KeyRef) (cipher.AEAD, error) {
	if ref.Label == "" && len(ref.ID) == 0 {
		return nil, fmt.Errorf("hsm: a key needs a label or an ID")
	}
	found, err := t.ctx.FindKeys(ref.ID, label(ref))
	switch {
	case err != nil:
		return nil, fmt.Errorf("hsm: finding the secret key (%s): %w", ref, err)
	case len(found) == 0:
		return nil, fmt.Errorf("%w: no AES secret key %s", ErrNoKey, ref)
	case len(found) > 1:
		return nil, fmt.Errorf("hsm: %d secret keys match %s; name the key by label and ID", len(found), ref)
	}
	key := found[0]
	if key.Cipher != crypto11.CipherAES {
		return nil, fmt.Errorf("hsm: the secret key %s is not an AES key", ref)
	}
	n, err := t.ctx.GetAttribute(key, crypto11.CkaValueLen)
	if err != nil {
		return nil, fmt.Errorf("hsm: reading the size of the secret key %s: %w", ref, err)
	}
	want, err := crypto11.NewAttribute(crypto11.CkaValueLen, 32)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(n.Value, want.Value) {
		return nil, fmt.Errorf("hsm: the secret key %s is not AES-256 (32 bytes)", ref)
	}
	return key.NewGCM()
}

// GenerateAES makes a new AES-256 secret key in the token, named by ref,
// for Sealer; it is sensitive and not extractable (crypto11's defaults).
func (t *Token) GenerateAES(ref KeyRef) error {
	if ref.Label == "" {
		return fmt.Errorf("hsm: a new key needs a label")
	}
	id := ref.ID
	if len(id) == 0 {
		id = []byte(ref.Label)
	}
	if _, err := t.ctx.GenerateSecretKeyWithLabel(id, []byte(ref.Label), 256, crypto11.CipherAES); err != nil {
		return fmt.Errorf("hsm: generating an AES key (%s): %w", ref, err)
	}
	return nil
}

// DeleteAES destroys the secret key named by ref in the token, which must
// match exactly one: the undoing of a GenerateAES whose key was not put
// to use (custos serve --new-webhook-seal-key, when sealing under the new
// key fails). The error wraps ErrNoKey when the token has none.
func (t *Token) DeleteAES(ref KeyRef) error {
	if ref.Label == "" && len(ref.ID) == 0 {
		return fmt.Errorf("hsm: a key needs a label or an ID")
	}
	found, err := t.ctx.FindKeys(ref.ID, label(ref))
	switch {
	case err != nil:
		return fmt.Errorf("hsm: finding the secret key (%s): %w", ref, err)
	case len(found) == 0:
		return fmt.Errorf("%w: no AES secret key %s", ErrNoKey, ref)
	case len(found) > 1:
		return fmt.Errorf("hsm: %d secret keys match %s; name the key by label and ID", len(found), ref)
	}
	if err := found[0].Delete(); err != nil {
		return fmt.Errorf("hsm: destroying the secret key %s: %w", ref, err)
	}
	return nil
}

// Close logs out and unloads the module.
func (t *Token) Close() error { return t.ctx.Close() }

func label(ref KeyRef) []byte {
	if ref.Label == "" {
		return nil
	}
	return []byte(ref.Label)
}
