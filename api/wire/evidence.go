package wire

import (
	"time"

	"github.com/custos-project/custos/custody"
)

// EvidenceView is the JSON form of an evidence record.
type EvidenceView struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	SHA256         string     `json:"sha256"`
	SM3            string     `json:"sm3,omitempty"`
	Size           int64      `json:"size"`
	MediaType      string     `json:"media_type"`
	FileName       string     `json:"file_name,omitempty"`
	Title          string     `json:"title,omitempty"`
	Description    string     `json:"description,omitempty"`
	CaseRef        string     `json:"case_ref,omitempty"`
	Matter         string     `json:"matter,omitempty"`
	Unlisted       bool       `json:"unlisted"`                  // the effective value: the upload's, else its organization's default
	AnchoredHeight int64      `json:"anchored_height,omitempty"` // the block that anchored it
	CapturedAt     *time.Time `json:"captured_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	Owner          string     `json:"owner"`
	// OwnerOrgName is the name of the organization in owner (before
	// ":"), as the answering node knows it; set on reads and listings,
	// absent in upload answers and webhooks.
	OwnerOrgName string      `json:"owner_org_name,omitempty"`
	Timestamp    TokenInfo   `json:"timestamp"` // the built-in TSA's token
	Timestamps   []TokenInfo `json:"timestamps"`
}

// TokenInfo describes one RFC 3161 token kept with a record. The token
// itself (the DER TimeStampResp) is served by the /timestamp endpoint.
type TokenInfo struct {
	TSA    string    `json:"tsa"`
	URL    string    `json:"url,omitempty"`
	Time   time.Time `json:"time"`
	Serial string    `json:"serial"`
	SHA256 string    `json:"sha256"` // of the DER reply, as in the created event
}

// Meta is the client-supplied description of an upload. Everything else
// about a record is computed by the server.
type Meta struct {
	Title       string     `json:"title,omitempty"`
	Description string     `json:"description,omitempty"`
	CaseRef     string     `json:"case_ref,omitempty"`
	CapturedAt  *time.Time `json:"captured_at,omitempty"`
	MediaType   string     `json:"media_type,omitempty"`
	FileName    string     `json:"file_name,omitempty"`
	// Matter files the evidence into one of the uploader's matters.
	Matter string `json:"matter,omitempty"`
	// Unlisted keeps the deposit out of the consortium's digest index and
	// out of the public lookup (docs/api.md, "Public lookup"); nil takes
	// the organization's default (unlisted_by_default), false overrides it.
	Unlisted *bool `json:"unlisted,omitempty"`
}

// CustodyView is the JSON form of an item's custody chain.
type CustodyView struct {
	Evidence string         `json:"evidence"`
	Events   []CustodyEvent `json:"events"`
	// PendingReads (absent when there are none) are the reads counted in
	// open fold windows: durable, but not yet in the chain, which they join
	// as one event each when their window closes (docs/custody-events.md,
	// "Folded reads").
	PendingReads []PendingRead `json:"pending_reads,omitempty"`
}

// CustodyEvent is a custody event as the API shows it: the event's fields
// as recorded (custody.Event, whose canonical bytes are what is hashed and
// anchored), and beside them the name of the actor's organization, as the
// answering node knows it now. The name is not part of the event: a
// verifier re-encodes the event's own fields (custody.Event) and ignores
// it.
type CustodyEvent struct {
	custody.Event
	ActorOrgName string `json:"actor_org_name,omitempty"`
}

// Chain is the events as recorded, without the names: what
// custody.CheckChain checks.
func (v *CustodyView) Chain() []*custody.Event {
	out := make([]*custody.Event, len(v.Events))
	for i := range v.Events {
		out[i] = &v.Events[i].Event
	}
	return out
}

// PendingRead is an open fold: reads already counted (durably) that are not
// yet in the item's custody chain. They will be, as one event, when the
// fold closes.
type PendingRead struct {
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	Subject string    `json:"subject,omitempty"`
	Reads   uint64    `json:"reads"`
	Since   time.Time `json:"since"` // the first of them
	Last    time.Time `json:"last"`  // the latest of them
}

// Lookup is what the public lookup reveals of a digest: whether and when a
// created event carrying it was first anchored, by which member's node, and
// how many deposits carry it; nothing about its owner.
type Lookup struct {
	SHA256     string    `json:"sha256"`
	SM3        string    `json:"sm3,omitempty"` // when asked by SM3
	Anchored   bool      `json:"anchored"`
	AnchoredAt time.Time `json:"anchored_at,omitzero"` // time of the block that made it final
	Height     int64     `json:"height,omitempty"`
	Member     string    `json:"member,omitempty"`      // member ID of the filing node
	MemberName string    `json:"member_name,omitempty"` // its name in the trust bundle
	Deposits   uint64    `json:"deposits,omitempty"`
	// Set when that member was removed from the consortium (at
	// MemberRemovedAt): the anchoring stands, but the member's node no
	// longer belongs to the consortium.
	FormerMember    bool  `json:"former_member,omitempty"`
	MemberRemovedAt int64 `json:"member_removed_at,omitempty"`
}

// PendingView answers a receipt request while the item is not yet anchored.
type PendingView struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// ConsistencyView is an RFC 6962 §2.1.2 consistency proof between two tree sizes.
type ConsistencyView struct {
	First  uint64   `json:"first"`
	Second uint64   `json:"second"`
	Proof  []string `json:"proof"` // hex node hashes
}

// RenewRequest is the body of POST /api/v1/admin/evidence-records/renew:
// with DryRun, the node reports what a run would renew and changes
// nothing. An empty body is a run.
type RenewRequest struct {
	DryRun bool `json:"dry_run,omitempty"`
}
