package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

// ErrOrgRequest reports an organization CA request the root refuses: not
// one PKCS#10 request, a bad signature, a key other than ECDSA P-256 or
// SM2, a key of the other suite than the root's, or a subject that is not
// an organization (O) of a known kind (OU).
var ErrOrgRequest = errors.New("certs: bad organization CA request")

// NewOrgCARequest makes the PKCS#10 request (RFC 2986, PEM) of a joining
// member's organization CA, signed by its key: the subject is what
// NewOrgCA would give (CN "NAME CA", O=name, OU=kind). The root decides the
// rest (SignOrgCA). An SM2 key (the sm suite) signs it SM2-with-SM3.
func NewOrgCARequest(kind, name string, signer crypto.Signer) ([]byte, error) {
	if kind != KindCourt && kind != KindNotary && kind != KindArbitration {
		return nil, fmt.Errorf("%w: %q", ErrKind, kind)
	}
	if name == "" {
		return nil, fmt.Errorf("certs: organization CA request: empty name")
	}
	tmpl := &x509.CertificateRequest{Subject: orgSubject(kind, name)}
	der, err := createRequest(tmpl, signer)
	if err != nil {
		return nil, fmt.Errorf("certs: organization CA request: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// ParseOrgCARequest parses and checks an organization CA request: exactly
// one PEM "CERTIFICATE REQUEST" block, its signature (SM2-with-SM3 for an
// SM2 key), an ECDSA P-256 or SM2 key, and a subject with one O and one OU naming a kind. It returns the request
// and the kind and name it asks for.
func ParseOrgCARequest(b []byte) (req *x509.CertificateRequest, kind, name string, err error) {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE REQUEST" || len(block.Headers) != 0 || len(bytes.TrimSpace(rest)) != 0 {
		return nil, "", "", fmt.Errorf("%w: not one PEM CERTIFICATE REQUEST block", ErrOrgRequest)
	}
	if req, err = ParseRequest(block.Bytes); err != nil {
		return nil, "", "", fmt.Errorf("%w: %w", ErrOrgRequest, err)
	}
	if k, ok := req.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() && !sm2.IsSM2PublicKey(k) {
		return nil, "", "", fmt.Errorf("%w: the key is %T, want ECDSA P-256 or SM2", ErrOrgRequest, req.PublicKey)
	}
	s := req.Subject
	if len(s.Organization) != 1 || len(s.OrganizationalUnit) != 1 || s.Organization[0] == "" {
		return nil, "", "", fmt.Errorf("%w: the subject %q needs one O (the name) and one OU (the kind)", ErrOrgRequest, s)
	}
	kind, name = s.OrganizationalUnit[0], s.Organization[0]
	if kind != KindCourt && kind != KindNotary && kind != KindArbitration {
		return nil, "", "", fmt.Errorf("%w: %w: %q", ErrOrgRequest, ErrKind, kind)
	}
	return req, kind, name, nil
}

// SignOrgCA issues, under a (the consortium root), the organization CA a
// request asks for, with the profile of NewOrgCA: subject CN "NAME CA",
// O=name, OU=kind, MaxPathLen 0, valid for 10 years (never beyond the
// root). Only the subject's kind and name and the key come from the
// request; its extensions are ignored. The key must be of the root's suite
// (SM2 under an SM2 root, ECDSA P-256 under an ECDSA one): a consortium's
// chains are of one suite.
func (a *Authority) SignOrgCA(csrPEM []byte, now time.Time) (*x509.Certificate, error) {
	req, kind, name, err := ParseOrgCARequest(csrPEM)
	if err != nil {
		return nil, err
	}
	if !a.Cert.IsCA || a.Cert.MaxPathLenZero || a.Cert.MaxPathLen == 0 {
		return nil, fmt.Errorf("%w: %q may not issue CA certificates", ErrNotCA, a.Cert.Subject)
	}
	if got, want := KeySuite(req.PublicKey), a.suite(); got != want {
		return nil, fmt.Errorf("%w: the request's key is of the %s suite, the consortium's root of the %s suite (the joining member makes its request again in the %s suite)",
			ErrOrgRequest, got, want, want)
	}
	tmpl, err := caTemplate(orgSubject(kind, name), now, a.clamp(now.Add(OrgCAValidity)), 0)
	if err != nil {
		return nil, err
	}
	return create(tmpl, a.Cert, req.PublicKey, a.Signer)
}

// orgSubject is the subject of an organization CA.
func orgSubject(kind, name string) pkix.Name {
	return pkix.Name{CommonName: name + " CA", Organization: []string{name}, OrganizationalUnit: []string{kind}}
}
