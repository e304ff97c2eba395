package api

import (
	"encoding/json"
	"time"
)

// DocumentCheck is the public verification view of a signed document: a
// notarial certificate or a copyright registration certificate. It is
// served without authentication to whoever holds the document's ID, which
// its QR code carries (IDs are 128 random bits), so that a court can check
// a document on paper against the node and the consortium chain. It names
// the items by digest and carries their receipts, which the verification
// page checks offline; titles, file names and contents stay private.
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
}

// DocumentCheckItem is one evidence item of a document: its digest and
// its receipt as of the document's issue.
type DocumentCheckItem struct {
	ID      string          `json:"id"`
	SHA256  string          `json:"sha256"`
	Receipt json.RawMessage `json:"receipt"`
}
