// Package notary time-stamps evidence under RFC 3161.
//
// A TSA is the built-in time-stamping authority: Stamp serves the evidence
// pipeline in process, Respond and ServeHTTP answer RFC 3161 queries from
// anyone (for example `openssl ts -query`) at POST /tsa. A Client asks an
// external TSA for an independent second token. Check verifies a stored
// token offline, against the consortium roots, at the token's own time, so
// it still verifies after the TSA certificate has expired.
//
// Tokens are encoded directly in DER (RFC 3161 §2.4.2 TimeStampResp around
// an RFC 5652 SignedData) from parts precomputed once per TSA, rather than
// through github.com/digitorus/timestamp's CreateResponseWithOpts, which
// re-verifies the certificate chain (two ECDSA verifications) and
// re-encodes every field by reflection on each token. That package and
// github.com/digitorus/pkcs7 parse and verify tokens, and the tests check
// the built tokens with them and with OpenSSL.
package notary
