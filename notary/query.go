package notary

import (
	"crypto"
	"encoding/asn1"
	"fmt"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/cms"
)

// maxNonceSize bounds the nonce a query may carry; OpenSSL sends 8 octets.
const maxNonceSize = 64

// query is what the TSA reads of an RFC 3161 §2.4.1 TimeStampReq
// (cms.DecodeRequest).
type query struct {
	imprint []byte // the DER MessageImprint, echoed as is in TSTInfo
	hash    crypto.Hash
	digest  []byte
	policy  asn1.ObjectIdentifier // nil if absent
	nonce   []byte                // the DER INTEGER, nil if absent
	certReq bool
}

// rejection is a well-formed query the TSA declines (RFC 3161 §2.4.2).
type rejection struct {
	info timestamp.FailureInfo
	text string
}

func (r *rejection) Error() string { return r.text }

// parseQuery parses a DER TimeStampReq. A structurally invalid one yields an
// error wrapping ErrBadQuery; a valid one asking for something this TSA does
// not do yields a *rejection.
func parseQuery(der []byte) (*query, error) {
	r, err := cms.DecodeRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	q := &query{imprint: r.Imprint, hash: r.MessageImprint.Hash(), digest: r.MessageImprint.HashedMessage,
		policy: r.Policy, nonce: r.Nonce, certReq: r.CertReq}
	// The DER INTEGER nonce is longer than cms.Size(maxNonceSize) exactly
	// when its contents are longer than maxNonceSize.
	if len(q.nonce) > cms.Size(maxNonceSize) {
		return nil, &rejection{timestamp.BadDataFormat, "nonce too long"}
	}
	// This TSA understands no extension, so it refuses any critical one
	// (RFC 3161 §2.4.1).
	for _, ext := range r.Extensions {
		if ext.Critical {
			return nil, &rejection{timestamp.UnacceptedExtension, fmt.Sprintf("unsupported critical extension %v", ext.ID)}
		}
	}
	if r.Version != 1 {
		return nil, &rejection{timestamp.BadDataFormat, fmt.Sprintf("unsupported TimeStampReq version %d", r.Version)}
	}
	if q.hash == 0 {
		return nil, &rejection{timestamp.BadAlgorithm, "unsupported message imprint hash algorithm"}
	}
	if n := cms.ImprintSize(q.hash); len(q.digest) != n {
		return nil, &rejection{timestamp.BadDataFormat, fmt.Sprintf("message imprint is %d bytes, want %d for %s", len(q.digest), n, cms.HashName(q.hash))}
	}
	return q, nil
}
