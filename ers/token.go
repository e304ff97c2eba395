package ers

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/rfc3161"
)

// TokenInfo is what a renewal decides on, read from one time-stamp token
// (a record's timeStamp): who signed it, until when the signer's
// certificate is valid, and with which algorithms.
type TokenInfo struct {
	Signer  *x509.Certificate // the certificate the token embeds for its signer
	Time    time.Time         // genTime
	Imprint crypto.Hash       // the message imprint's hash: the ArchiveTimeStamp's
	// Algorithms are the signature's algorithms: the dotted OIDs of the
	// CMS signatureAlgorithm and digestAlgorithm, and the digest's name
	// (crypto.Hash's spelling, "SM3" for SM3).
	Algorithms []string
}

// InspectToken checks the token's signature with the signer it embeds
// (trust is Verify's question) and returns what it says. A token that
// embeds no signer certificate is an error wrapping ErrBadToken.
func InspectToken(token []byte) (*TokenInfo, error) {
	ts, signer, err := rfc3161.CheckSignature(token, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	sd, err := cms.Decode(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	info := &TokenInfo{Signer: signer, Time: ts.Time, Imprint: ts.HashAlgorithm}
	for _, der := range [][]byte{sd.Signer.SignatureAlgorithm, sd.Signer.DigestAlgorithm} {
		oid, err := cms.AlgorithmOID(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadToken, err)
		}
		info.Algorithms = append(info.Algorithms, oid.String())
		if h := cms.HashFunc(oid); h != 0 {
			info.Algorithms = append(info.Algorithms, cms.HashName(h))
		}
	}
	return info, nil
}

// HashName is the name of h as records and configurations spell it
// ("SHA-256", "SM3").
func HashName(h crypto.Hash) string { return cms.HashName(h) }
