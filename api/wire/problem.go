package wire

import "time"

// ProblemBase prefixes every problem type. Problem types are stable; each is
// documented in docs/api.md.
const ProblemBase = "urn:custos:problem:"

// Problem is an RFC 9457 problem details object (application/problem+json).
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
	// Candidates are what an ambiguous or look-alike name could mean
	// (problem types name-ambiguous, name-confusable, name-look-alike).
	Candidates []Candidate `json:"candidates,omitempty"`
	// Field is the request's field that named nothing, for a 404
	// not-found of a name: a JSON member (org, to, applicant.org,
	// matter; matter also for ?matter= and an upload's metadata) or id,
	// the path's {id}.
	Field string `json:"field,omitempty"`
	// Suggestions are, for that 404 (and for GET /api/v1/directory?name=
	// of a name the directory does not hold), the names closest to the one given
	// that the caller may see (a typo's "did you mean"), closest first,
	// at most 3; the detail names them too.
	Suggestions []Candidate `json:"suggestions,omitempty"`
	// Needed is the permission a key's role lacks, and the roles that
	// grant it (problem type forbidden, for a role without it).
	Needed *Needed `json:"needed,omitempty"`
	// Reason is the decoder's reason, in English whatever the answer's
	// language (technical words, not translated), for a governance
	// transaction that does not decode (problem type malformed-tx); and
	// the chain's, as CheckTx gave it, for its refusal of a governance
	// transaction or an upgrade vote (malformed-tx, not-a-member,
	// governance-duplicate, proposal-closed, no-governance,
	// vote-version, change-refused, governance-cert-revoked,
	// no-revocation, upgrade-refused); for bad-relay answering a member's
	// refusal of this node's request, that refusal's problem type
	// (stale-request, replayed-request, not-a-member).
	Reason string `json:"reason,omitempty"`
	// Members are, for upgrade-not-ready, the members whose nodes do not
	// run software that knows the state version voted for, or could not
	// say.
	Members []MemberSoftware `json:"members,omitempty"`
}

// Needed is the permission an operation needs, and every role that grants
// it (the admin role only to keys of the operator's organization).
type Needed struct {
	Permission string   `json:"permission"`
	Roles      []string `json:"roles"`
}

// Candidate is one organization or matter a name in a request could mean:
// give its ID to choose it.
type Candidate struct {
	ID   string `json:"id"`
	Name string `json:"name"` // an organization's name, a matter's title
	// CreatedAt is when it was created (matters, and organizations of the
	// answering node).
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// Member and MemberName are an organization's home member, when the
	// consortium's directory lists it.
	Member     string `json:"member,omitempty"`
	MemberName string `json:"member_name,omitempty"`
}

// FieldError is one invalid metadata field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
