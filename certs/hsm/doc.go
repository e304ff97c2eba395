// Package hsm opens a PKCS#11 token (a hardware security module, or a USB
// key whose vendor ships a PKCS#11 module) and hands out its keys as
// crypto.Signer values, so that the TSA and the notary's document signer
// sign with a key that never leaves the token.
//
// Only signing happens through the token: the private key stays inside, and
// the Signer asks the token for each signature (PKCS#11 C_Sign). Keys are
// found by label, by ID, or both (CKA_LABEL, CKA_ID).
//
// The package needs cgo (the module is loaded with dlopen); a binary built
// with CGO_ENABLED=0 has Open fail with ErrUnsupported.
package hsm
