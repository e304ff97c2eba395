package wire

import (
	"time"
)

// Org is an organization.
type Org struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// UnlistedByDefault: its uploads are unlisted unless their metadata
	// says "unlisted": false.
	UnlistedByDefault bool `json:"unlisted_by_default"`
}

// OrgView is an organization as the org endpoints show it: on a
// consortium node, with where it stands in the consortium's directory.
type OrgView struct {
	Org
	Directory *OrgDirectory `json:"directory,omitempty"`
}

// Directory statuses of an organization (OrgDirectory.Status).
const (
	DirectoryRegistered = "registered" // listed, as it is now
	DirectoryPending    = "pending"    // not yet listed as it is now; the node registers it within seconds
	DirectoryConflict   = "conflict"   // another member's organization holds its name: rename it
)

// OrgDirectory is where an organization stands in the consortium's
// directory (chain state version 4).
type OrgDirectory struct {
	Status string `json:"status"`
	Height int64  `json:"height,omitempty"` // registered: the block that registered it
	// A conflict: the organization that holds the name, and its home member.
	Holder           string `json:"holder,omitempty"`
	HolderMember     string `json:"holder_member,omitempty"`
	HolderMemberName string `json:"holder_member_name,omitempty"`
}

// Key is an API key, as listed. Its token is never stored, only a
// verifier. Prefix is the public start of a generated token,
// "cst_" and the key's ID, which carries none of its secret; a chosen
// token, and one stored by an earlier version, have none.
type Key struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"org"`
	Role      Role       `json:"role"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Role is what a key may do within its organization.
type Role string

// Permission is one kind of act.
type Permission string

// OrgInput creates an organization.
type OrgInput struct {
	Kind              string `json:"kind"`
	Name              string `json:"name"`
	UnlistedByDefault bool   `json:"unlisted_by_default,omitempty"`
}

// OrgPatch changes an organization: the fields given.
type OrgPatch struct {
	Name              *string `json:"name,omitempty"`
	UnlistedByDefault *bool   `json:"unlisted_by_default,omitempty"`
}

// KeyInput creates an API key.
type KeyInput struct {
	Role      Role       `json:"role"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// NewKeyView answers a key creation: the token is shown this once.
type NewKeyView struct {
	Key   Key    `json:"key"`
	Token string `json:"token"`
}

// MeView describes the caller.
type MeView struct {
	Key         Key          `json:"key"`
	Org         Org          `json:"org"`
	Permissions []Permission `json:"permissions"`
}

// DirectoryEntry is an organization as the consortium's directory lists
// it on every member (chain state version 4): its home is the member whose
// node registered it.
type DirectoryEntry struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Member     string `json:"member"`                // the home member's ID
	MemberName string `json:"member_name,omitempty"` // its name in the trust bundle
	Height     int64  `json:"height"`                // the block that registered it
	// Set when the home member was removed from the consortium (at
	// HomeRemovedAt): the organization keeps its entry and its name,
	// which nobody else can take, but its node no longer belongs to the
	// consortium (docs/governance.md, "Leaving the consortium").
	FormerMember  bool  `json:"former_member,omitempty"`
	HomeRemovedAt int64 `json:"home_removed_at,omitempty"`
}

// NameConflict is the data of a directory.name_conflict webhook: the
// organization Org cannot enter the consortium's directory, because
// Holder, an organization homed on another member, registered Name first.
// Org must rename.
type NameConflict struct {
	Org              string `json:"org"`
	Name             string `json:"name"`
	Holder           string `json:"holder"`
	HolderMember     string `json:"holder_member"`
	HolderMemberName string `json:"holder_member_name,omitempty"`
	// Claimant is set when Org is the holder: the organization, homed on
	// ClaimantMember, that claimed Org's name after it (chain state
	// version 5) and stays out of the directory until it is renamed.
	Claimant           string `json:"claimant,omitempty"`
	ClaimantMember     string `json:"claimant_member,omitempty"`
	ClaimantMemberName string `json:"claimant_member_name,omitempty"`
}
