package main

import (
	"crypto"
	"crypto/cipher"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/certs/hsm"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/internal/atomicfile"
)

// Certificates from an outside CA live in PKI/issued: PURPOSE.pem (the
// chain installed by `custos pki install`, leaf first, root last),
// PURPOSE.key (the key, when it is a file and not in a token) and
// PURPOSE.csr (the last request). They take the place of the TSA and
// notary certificates under the consortium root.
func (c Config) issuedDir() string { return filepath.Join(c.pkiDir(), "issued") }

func (c Config) issuedPath(purpose, ext string) string {
	return filepath.Join(c.issuedDir(), purpose+ext)
}

// validate checks the [pkcs11] table; an empty table is valid.
func (p PKCS11Config) validate() error {
	if p.TSAKey == "" && p.TSAKeyID == "" && p.NotaryKey == "" && p.NotaryKeyID == "" &&
		p.WebhookSealKey == "" && p.WebhookSealKeyID == "" {
		return nil
	}
	if p.Module == "" {
		return fmt.Errorf("config: pkcs11.module (the PKCS#11 library) is required when a key is in a token")
	}
	if (p.TokenLabel == "") == (p.Slot == nil) {
		return fmt.Errorf("config: set exactly one of pkcs11.token_label and pkcs11.slot")
	}
	if (p.PINEnv == "") == (p.PINFile == "") {
		return fmt.Errorf("config: set exactly one of pkcs11.pin_env and pkcs11.pin_file")
	}
	for name, id := range map[string]string{"tsa_key_id": p.TSAKeyID, "notary_key_id": p.NotaryKeyID, "webhook_seal_key_id": p.WebhookSealKeyID} {
		if _, err := hex.DecodeString(id); err != nil {
			return fmt.Errorf("config: pkcs11.%s must be hexadecimal: %v", name, err)
		}
	}
	return nil
}

// keyRef is the token key configured for purpose, if any.
func (p PKCS11Config) keyRef(purpose string) (hsm.KeyRef, bool) {
	label, id := p.TSAKey, p.TSAKeyID
	if purpose == certs.PurposeNotary {
		label, id = p.NotaryKey, p.NotaryKeyID
	}
	raw, _ := hex.DecodeString(id) // checked by validate
	return hsm.KeyRef{Label: label, ID: raw}, label != "" || id != ""
}

// sealKeyRef is the token's AES key that seals webhook secrets, if
// configured.
func (p PKCS11Config) sealKeyRef() (hsm.KeyRef, bool) {
	raw, _ := hex.DecodeString(p.WebhookSealKeyID) // checked by validate
	return hsm.KeyRef{Label: p.WebhookSealKey, ID: raw}, p.WebhookSealKey != "" || p.WebhookSealKeyID != ""
}

// openToken logs in to the configured token.
func (p PKCS11Config) openToken() (*hsm.Token, error) {
	pin, err := hsm.ReadPIN(p.PINEnv, p.PINFile)
	if err != nil {
		return nil, err
	}
	return hsm.Open(hsm.Config{Module: p.Module, TokenLabel: p.TokenLabel, Slot: p.Slot, PIN: pin})
}

// keyStore finds the signing keys of issued certificates: in the token
// (opened on first use, then kept open) or in PKI/issued/PURPOSE.key. A
// key file it makes is of suite (SM2 for certs.SuiteSM, else ECDSA
// P-256); a token makes the keys it makes.
type keyStore struct {
	cfg   Config
	suite certs.Suite
	token *hsm.Token
}

// signer is the key for purpose; with create, a missing key is made (in
// the token, or as a new file). made reports whether it was.
func (k *keyStore) signer(purpose string, create bool) (s crypto.Signer, where string, made bool, err error) {
	if ref, ok := k.cfg.PKCS11.keyRef(purpose); ok {
		if k.token == nil {
			if k.token, err = k.cfg.PKCS11.openToken(); err != nil {
				return nil, "", false, err
			}
		}
		where = fmt.Sprintf("in the PKCS#11 token (%s)", ref)
		s, err = k.token.Signer(ref)
		if errors.Is(err, hsm.ErrNoKey) && create {
			s, err = k.token.Generate(ref)
			made = err == nil
		}
		return s, where, made, err
	}
	path := k.cfg.issuedPath(purpose, ".key")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		s, err = certs.ParseKeyPEM(b)
		if err != nil {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return s, path, false, err
	case !errors.Is(err, fs.ErrNotExist) || !create:
		return nil, path, false, fmt.Errorf("PKI: %w", err)
	}
	key, err := certs.NewSuiteKey(k.suite)
	if err != nil {
		return nil, path, false, err
	}
	pemKey, err := certs.EncodeKeyPEM(key)
	if err == nil {
		err = atomicfile.WriteFile(path, pemKey, 0o600)
	}
	return key, path, err == nil, err
}

