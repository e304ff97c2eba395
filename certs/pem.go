package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

const (
	pemCertificate = "CERTIFICATE"
	pemPrivateKey  = "PRIVATE KEY"
)

// EncodePEM encodes certs as consecutive PEM "CERTIFICATE" blocks.
func EncodePEM(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		// pem.Encode only fails on invalid headers, and there are none.
		_ = pem.Encode(&buf, &pem.Block{Type: pemCertificate, Bytes: c.Raw})
	}
	return buf.Bytes()
}

// ParsePEM parses one or more PEM "CERTIFICATE" blocks, of either suite
// (ParseCertificate). It is strict: a
// block of any other type, a block with headers, anything but whitespace
// outside the blocks, or no block at all is an error wrapping ErrPEM.
func ParsePEM(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := b
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != pemCertificate || len(block.Headers) != 0 {
			return nil, fmt.Errorf("%w: unexpected %q block", ErrPEM, block.Type)
		}
		c, err := ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %w", ErrPEM, len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: trailing data after %d certificate(s)", ErrPEM, len(certs))
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrPEM)
	}
	return certs, nil
}

// EncodeKeyPEM encodes key as a PKCS#8 "PRIVATE KEY" PEM block.
func EncodeKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := marshalPKCS8(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParseKeyPEM parses exactly one PKCS#8 "PRIVATE KEY" PEM block.
func ParseKeyPEM(b []byte) (crypto.Signer, error) {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != pemPrivateKey || len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: no PKCS#8 PRIVATE KEY block", ErrKey)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: trailing data after the key", ErrKey)
	}
	key, err := parsePKCS8(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not a crypto.Signer", ErrKey, key)
	}
	return signer, nil
}
