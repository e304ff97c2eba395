// Package cms encodes and decodes the DER of the Cryptographic Message
// Syntax that Custos signs with: a ContentInfo holding a SignedData with one
// SignerInfo (RFC 5652 §3, §5), its attributes (RFC 5652 §5.3, RFC 5035),
// and the RFC 3161 structures around a time-stamp token: TimeStampReq,
// TimeStampResp and PKIStatusInfo, TSTInfo and MessageImprint, and the ESS
// signing-certificate identifiers (RFC 2634 §5.4, RFC 5035 §3).
//
// It is the one DER codec of package notary (the built-in TSA's tokens, its
// queries and replies), package notary/pdf (PAdES signatures) and package
// internal/rfc3161 (the offline token checks of the TSA client and the
// receipt verifier), so each structure is written and read in one place.
// Encoding writes DER by hand, with every length computed before the bytes
// are written, so that a token is written once into one buffer; decoding
// reads with golang.org/x/crypto/cryptobyte, which accepts DER only
// (minimal lengths and integers, no indefinite forms). Decode then Encode
// gives back the same bytes, and FuzzDecode shows it.
//
// The decoders the token checks have always read with encoding/asn1 (the
// TSTInfo beyond the shape a TSA writes, the TimeStampResp, the ESS
// identifiers, the head of a SignedData the pkcs7 path reads) still read
// with it, as digitorus/timestamp and digitorus/pkcs7 do: the verdicts on
// stored tokens, old receipts among them, depend on what they accept.
//
// The package checks structure, not meaning: which versions, content types
// and algorithms a signature may use is decided by its caller.
package cms
