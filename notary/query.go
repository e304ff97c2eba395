package notary

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/digitorus/timestamp"
)

// maxNonceSize bounds the nonce a query may carry; OpenSSL sends 8 octets.
const maxNonceSize = 64

// query is a parsed RFC 3161 §2.4.1 TimeStampReq:
//
//	TimeStampReq ::= SEQUENCE {
//	   version          INTEGER { v1(1) },
//	   messageImprint   MessageImprint,
//	   reqPolicy        TSAPolicyId              OPTIONAL,
//	   nonce            INTEGER                  OPTIONAL,
//	   certReq          BOOLEAN                  DEFAULT FALSE,
//	   extensions       [0] IMPLICIT Extensions  OPTIONAL }
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
	elems, err := sequence(der)
	if err != nil {
		return nil, err
	}
	if len(elems) < 2 {
		return nil, fmt.Errorf("%w: TimeStampReq has %d elements", ErrBadQuery, len(elems))
	}
	var version int
	if err := unmarshalExact(elems[0].FullBytes, &version); err != nil {
		return nil, err
	}
	q := &query{imprint: elems[1].FullBytes}
	if err := q.parseImprint(); err != nil {
		return nil, err
	}
	if err := q.parseOptional(elems[2:]); err != nil {
		return nil, err
	}
	if version != 1 {
		return nil, &rejection{timestamp.BadDataFormat, fmt.Sprintf("unsupported TimeStampReq version %d", version)}
	}
	if q.hash == 0 {
		return nil, &rejection{timestamp.BadAlgorithm, "unsupported message imprint hash algorithm"}
	}
	if len(q.digest) != q.hash.Size() {
		return nil, &rejection{timestamp.BadDataFormat, fmt.Sprintf("message imprint is %d bytes, want %d for %v", len(q.digest), q.hash.Size(), q.hash)}
	}
	return q, nil
}

// parseImprint parses MessageImprint ::= SEQUENCE { hashAlgorithm
// AlgorithmIdentifier, hashedMessage OCTET STRING }. An unknown algorithm
// or parameters other than absent or NULL leave q.hash zero.
func (q *query) parseImprint() error {
	elems, err := sequence(q.imprint)
	if err != nil {
		return err
	}
	if len(elems) != 2 {
		return fmt.Errorf("%w: MessageImprint has %d elements", ErrBadQuery, len(elems))
	}
	alg, err := sequence(elems[0].FullBytes)
	if err != nil {
		return err
	}
	if len(alg) < 1 || len(alg) > 2 {
		return fmt.Errorf("%w: AlgorithmIdentifier has %d elements", ErrBadQuery, len(alg))
	}
	var oid asn1.ObjectIdentifier
	if err := unmarshalExact(alg[0].FullBytes, &oid); err != nil {
		return err
	}
	if len(alg) == 1 || (alg[1].Tag == asn1.TagNull && alg[1].Class == 0 && len(alg[1].Bytes) == 0) {
		q.hash = hashForOID(oid)
	}
	return unmarshalExact(elems[1].FullBytes, &q.digest)
}

// parseOptional parses reqPolicy, nonce, certReq and extensions, which
// must come in that order, each at most once.
func (q *query) parseOptional(elems []asn1.RawValue) error {
	const (
		wantPolicy = iota
		wantNonce
		wantCertReq
		wantExtensions
		done
	)
	next := wantPolicy
	for _, e := range elems {
		switch {
		case e.Class == 0 && e.Tag == asn1.TagOID && next <= wantPolicy:
			next = wantNonce
			if err := unmarshalExact(e.FullBytes, &q.policy); err != nil {
				return err
			}
		case e.Class == 0 && e.Tag == asn1.TagInteger && next <= wantNonce:
			next = wantCertReq
			var n *big.Int
			if err := unmarshalExact(e.FullBytes, &n); err != nil {
				return err
			}
			if len(e.Bytes) > maxNonceSize {
				return &rejection{timestamp.BadDataFormat, "nonce too long"}
			}
			q.nonce = e.FullBytes
		case e.Class == 0 && e.Tag == asn1.TagBoolean && next <= wantCertReq:
			next = wantExtensions
			if err := unmarshalExact(e.FullBytes, &q.certReq); err != nil {
				return err
			}
		case e.Class == asn1.ClassContextSpecific && e.Tag == 0 && e.IsCompound && next <= wantExtensions:
			next = done
			if err := checkExtensions(e.Bytes); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: unexpected element (class %d, tag %d) in TimeStampReq", ErrBadQuery, e.Class, e.Tag)
		}
	}
	return nil
}

// checkExtensions parses Extensions (RFC 5280 §4.1) and rejects any
// critical one: this TSA understands none (RFC 3161 §2.4.1).
func checkExtensions(b []byte) error {
	for len(b) > 0 {
		var ext pkix.Extension
		rest, err := asn1.Unmarshal(b, &ext)
		if err != nil {
			return fmt.Errorf("%w: extensions: %w", ErrBadQuery, err)
		}
		if ext.Critical {
			return &rejection{timestamp.UnacceptedExtension, fmt.Sprintf("unsupported critical extension %v", ext.Id)}
		}
		b = rest
	}
	return nil
}

// sequence splits a query's DER SEQUENCE into its elements.
func sequence(der []byte) ([]asn1.RawValue, error) {
	elems, err := splitSequence(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	return elems, nil
}

// unmarshalExact parses one DER element that must fill der exactly.
func unmarshalExact(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: trailing bytes", ErrBadQuery)
	}
	return nil
}
