package wire

import (
	"time"
)

// Matter is a case file: evidence filed together for one dispute.
type Matter struct {
	ID         string    `json:"id"`
	Org        string    `json:"org"` // the organization that owns it
	Title      string    `json:"title"`
	Parties    []string  `json:"parties,omitempty"`
	CaseNumber string    `json:"case_number,omitempty"` // the court's case number, when known
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// MatterInput is what a client may set on a matter.
type MatterInput struct {
	Title      string   `json:"title"`
	Parties    []string `json:"parties,omitempty"`
	CaseNumber string   `json:"case_number,omitempty"`
}

// Share grants an organization read access to an evidence item or a whole
// matter, until it expires or is revoked.
type Share struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`   // evidence or matter
	Target    string     `json:"target"` // the evidence or matter ID
	Owner     string     `json:"owner"`  // the sharing organization
	Grantee   string     `json:"grantee"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Set on a received share made on another member's node: that
	// member's ID and trust-bundle name, and the sharing organization's
	// name. Reads of its items go through the caller's own node.
	HomeMember     string `json:"home_member,omitempty"`
	HomeMemberName string `json:"home_member_name,omitempty"`
	OwnerName      string `json:"owner_name,omitempty"`
	// Set on a received share whose home member was removed from the
	// consortium at that height: its items can no longer be read
	// (410 evidence-held-by-former-member).
	HomeRemovedAt int64 `json:"home_removed_at,omitempty"`
	// The names beside the IDs, as this node knows them: the
	// grantee's name; for an evidence item, its file name, size and
	// title; for a matter, its title. A received share made on another
	// member's node has no file name, size or title (its notice does not
	// carry them).
	GranteeName string `json:"grantee_name,omitempty"`
	FileName    string `json:"file_name,omitempty"`
	Size        int64  `json:"size,omitempty"`
	Title       string `json:"title,omitempty"`
}

// ShareInput shares one evidence item or a whole matter.
type ShareInput struct {
	Evidence  string     `json:"evidence,omitempty"`
	Matter    string     `json:"matter,omitempty"`
	Org       string     `json:"org"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// ListView is a page of items.
type ListView[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next_cursor,omitempty"`
}
