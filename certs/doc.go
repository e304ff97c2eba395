// Package certs builds and stores the Custos consortium PKI.
//
// The consortium has one root CA. Each member organization (a court, a
// notary office or an arbitration commission) has its own CA directly under
// the root, and that CA issues the organization's end-entity certificates,
// such as its RFC 3161 time-stamping authority (TSA) certificate:
//
//	root (MaxPathLen 1, 20 years)
//	└── organization CA (O=name, OU=kind, MaxPathLen 0, 10 years)
//	    └── TSA (digitalSignature, critical EKU timeStamping, 5 years)
//
// The CA, TSA and notary keys are of the consortium's Suite: ECDSA P-256
// (SuiteECDSA, the default) or SM2 with SM3 (SuiteSM, GM/T 0003 with the
// default user ID of GM/T 0009). Node keys stay Ed25519, and governance and
// TLS keys ECDSA P-256, in both suites (see Suite). Every serial number is a
// random 128-bit integer. Signing goes through crypto.Signer, so the keys may live in files,
// an HSM or a KMS alike.
//
// LoadOrCreateDev keeps the single-organization PKI of the embedded default
// deployment in a directory, creating it on first use in a crash-safe way.
package certs
