package cms

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/custos-project/custos/internal/oids"
)

// Request is RFC 3161 §2.4.1
//
//	TimeStampReq ::= SEQUENCE {
//	   version          INTEGER { v1(1) },
//	   messageImprint   MessageImprint,
//	   reqPolicy        TSAPolicyId              OPTIONAL,
//	   nonce            INTEGER                  OPTIONAL,
//	   certReq          BOOLEAN                  DEFAULT FALSE,
//	   extensions       [0] IMPLICIT Extensions  OPTIONAL }
type Request struct {
	Version int64
	// Imprint is the DER MessageImprint, which the TSTInfo answering the
	// request repeats byte for byte (§2.4.2); MessageImprint is it
	// decoded.
	Imprint        []byte
	MessageImprint MessageImprint
	Policy         asn1.ObjectIdentifier // nil if absent
	Nonce          []byte                // the DER INTEGER, nil if absent
	CertReq        bool
	Extensions     []Extension // nil if absent
}

// Extension is RFC 5280 §4.1
//
//	Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
//	   critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
type Extension struct {
	ID       asn1.ObjectIdentifier
	Critical bool
	Value    []byte
}

var (
	tagExtensions = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagNull       = []byte{TagNull, 0}
)

// DecodeRequest decodes der, which must be exactly one DER TimeStampReq.
// It checks the structure only: the caller decides which versions, hashes,
// nonces, policies and extensions it serves. The optional fields must come
// in their order, each at most once; certReq may be written FALSE.
func DecodeRequest(der []byte) (*Request, error) {
	in := cryptobyte.String(der)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, fmt.Errorf("%w: not a TimeStampReq", ErrMalformed)
	}
	r := &Request{}
	var ok bool
	if !body.ReadASN1Int64WithTag(&r.Version, cbasn1.INTEGER) {
		return nil, fmt.Errorf("%w: TimeStampReq version", ErrMalformed)
	}
	if r.Imprint, r.MessageImprint, ok = readImprint(&body); !ok {
		return nil, fmt.Errorf("%w: MessageImprint", ErrMalformed)
	}
	if err := r.decodeOptional(&body); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeOptional decodes reqPolicy, nonce, certReq and extensions.
func (r *Request) decodeOptional(body *cryptobyte.String) error {
	if body.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER) && !body.ReadASN1ObjectIdentifier(&r.Policy) {
		return fmt.Errorf("%w: reqPolicy", ErrMalformed)
	}
	if body.PeekASN1Tag(cbasn1.INTEGER) {
		var nonce cryptobyte.String
		if !body.ReadASN1Element(&nonce, cbasn1.INTEGER) {
			return fmt.Errorf("%w: nonce", ErrMalformed)
		}
		if check := nonce; !check.ReadASN1Integer(new(big.Int)) {
			return fmt.Errorf("%w: nonce", ErrMalformed)
		}
		r.Nonce = nonce
	}
	if body.PeekASN1Tag(cbasn1.BOOLEAN) && !body.ReadASN1Boolean(&r.CertReq) {
		return fmt.Errorf("%w: certReq", ErrMalformed)
	}
	if body.PeekASN1Tag(tagExtensions) {
		var exts cryptobyte.String
		if !body.ReadASN1(&exts, tagExtensions) {
			return fmt.Errorf("%w: extensions", ErrMalformed)
		}
		var err error
		if r.Extensions, err = decodeExtensions(exts); err != nil {
			return err
		}
	}
	if !body.Empty() {
		return fmt.Errorf("%w: unexpected element in TimeStampReq", ErrMalformed)
	}
	return nil
}

// decodeExtensions decodes the contents of Extensions ::= SEQUENCE OF
// Extension.
func decodeExtensions(exts cryptobyte.String) ([]Extension, error) {
	out := []Extension{}
	for !exts.Empty() {
		var ext, value cryptobyte.String
		var e Extension
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&e.ID) ||
			ext.PeekASN1Tag(cbasn1.BOOLEAN) && !ext.ReadASN1Boolean(&e.Critical) ||
			!ext.ReadASN1(&value, cbasn1.OCTET_STRING) || !ext.Empty() {
			return nil, fmt.Errorf("%w: extension", ErrMalformed)
		}
		e.Value = value
		out = append(out, e)
	}
	return out, nil
}

// Hash is the hash function of the imprint: SHA-256, SHA-384, SHA-512 or
// SM3, with parameters absent or NULL; 0 for anything else.
func (mi *MessageImprint) Hash() crypto.Hash {
	if p := mi.HashAlgorithm.Parameters.FullBytes; p != nil && string(p) != string(tagNull) {
		return 0
	}
	return ImprintHash(mi.HashAlgorithm.Algorithm)
}

// Encode returns the DER TimeStampReq. A certReq of FALSE is left out, as
// DER leaves out a DEFAULT value.
func (r *Request) Encode() ([]byte, error) {
	parts := [][]byte{Int(r.Version), r.Imprint}
	if r.Policy != nil {
		policy, err := asn1.Marshal(r.Policy)
		if err != nil {
			return nil, fmt.Errorf("%w: reqPolicy: %w", ErrMalformed, err)
		}
		parts = append(parts, policy)
	}
	parts = append(parts, r.Nonce)
	if r.CertReq {
		parts = append(parts, []byte{TagBoolean, 1, 0xff})
	}
	if r.Extensions != nil {
		var exts [][]byte
		for _, e := range r.Extensions {
			id, err := asn1.Marshal(e.ID)
			if err != nil {
				return nil, fmt.Errorf("%w: extension: %w", ErrMalformed, err)
			}
			var critical []byte
			if e.Critical {
				critical = []byte{TagBoolean, 1, 0xff}
			}
			exts = append(exts, TLV(TagSequence, id, critical, TLV(TagOctetString, e.Value)))
		}
		parts = append(parts, TLV(TagContext0, exts...))
	}
	return TLV(TagSequence, parts...), nil
}

// imprintAlgorithms are the DER AlgorithmIdentifiers of ImprintOf.
var imprintAlgorithms = map[crypto.Hash][]byte{
	crypto.SHA256: AlgorithmID(HashOID(crypto.SHA256), true),
	crypto.SHA384: AlgorithmID(HashOID(crypto.SHA384), true),
	crypto.SHA512: AlgorithmID(HashOID(crypto.SHA512), true),
	SM3:           AlgorithmID(oids.SM3, true),
}

// ImprintOf is the DER MessageImprint of digest, a hash h, with the
// hash's parameters NULL, as OpenSSL writes them (`openssl ts -query -sm3`
// too); nil if h is not SHA-256, SHA-384, SHA-512 or SM3.
func ImprintOf(h crypto.Hash, digest []byte) []byte {
	alg, ok := imprintAlgorithms[h]
	if !ok {
		return nil
	}
	return TLV(TagSequence, alg, TLV(TagOctetString, digest))
}
