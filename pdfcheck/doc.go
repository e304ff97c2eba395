// Package pdfcheck reads Custos's certificate PDFs and verifies their
// PAdES signatures offline: the code of `custos verify --pdf` and of the
// standalone verifier, with no PDF writer, font or network in it.
//
// Verify checks the signature that covers the whole file, in named steps,
// at the time of its time-stamp: the byte range, the CMS SignedData
// (RFC 5652), the signed attributes, the signature value, the signature
// time-stamp (RFC 3161 Appendix A) and the signer's chain, then every
// other signature of the document and, for a certified document, what its
// later revisions change (DocMDP, ISO 32000-1 §12.8.2.2). Attachments and
// Links read what a verified document carries: its embedded files (each
// item's receipt) and its links.
//
// The package reads PDFs with a small parser of its own: classic
// cross-reference tables and cross-reference streams, object streams, no
// encryption. It exports that parser's object model (File, Dict, Name,
// Ref, ...) and the serialization of objects (WriteObject) for
// notary/pdf, which writes and signs certificates as incremental updates
// of what it parses here, so that both read a PDF the same way.
// FindSignature, VerifyWhole, CheckSignatures, CheckChanges and ContentBox
// are steps of Verify on their own, which notary/pdf's tests (they sign
// the documents they check, so they cannot live here) run alone.
package pdfcheck
