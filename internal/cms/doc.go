// Package cms encodes and decodes the DER of the Cryptographic Message
// Syntax that Custos signs with: a ContentInfo holding a SignedData with one
// SignerInfo (RFC 5652 §3, §5), its attributes (RFC 5652 §5.3, RFC 5035),
// and the RFC 3161 §2.4.2 TimeStampResp around a time-stamp token.
//
// It is the one codec of package notary (the built-in TSA's tokens) and
// package notary/pdf (PAdES signatures). Encoding writes DER by hand, with
// every length computed before the bytes are written, so that a token is
// written once into one buffer; decoding reads with
// golang.org/x/crypto/cryptobyte, which accepts DER only (minimal lengths
// and integers, no indefinite forms). Decode then Encode gives back the same
// bytes, and FuzzDecode shows it.
//
// The package checks structure, not meaning: which versions, content types
// and algorithms a signature may use is decided by its caller.
package cms
