package cms

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// The ESS signing-certificate attributes (RFC 2634 §5.4, RFC 5035 §3),
// read with encoding/asn1 as the offline token checks always have read
// them (their verdicts on stored tokens must not change):
//
//	SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID,
//	   policies SEQUENCE OF PolicyInformation OPTIONAL }
//	ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1),
//	   issuerSerial IssuerSerial OPTIONAL }
//	SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2,
//	   policies SEQUENCE OF PolicyInformation OPTIONAL }
//	ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier
//	   DEFAULT sha256, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
//	IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }

type signingCertificate struct {
	Certs    []asn1.RawValue
	Policies asn1.RawValue `asn1:"optional"`
}

type issuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// ESSCertID is an ESSCertID or ESSCertIDv2, decoded.
type ESSCertID struct {
	Hash     crypto.Hash // SHA-1 for an ESSCertID
	CertHash []byte
	Serial   *big.Int // the issuerSerial's serialNumber; nil when absent
}

// ESSCertIDError reports the part of an ESSCertID(v2) that is malformed
// (Err is ErrMalformed) or names a hash this package does not know
// (ErrUnsupported).
type ESSCertIDError struct {
	Part string
	Err  error
}

func (e *ESSCertIDError) Error() string { return fmt.Sprintf("%v: %s", e.Err, e.Part) }

func (e *ESSCertIDError) Unwrap() error { return e.Err }

// SigningCertificateIDs decodes the value of a signing-certificate
// attribute, v1 or v2, to its certificate identifiers, DER ESSCertIDs or
// ESSCertIDv2s. Bytes after the value, and after its fields, are ignored,
// as encoding/asn1 ignores them.
func SigningCertificateIDs(v []byte) ([]asn1.RawValue, error) {
	var sc signingCertificate
	if _, err := asn1.Unmarshal(v, &sc); err != nil {
		return nil, fmt.Errorf("%w: signing-certificate attribute: %w", ErrMalformed, err)
	}
	return sc.Certs, nil
}

// DecodeESSCertID decodes id, an ESSCertIDv2 if v2, else an ESSCertID.
// Elements after issuerSerial are ignored. Failures are *ESSCertIDError.
func DecodeESSCertID(id []byte, v2 bool) (ESSCertID, error) {
	fail := func(err error, part string) (ESSCertID, error) {
		return ESSCertID{}, &ESSCertIDError{Part: part, Err: err}
	}
	out := ESSCertID{Hash: crypto.SHA1}
	if v2 {
		out.Hash = crypto.SHA256
	}
	elems, err := SplitSequence(id)
	if err != nil || len(elems) == 0 {
		return fail(ErrMalformed, "ESS certificate identifier")
	}
	if elems[0].Tag == asn1.TagSequence && v2 {
		var alg struct{ Algorithm asn1.ObjectIdentifier }
		if _, err := asn1.Unmarshal(elems[0].FullBytes, &alg); err != nil {
			return fail(ErrMalformed, "ESS hash algorithm")
		}
		if out.Hash = HashFunc(alg.Algorithm); out.Hash == 0 {
			return fail(ErrUnsupported, fmt.Sprintf("ESS hash algorithm %v", alg.Algorithm))
		}
		elems = elems[1:]
	}
	if len(elems) == 0 {
		return fail(ErrMalformed, "ESS certificate hash")
	}
	if rest, err := asn1.Unmarshal(elems[0].FullBytes, &out.CertHash); err != nil || len(rest) != 0 {
		return fail(ErrMalformed, "ESS certificate hash")
	}
	if len(elems) > 1 {
		var is issuerSerial
		if rest, err := asn1.Unmarshal(elems[1].FullBytes, &is); err != nil || len(rest) != 0 {
			return fail(ErrMalformed, "ESS issuer serial")
		}
		out.Serial = is.Serial
	}
	return out, nil
}
