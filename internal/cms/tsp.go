package cms

import (
	"encoding/asn1"
	"fmt"

	"github.com/custos-project/custos/internal/oids"
)

// The decoders of this file read with encoding/asn1, as the offline token
// checks always have: what they accept and refuse is part of the verdicts
// of stored tokens, which must not change.

// StatusInfo is RFC 3161 §2.4.2
//
//	PKIStatusInfo ::= SEQUENCE { status PKIStatus,
//	   statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
//
// Status is a PKIStatus: granted (0), grantedWithMods (1), rejection (2),
// waiting (3), revocationWarning (4), revocationNotification (5).
type StatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional,utf8"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

// SplitResponse splits an RFC 3161 §2.4.2
//
//	TimeStampResp ::= SEQUENCE { status PKIStatusInfo,
//	   timeStampToken TimeStampToken OPTIONAL }
//
// into the DER of its status and of its token (nil when absent). It
// checks only that reply is exactly a SEQUENCE of one or two elements.
func SplitResponse(reply []byte) (status, token []byte, err error) {
	elems, err := SplitSequence(reply)
	if err != nil || len(elems) < 1 || len(elems) > 2 {
		return nil, nil, fmt.Errorf("%w: not a TimeStampResp", ErrMalformed)
	}
	if len(elems) == 2 {
		token = elems[1].FullBytes
	}
	return elems[0].FullBytes, token, nil
}

// DecodeStatus decodes a DER PKIStatusInfo that fills der exactly.
func DecodeStatus(der []byte) (StatusInfo, error) {
	var st StatusInfo
	if rest, err := asn1.Unmarshal(der, &st); err != nil || len(rest) != 0 {
		return StatusInfo{}, fmt.Errorf("%w: PKIStatusInfo", ErrMalformed)
	}
	return st, nil
}

// SignedDataContent returns the content of a ContentInfo whose
// contentType is id-signedData: the DER of the SignedData. It reads as
// encoding/asn1 reads, so the SignedData itself may be in BER, and bytes
// after the ContentInfo are ignored.
func SignedDataContent(token []byte) ([]byte, error) {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(token, &ci); err != nil || !ci.ContentType.Equal(oids.SignedData) {
		return nil, fmt.Errorf("%w: not a ContentInfo of a SignedData", ErrMalformed)
	}
	return ci.Content.Bytes, nil
}

// signedDataHead is the start of RFC 5652 §5.1 SignedData, enough to read
// the eContentType.
type signedDataHead struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	Encap            struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
	}
}

// EContentType returns the eContentType of a SignedData, reading only the
// fields before it as encoding/asn1 reads them: what follows the
// encapsulated content is not read.
func EContentType(signedData []byte) (asn1.ObjectIdentifier, error) {
	var sd signedDataHead
	if _, err := asn1.Unmarshal(signedData, &sd); err != nil {
		return nil, fmt.Errorf("%w: SignedData", ErrMalformed)
	}
	return sd.Encap.ContentType, nil
}

// SplitSequence splits the DER SEQUENCE der, which must fill der exactly,
// into its elements.
func SplitSequence(der []byte) ([]asn1.RawValue, error) {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(rest))
	}
	if seq.Class != 0 || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil, fmt.Errorf("not a SEQUENCE")
	}
	var elems []asn1.RawValue
	for b := seq.Bytes; len(b) > 0; {
		var e asn1.RawValue
		if b, err = asn1.Unmarshal(b, &e); err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	return elems, nil
}

// EncodeRejection returns the DER TimeStampResp of a rejection (RFC 3161
// §2.4.2), with one statusString and the failInfo bit failure set (a
// PKIFailureInfo bit: badAlg 0, badRequest 2, badDataFormat 5, ...):
//
//	PKIStatusInfo ::= SEQUENCE { status PKIStatus (rejection = 2),
//	   statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
func EncodeRejection(failure int, text string) []byte {
	status := TLV(TagSequence, []byte{TagInteger, 1, 2}, TLV(TagSequence, TLV(TagUTF8String, []byte(text))), BitFlag(failure))
	return TLV(TagSequence, status)
}
