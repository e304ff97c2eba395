package anchor

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"math/big"

	"github.com/custos-project/custos/certs"
)

// The other encodings of a certificate (review of chain state version 10,
// findings R1 and R2), which tests use to show that the chain knows a
// revoked governance certificate in every one of them.

// CertTwin returns the twin of cert: the same certificate with its
// issuer's ECDSA P-256 signature (r, s) replaced by (r, n − s), which
// verifies as well, in the plain encoding (review of state version 10,
// finding R1). It reports false for a certificate signed otherwise (SM2
// with SM3 has no such twin).
func CertTwin(cert *x509.Certificate) (*x509.Certificate, bool) {
	der, ok := ecdsaTwin(cert.Raw)
	if !ok {
		return nil, false
	}
	twin, err := certs.ParseCertificate(der)
	return twin, err == nil
}

// CertEncodings returns the other encodings of cert that parse and
// verify as it does, each under another SHA-256 (review of state version
// 10, findings R1 and R2): its ECDSA twin (CertTwin) first, then the twin
// and cert with their signature in a BIT STRING with 1 and 2 unused bits.
// An SM2-signed certificate has the last two only.
func CertEncodings(cert *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, der := range certEncodings(cert.Raw) {
		if c, err := certs.ParseCertificate(der); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// certSig is a certificate's outer structure (RFC 5280 §4.1.1).
type certSig struct {
	TBS, Alg asn1.RawValue
	Sig      asn1.BitString
}

// certEncodings returns the DER of every other encoding of the
// certificate der that Go's parser reads as the same TBSCertificate and
// signature value: the ECDSA twin (r, n − s), and each of the two with
// its signature BIT STRING holding 0, 1 or 2 unused bits (the value, right
// aligned, is the same: a DER signature starts 0x30, whose two high bits
// are 0), der itself left out. The twin without unused bits comes first.
func certEncodings(der []byte) [][]byte {
	var c certSig
	if rest, err := asn1.Unmarshal(der, &c); err != nil || len(rest) != 0 {
		return nil
	}
	sigs := [][]byte{c.Sig.RightAlign()}
	if twin, ok := ecdsaTwin(der); ok {
		var t certSig
		if _, err := asn1.Unmarshal(twin, &t); err == nil {
			sigs = append(sigs, t.Sig.RightAlign())
		}
	}
	var out [][]byte
	for i := len(sigs) - 1; i >= 0; i-- {
		for unused := 0; unused <= 2; unused++ {
			if len(sigs[i]) == 0 || sigs[i][0]>>(8-unused) != 0 {
				continue // no such encoding
			}
			e, err := asn1.Marshal(certSig{TBS: c.TBS, Alg: c.Alg, Sig: shiftedBits(sigs[i], unused)})
			if err == nil && !bytes.Equal(e, der) {
				out = append(out, e)
			}
		}
	}
	return out
}

// shiftedBits is the BIT STRING of sig's bits after its unused high zero
// bits, unused of them at the end.
func shiftedBits(sig []byte, unused int) asn1.BitString {
	b := make([]byte, len(sig))
	for i := range sig {
		b[i] = sig[i] << unused
		if i+1 < len(sig) && unused > 0 {
			b[i] |= sig[i+1] >> (8 - unused)
		}
	}
	return asn1.BitString{Bytes: b, BitLength: 8*len(b) - unused}
}

// ecdsaTwin returns der, a certificate signed by its issuer's ECDSA P-256
// key, with the signature (r, s) replaced by (r, n − s), which verifies
// as well: the same certificate under another SHA-256 (review of state
// version 10, finding R1). It reports false for a certificate signed
// otherwise (SM2 with SM3 has no such twin).
func ecdsaTwin(der []byte) ([]byte, bool) {
	cert, err := x509.ParseCertificate(der)
	if err != nil || cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		return nil, false
	}
	var c certSig
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &c); err != nil || len(rest) != 0 {
		return nil, false
	}
	if rest, err := asn1.Unmarshal(c.Sig.RightAlign(), &sig); err != nil || len(rest) != 0 || sig.S.Sign() <= 0 {
		return nil, false
	}
	sig.S.Sub(elliptic.P256().Params().N, sig.S)
	sb, err := asn1.Marshal(sig)
	if err != nil {
		return nil, false
	}
	c.Sig = asn1.BitString{Bytes: sb, BitLength: 8 * len(sb)}
	twin, err := asn1.Marshal(c)
	return twin, err == nil
}
