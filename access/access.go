// Package access holds who may do what: organizations, their API keys
// (stored hashed), the roles those keys carry and the permissions of each
// role. Object-level rules (which evidence an organization may see) live
// with the objects, in package evidence; this package answers "who is
// calling, and what kind of act may they perform".
package access

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"slices"
	"time"

	"github.com/custos-project/custos/internal/problem"
)

// Organization kinds.
const (
	KindCourt       = "court"
	KindNotary      = "notary"
	KindArbitration = "arbitration"
	KindLawFirm     = "lawfirm"
	KindIPOwner     = "ipowner"
	KindOperator    = "operator" // the organization that runs the node
)

// Kinds lists the organization kinds.
var Kinds = []string{KindCourt, KindNotary, KindArbitration, KindLawFirm, KindIPOwner, KindOperator}

// IssuesCertificates reports whether organizations of kind may issue
// notarial certificates: notary offices, and the operator (the embedded
// default's organization, which acts as the notary of a development node).
// The certify permission alone is not enough: it belongs to a role, which
// a key of any organization kind may hold.
func IssuesCertificates(kind string) bool { return kind == KindNotary || kind == KindOperator }

// Role is what a key may do within its organization.
type Role string

// Roles.
const (
	RoleAdmin     Role = "admin"     // manages organizations and keys; acts as a submitter of its own organization
	RoleSubmitter Role = "submitter" // files evidence, manages matters, shares, webhooks
	RoleViewer    Role = "viewer"    // reads its organization's evidence and what is shared with it
	RoleExaminer  Role = "examiner"  // a court's reader: reads what is shared with its organization
	RoleNotary    Role = "notary"    // reads, and issues notarial certificates
)

// Roles lists the roles.
var Roles = []Role{RoleAdmin, RoleSubmitter, RoleViewer, RoleExaminer, RoleNotary}

// Permission is one kind of act.
type Permission string

// Permissions.
const (
	PermAdmin    Permission = "admin"    // organizations and keys
	PermFile     Permission = "file"     // file evidence, manage matters
	PermRead     Permission = "read"     // read evidence the organization may see
	PermShare    Permission = "share"    // share and revoke shares
	PermWebhooks Permission = "webhooks" // manage the organization's webhooks
	PermCertify  Permission = "certify"  // issue notarial certificates
)

var rolePerms = map[Role][]Permission{
	RoleAdmin:     {PermAdmin, PermFile, PermRead, PermShare, PermWebhooks, PermCertify},
	RoleSubmitter: {PermFile, PermRead, PermShare, PermWebhooks},
	RoleViewer:    {PermRead},
	RoleExaminer:  {PermRead},
	RoleNotary:    {PermRead, PermCertify},
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := rolePerms[r]; return ok }

// Can reports whether the role grants p.
func (r Role) Can(p Permission) bool { return slices.Contains(rolePerms[r], p) }

// HeldBy reports whether a key of an organization of kind may have the
// role: admin manages every organization, so only the operator's own
// organization may hold it.
func (r Role) HeldBy(kind string) bool { return r != RoleAdmin || kind == KindOperator }

// Granting lists the roles that grant p, in the order of Roles.
func Granting(p Permission) []Role {
	var rs []Role
	for _, r := range Roles {
		if r.Can(p) {
			rs = append(rs, r)
		}
	}
	return rs
}

// Sentinel errors.
var (
	ErrBadToken  = errors.New("access: invalid token")
	ErrNotFound  = errors.New("access: not found")
	ErrBadInput  = errors.New("access: invalid input")
	ErrRevoked   = errors.New("access: key revoked")
	ErrExpired   = errors.New("access: key expired")
	ErrForbidden = errors.New("access: not permitted")
	// ErrBusy means a token could not be checked now: too many unknown
	// tokens were presented lately (see kdfGate). Retry shortly.
	ErrBusy = errors.New("access: busy")
	// ErrLastAdmin refuses to revoke the last admin key that is neither
	// revoked nor expired: the node would have no administrator, and no
	// way to make one (a first start bootstraps an empty store only).
	ErrLastAdmin = errors.New("access: the last live admin key")
)

// Org is an organization.
type Org struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Settings
}

// Settings are what an organization's administrator chooses for it.
type Settings struct {
	// UnlistedByDefault files the organization's uploads unlisted (out of
	// the consortium's digest index and the public lookup) unless an
	// upload's metadata says "unlisted": false.
	UnlistedByDefault bool `json:"unlisted_by_default"`
}

// OrgPatch changes an organization: each field that is not nil.
type OrgPatch struct {
	Name              *string
	UnlistedByDefault *bool
}

// Key is an API key, as listed. Its token is never stored, only a
// verifier (see token.go). Prefix is the public start of a generated token,
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

// Principal is an authenticated caller.
type Principal struct {
	Key Key
	Org Org
}

// Can reports whether the caller's role grants p.
func (p *Principal) Can(perm Permission) bool { return p.Key.Role.Can(perm) }

// Actor names the caller in custody events: "<org id>:<key id>".
func (p *Principal) Actor() string { return p.Org.ID + ":" + p.Key.ID }

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a fresh, unguessable ID: 128 random bits in lowercase
// base32 (26 characters), like evidence IDs.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("access: crypto/rand failed: " + err.Error())
	}
	return idEncoding.EncodeToString(b[:])
}

// badInput is ErrBadInput with the catalog message id (internal/problem)
// and its parameters, so the API answers it in the client's language.
func badInput(id string, kv ...any) error {
	return problem.Refuse(ErrBadInput, id, kv...)
}
