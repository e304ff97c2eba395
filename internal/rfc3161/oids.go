package rfc3161

import (
	"crypto"
	"encoding/asn1"

	"github.com/custos-project/custos/internal/oids"
)

// The object identifiers a check reads (RFC 5652, RFC 3161 §2.4.2,
// RFC 2634 §5.4, RFC 5035).
var (
	oidContentType     = oids.ContentType
	oidSigningCertV2   = oids.SigningCertV2
	oidMessageDigest   = oids.MessageDigest
	oidECDSAWithSHA256 = oids.ECDSAWithSHA256
	oidECDSAWithSHA384 = oids.ECDSAWithSHA384
	oidECDSAWithSHA512 = oids.ECDSAWithSHA512
	oidSHA256WithRSA   = oids.SHA256WithRSA
	oidTSTInfo         = oids.TSTInfo
	oidSigningCert     = oids.SigningCert
	oidSigningTime     = oids.SigningTime
)

// imprintHashes are the hash functions a token may use, by OID.
var imprintHashes = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{{oids.SHA256, crypto.SHA256}, {oids.SHA384, crypto.SHA384}, {oids.SHA512, crypto.SHA512}}

// hashForOID maps a hash OID to its function, 0 if unsupported.
func hashForOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for _, h := range imprintHashes {
		if oid.Equal(h.oid) {
			return h.hash
		}
	}
	return 0
}
