// Package pdf renders Custos's certificates as PDF documents and signs
// them as PAdES signatures.
//
// A Renderer lays a Document out on A4 pages in an embedded, subset CJK
// font, with a QR code that opens the certificate's verification page, and
// embeds each evidence item's receipt as an attached file, so that the
// document alone carries what is needed to verify it offline.
//
// Sign appends a PAdES baseline B-T signature (ETSI EN 319 142-1) as an
// incremental update: a signature field, and a detached CMS SignedData
// (RFC 5652) over the whole file but the signature value itself, whose
// signer's certificate is named in the signing-certificate-v2 attribute
// (RFC 5035) and whose signature value is time-stamped by an RFC 3161 TSA
// (the signature time-stamp, RFC 3161 Appendix A). pdfcheck.Verify checks
// such a signature offline, in named steps, at the time of its
// time-stamp: the verifier is its own package, with no PDF writer in it,
// so that the standalone verifier links no generator.
//
// The package reads the PDFs it updates with pdfcheck's parser.
package pdf