// webhookSealer is the token's AES key that seals webhook secrets
// (pkcs11.webhook_seal_key), as AES-GCM computed in the token; nil when
// none is configured (the node uses pki/webhook-seal.key). A configured
// key the token does not hold stops the start: the node never falls back
// to the file key.
func (k *keyStore) webhookSealer() (cipher.AEAD, error) {
	ref, ok := k.cfg.PKCS11.sealKeyRef()
	if !ok {
		return nil, nil
	}
	if k.token == nil {
		var err error
		if k.token, err = k.cfg.PKCS11.openToken(); err != nil {
			return nil, fmt.Errorf("webhook seal key: %w", err)
		}
	}
	aead, err := k.token.Sealer(ref)
	if errors.Is(err, hsm.ErrNoKey) {
		return nil, failure(1, "fail.seal-key-not-in-token", "ref", ref, "err", err)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook seal key: %w", err)
	}
	return aead, nil
}

func (k *keyStore) close() {
	if k.token != nil {
		k.token.Close()
	}
}

// loadIssued returns the certificate an outside CA issued for purpose, with
// its key, or nil when none is installed. A key configured in the token
// without an installed certificate is an error: the node would otherwise
// quietly sign with its file key.
func loadIssued(cfg Config, keys *keyStore, purpose string) (*certs.Leaf, error) {
	path := cfg.issuedPath(purpose, ".pem")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, inToken := cfg.PKCS11.keyRef(purpose); inToken {
			return nil, fmt.Errorf("PKI: [pkcs11] names a %s key but %s is missing: run `custos pki request --for %s`, have a CA issue it, then `custos pki install --for %s`", purpose, path, purpose, purpose)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("PKI: %w", err)
	}
	chain, err := certs.ParsePEM(b)
	if err != nil || len(chain) == 0 {
		return nil, fmt.Errorf("PKI: %s: %v", path, err)
	}
	signer, where, _, err := keys.signer(purpose, false)
	if err != nil {
		return nil, fmt.Errorf("PKI: the key of %s: %w", path, err)
	}
	if !certs.SameKey(chain[0], signer) {
		return nil, fmt.Errorf("PKI: %s does not certify the key %s", path, where)
	}
	check := certs.CheckTSA
	if purpose == certs.PurposeNotary {
		check = certs.CheckNotary
	}
	if err := check(chain[0]); err != nil {
		return nil, fmt.Errorf("PKI: %s: %w", path, err)
	}
	return &certs.Leaf{Cert: chain[0], Signer: signer, Chain: chain[1:]}, nil
}

// useIssued puts the certificates installed from an outside CA in place of
// the TSA's and the notary's.
func (p *nodePKI) useIssued(cfg Config) error {
	p.keys = &keyStore{cfg: cfg}
	tsa, err := loadIssued(cfg, p.keys, certs.PurposeTSA)
	if err != nil {
		return err
	}
	if tsa != nil {
		p.TSA = tsa
	}
	notary, err := loadIssued(cfg, p.keys, certs.PurposeNotary)
	if err != nil {
		return err
	}
	if notary != nil {
		p.Notary = notary
	}
	return nil
}

// tsaTrust is the TSA's chain below its root (for the trust bundle's
// tsa_chain_pem), and its root when that is not the consortium root (for
// tsa_roots_pem): an outside CA's.
func (p *nodePKI) tsaTrust() (chain, outsideRoots []*x509.Certificate) {
	chain = append([]*x509.Certificate{p.TSA.Cert}, p.TSA.Chain...)
	n := len(chain)
	if n < 2 || chain[n-1].CheckSignatureFrom(chain[n-1]) != nil {
		return chain, nil
	}
	if root := chain[n-1]; !root.Equal(p.Root) {
		outsideRoots = []*x509.Certificate{root}
	}
	return chain[:n-1], outsideRoots
}

// trustIssuedTSA widens opts so that the audit also accepts the built-in
// tokens signed under a TSA certificate installed from an outside CA
// (PKI/issued/tsa.pem): its root and intermediates join the consortium's.
// Tokens signed before under the consortium root keep verifying. Only the
// certificates are read, never the key.
func trustIssuedTSA(cfg Config, opts *integrity.Options) error {
	b, err := os.ReadFile(cfg.issuedPath(certs.PurposeTSA, ".pem"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("PKI: %w", err)
	}
	chain, err := certs.ParsePEM(b)
	if err != nil || len(chain) < 2 {
		return fmt.Errorf("PKI: %s: not a certificate chain (%v)", cfg.issuedPath(certs.PurposeTSA, ".pem"), err)
	}
	root := chain[len(chain)-1]
	opts.Roots.AddCert(root)
	opts.Intermediates = append(opts.Intermediates, chain[1:len(chain)-1]...)
	return nil
}
