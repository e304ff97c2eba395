// Package rfc3161 checks RFC 3161 time-stamp replies offline: the reply's
// status, the token's CMS signature and ESS signing-certificate attribute,
// the message imprint, and the signer's chain to trusted roots at the
// token's own time. It makes no network call and holds no key: the TSA
// server and client (package notary) and the receipt verifier (package
// receipt) both check tokens through it, so the verifier does not
// link the server.
package rfc3161
