package wire

import (
	"time"
)

// Work is what an owner states about a work: the registration's metadata.
type Work struct {
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Authors []string `json:"authors"`
	// Owner is the copyright owner's name, as stated by the registrant.
	Owner string `json:"owner"`
	// Created is the date the work was completed (YYYY-MM-DD).
	Created          string       `json:"created"`
	FirstPublication *Publication `json:"first_publication,omitempty"`
}

// Publication is a work's first publication.
type Publication struct {
	Date  string `json:"date"`
	Place string `json:"place"`
}

// Copyright is one registration.
type Copyright struct {
	ID string `json:"id"`
	// Number is the registration number: on a consortium (chain state
	// version 5), CUS-(YEAR)-作登字-M<m>-NNNNNN, assigned by the chain when
	// the registration is final, unique across the consortium ("" and
	// Status "pending" until then); before that, a legacy number
	// CUS-(YEAR)-作登字-NNNNNN of the node's own.
	Number string `json:"number"`
	// NumberedHeight is the block that entered the registration in the
	// consortium's register and numbered it.
	NumberedHeight int64 `json:"numbered_height,omitempty"`
	Work
	Status         string     `json:"status"`
	Items          []string   `json:"items"` // evidence IDs of the work's files
	RegistrantOrg  string     `json:"registrant_org"`
	Registrant     string     `json:"registrant"` // the actor who registered
	OwnerOrg       string     `json:"owner_org"`  // the current owner organization
	RegisteredAt   time.Time  `json:"registered_at"`
	AnchoredHeight int64      `json:"anchored_height,omitempty"` // the block that anchored the registration
	Transfers      []Transfer `json:"transfers,omitempty"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	RevokedBy      string     `json:"revoked_by,omitempty"`
	RevokeReason   string     `json:"revoke_reason,omitempty"`
}

// Transfer is one change of the owner organization: an accepted offer
// (POST /api/v1/copyrights/{id}/transfers, then accept).
type Transfer struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	By   string    `json:"by"` // the actor who offered it
	At   time.Time `json:"at"` // when it was accepted
	// Offer is the accepted offer's ID and AcceptedBy the actor of the
	// recipient who accepted it; both are empty on a transfer made before
	// transfers needed consent.
	Offer      string `json:"offer,omitempty"`
	AcceptedBy string `json:"accepted_by,omitempty"`
}

// RevokeInput states why a registration is revoked.
type RevokeInput struct {
	Reason string `json:"reason"`
}

// CopyrightMatch is one registration found by a priority search. A
// match held by another member of the consortium (Remote) is known here
// only by what the consortium's register replicates: its number, its
// registrant organization, its files' fingerprints and its anchoring; not
// its work, owner, status changes or files.
type CopyrightMatch struct {
	ID           string    `json:"id"`
	Number       string    `json:"number"` // "" while pending (the chain has not numbered it yet)
	Title        string    `json:"title,omitempty"`
	Type         string    `json:"type,omitempty"`
	Authors      []string  `json:"authors,omitempty"`
	Owner        string    `json:"owner,omitempty"`     // the copyright owner, as stated
	OwnerOrg     string    `json:"owner_org,omitempty"` // the current owner organization
	OwnerOrgName string    `json:"owner_org_name,omitempty"`
	Status       string    `json:"status"`
	RegisteredAt time.Time `json:"registered_at,omitzero"`
	// Anchored tells whether the registration is anchored; AnchoredAt is
	// when it became final in the chain, the time its priority rests on.
	Anchored       bool      `json:"anchored"`
	AnchoredAt     time.Time `json:"anchored_at,omitzero"`
	AnchoredHeight int64     `json:"anchored_height,omitempty"`
	Item           string    `json:"item,omitempty"` // the matching file's evidence ID (on its home member)
	Match          string    `json:"match"`          // "exact" (same SHA-256) or "similar" (perceptual hash)
	Distance       int       `json:"distance"`       // Hamming distance of the perceptual hashes; 0 when exact
	// The consortium's register: Member is the member whose node holds
	// the registration, MemberName its name in the trust bundle,
	// RegisterOrder its place in the register (the order of priority; 0
	// while the register does not hold it), Legacy whether Number is one
	// its member gave before the register numbered registrations.
	Member        string `json:"member,omitempty"`
	MemberName    string `json:"member_name,omitempty"`
	RegisterOrder uint64 `json:"register_order,omitempty"`
	// CommittedHeight and CommittedAt are the block, and its time, whose
	// commitment took the registration's place in the register (chain
	// state version 12): from then the chain knew of it, before its
	// fingerprints were shown. Absent for a registration without one.
	CommittedHeight   int64     `json:"committed_height,omitempty"`
	CommittedAt       time.Time `json:"committed_at,omitzero"`
	Legacy            bool      `json:"legacy,omitempty"`
	Remote            bool      `json:"remote,omitempty"`
	RegistrantOrg     string    `json:"registrant_org,omitempty"`
	RegistrantOrgName string    `json:"registrant_org_name,omitempty"`
}

// CopyrightSearch is the answer of a priority search: the registrations
// that hold the file, in the consortium register's order (the first came
// first), then those it does not hold yet (pending here), as their order
// is not settled; on a node without the register, earliest anchored
// first, unanchored ones last.
type CopyrightSearch struct {
	SHA256 string `json:"sha256,omitempty"`
	Number string `json:"number,omitempty"` // a search by registration number
	PHash  string `json:"phash,omitempty"`  // the file's perceptual hash, if it is an image
	// PHashSkipped says why an image has no perceptual hash, so that only
	// exact matches were searched: "too-large" (over the size or decoding
	// limits) or "flat" (a solid colour or close to it, whose hash would
	// be noise).
	PHashSkipped string           `json:"phash_skipped,omitempty"`
	Threshold    int              `json:"threshold"` // the largest distance reported as similar
	Matches      []CopyrightMatch `json:"matches"`
	// Truncated tells that more than MaxSearchMatches
	// registrations matched: Matches holds the earliest of them.
	Truncated bool `json:"truncated,omitempty"`
}

// TransferInput is an offer of a registration to another organization:
// To, and the days the offer waits for an answer (default 14, 1 to 90).
type TransferInput struct {
	To            string `json:"to"`
	ExpiresInDays int    `json:"expires_in_days,omitempty"`
}

// TransferOffer is an offer to transfer a registration to another
// organization. Only its two organizations may read it.
type TransferOffer struct {
	ID        string     `json:"id"`
	Copyright string     `json:"copyright"`  // the registration's ID
	From      string     `json:"from"`       // the owner organization that offers it
	To        string     `json:"to"`         // the recipient organization
	OfferedBy string     `json:"offered_by"` // the offering actor
	OfferedAt time.Time  `json:"offered_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	Status    string     `json:"status"`
	SettledBy string     `json:"settled_by,omitempty"` // the actor who accepted, declined or withdrew it, or found it expired
	SettledAt *time.Time `json:"settled_at,omitempty"`
	// The two organizations' names, as the answering node knows them.
	FromName string `json:"from_name,omitempty"`
	ToName   string `json:"to_name,omitempty"`
}

// TransferAnswer is the answer to an accepted offer: the offer, and the
// registration as it now stands.
type TransferAnswer struct {
	Offer     *TransferOffer `json:"offer"`
	Copyright *Copyright     `json:"copyright"`
}
