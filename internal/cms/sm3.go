package cms

import (
	"crypto"
	"encoding/asn1"

	"github.com/custos-project/custos/internal/oids"
)

// SM3 stands for the SM3 hash function (GB/T 32905, OID
// 1.2.156.10197.1.401) where the time-stamp APIs take a crypto.Hash, for
// message imprints only. The crypto package has no SM3, and RegisterHash
// takes only its own values, so SM3 is a value past them: SM3.Available()
// is false and SM3.Size and SM3.New panic. Use ImprintSize and HashName.
const SM3 = crypto.Hash(401)

// ImprintSize is the digest size of an imprint hash: 32 for SM3, h.Size()
// for SHA-256, SHA-384 and SHA-512, and 0 for any other.
func ImprintSize(h crypto.Hash) int {
	switch h {
	case SM3:
		return 32
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
		return h.Size()
	}
	return 0
}

// HashName is h's name, "SM3" for SM3.
func HashName(h crypto.Hash) string {
	if h == SM3 {
		return "SM3"
	}
	return h.String()
}

// ImprintHash maps the OID of a message imprint's hash to its function:
// SM3, or what HashFunc maps. 0 if it is none of them. Only an imprint may
// be SM3: a digest algorithm that signs (HashFunc) never is.
func ImprintHash(oid asn1.ObjectIdentifier) crypto.Hash {
	if oids.SM3.Equal(oid) {
		return SM3
	}
	return HashFunc(oid)
}
