package wire

import (
	"encoding/json"
	"time"
)

// CertificateInput asks for a notarial certificate over evidence items,
// named one by one or as a whole matter (exactly one of the two).
// Applicant names who applied for it; without it, the applicant is the
// items' owner, and the items must then all belong to one organization.
type CertificateInput struct {
	Evidence  []string        `json:"evidence,omitempty"`
	Matter    string          `json:"matter,omitempty"`
	Applicant *ApplicantInput `json:"applicant,omitempty"`
	// Lang is the language of the certificate's body: "zh" (the default,
	// a 保全证据公证书) or "en" (the same certificate with an English body).
	Lang string `json:"lang,omitempty"`
}

// ApplicantInput names a certificate's applicant (申请人): exactly one of an
// organization of this node, by ID, or a natural person.
type ApplicantInput struct {
	Org    string  `json:"org,omitempty"`
	Person *Person `json:"person,omitempty"`
}

// Person is a natural person named as a certificate's applicant, as the
// request states them.
type Person struct {
	Name string `json:"name"`
	// IDType is "resident_id" (the default when empty) or "passport".
	IDType   string `json:"id_type,omitempty"`
	IDNumber string `json:"id_number"`
}

// Applicant is the party who applied for a notarial certificate (申请人):
// an organization of this node, or a natural person. The notary office and
// the notary who sign the certificate are its issuer, never its applicant
// (unless the office applied to itself).
type Applicant struct {
	// Kind is "org" or "person".
	Kind string `json:"kind"`
	// Org is the organization's ID (kind "org").
	Org string `json:"org,omitempty"`
	// Name is the organization's name when the certificate was issued, or
	// the person's name.
	Name string `json:"name"`
	// IDType is the person's identity document, "resident_id" or "passport".
	IDType string `json:"id_type,omitempty"`
	// IDNumberMasked is the document's number with its middle hidden
	// as the certificate prints it. The full number is
	// checked when the certificate is asked for and never stored.
	IDNumberMasked string `json:"id_number_masked,omitempty"`
}

// Certificate is a notarial certificate this node issued over one or more
// evidence items. The signed PDF is stored with it, and served byte for
// byte as issued.
type Certificate struct {
	ID string `json:"id"`
	// Number is the certificate number printed on it, "（YEAR）PREFIX证字第N号" (certificates issued before this format keep "(YEAR)PREFIX证字第 N 号");
	// Year and Serial are its parts.
	Number string `json:"number"`
	Year   int    `json:"year"`
	Serial uint64 `json:"serial"`
	Status string `json:"status"`
	Org    string `json:"org"`   // the issuing organization
	Actor  string `json:"actor"` // the issuing key, "<org>:<key>"
	Office string `json:"office"`
	Notary string `json:"notary"`
	// Applicant is the party who applied for the certificate (申请人);
	// the office and the notary are its issuer. Certificates issued before
	// applicants were recorded have none (their PDF named the issuing
	// organization).
	Applicant *Applicant `json:"applicant,omitempty"`
	// Evidence lists the items in the order the certificate states them.
	Evidence []string `json:"evidence"`
	// Matter is set when the certificate was asked for a whole matter.
	Matter   string    `json:"matter,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
	// PDFSHA256 is the hex SHA-256 of the signed PDF; PDFSize its length.
	PDFSHA256 string `json:"pdf_sha256"`
	PDFSize   int64  `json:"pdf_size"`
	// VerifyToken opens the certificate's public verification view
	// (GET /api/v1/verify/{token}); its QR code carries it. Certificates issued
	// before tokens existed have none, and no public view.
	VerifyToken string `json:"verify_token,omitempty"`
	// Readers are the organizations that may read the certificate: the
	// issuing organization, and the items' owner when they all belong to
	// one organization.
	Readers []string `json:"readers"`
	// The names beside the IDs, as the answering node knows them now: the
	// issuing organization's name and the matter's title (the applicant's
	// name is in applicant).
	OrgName     string `json:"org_name,omitempty"`
	MatterTitle string `json:"matter_title,omitempty"`
}

// DocumentCheck is the public verification view of a signed document: a
// notarial certificate or a copyright registration certificate. It is
// served without authentication to whoever holds the document's
// verification token (128 random bits, separate from its ID), which only
// the document itself carries, in its QR code and verification link, so
// that a court can check a document on paper against the node and the
// consortium chain. It names the items by digest and carries their
// receipts, which the verification page checks offline; titles, file names
// and contents stay private.
type DocumentCheck struct {
	Kind     string    `json:"kind"` // "certificate" or "copyright"
	ID       string    `json:"id"`
	Number   string    `json:"number"`
	Status   string    `json:"status"` // "valid" or "revoked"
	IssuedAt time.Time `json:"issued_at"`
	Office   string    `json:"office"`
	Notary   string    `json:"notary"`
	// PDFSHA256 is the hex SHA-256 of the signed PDF as issued, to compare
	// with the file in hand.
	PDFSHA256 string              `json:"pdf_sha256"`
	Items     []DocumentCheckItem `json:"items"`
	// Lang is the language of a copyright registration certificate's
	// body, "zh" or "en": each language is a document of its own, with
	// its own token. Absent for a notarial certificate.
	Lang string `json:"lang,omitempty"`
}

// DocumentCheckItem is one evidence item of a document: its digest and
// its receipt (the canonical bytes) as of the document's issue.
type DocumentCheckItem struct {
	ID      string          `json:"id"`
	SHA256  string          `json:"sha256"`
	Receipt json.RawMessage `json:"receipt"`
}
