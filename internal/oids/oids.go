// Package oids names the ASN.1 object identifiers that the RFC 3161
// time-stamping (package notary), the PDF signatures (package notary/pdf),
// their codec (internal/cms) and the consortium PKI (package certs) use, so
// that each is written down once.
package oids

import "encoding/asn1"

// CMS (RFC 5652), ESS (RFC 5035, RFC 2634), time-stamping (RFC 3161) and
// algorithm (RFC 5758, RFC 8017) identifiers.
var (
	Data            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	SignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	TSTInfo         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	ContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	MessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	SigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	SigningCert     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	SigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	TimeStampToken  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	SHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	SHA384          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	SHA512          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	ECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	ECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	ECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	RSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	SHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	SHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	SHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
)

// The Chinese commercial cryptography identifiers (GM/T 0006) of the sm
// suite: SM3 as a digest algorithm (CMS digestAlgorithm, GM/T 0010), SM2
// signature with SM3 (certificate and CMS signatureAlgorithm; Bouncy
// Castle's DefaultCMSSignatureAlgorithmNameGenerator reads it as
// SM3WITHSM2), and the SM2 curve (the namedCurve of an SM2 key's
// id-ecPublicKey SubjectPublicKeyInfo, GM/T 0015).
var (
	SM3        = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	SM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	SM2Curve   = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
)

// Custos's own identifiers, under the arc {enterprise 32473} (RFC 5612's
// documentation number, the arc notary.DefaultPolicy uses too).
var (
	// GovernanceKey is the extended key usage (RFC 5280 §4.2.1.12) of a
	// member's governance certificate: the key signs consortium governance
	// transactions (proposals and votes) and nothing else.
	// 1.3.6.1.4.1.32473.16.1: custos-governance(16) key-purpose(1).
	GovernanceKey = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473, 16, 1}
)
