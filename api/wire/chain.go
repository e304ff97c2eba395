package wire

import "time"

// ChainStatusView is the answer of GET /api/v1/admin/chain.
type ChainStatusView struct {
	Height       int64         `json:"height"`
	StateVersion int           `json:"state_version"`
	Latest       int           `json:"latest_state_version"` // the newest this node runs
	Upgrades     []UpgradePlan `json:"upgrades"`
	// Deposits counts the deposits the node holds off the chain (nil from
	// a server that does not show them).
	Deposits *DepositHolds `json:"deposit_holds,omitempty"`
	// Members is, when asked (ChainStatusWith), what each current member's
	// node runs, as it said over the peer API.
	Members []MemberSoftware `json:"members,omitempty"`
}

// DepositHolds counts the deposits a node keeps off the chain: held
// while their copyright registrations wait for the consortium's
// register, released and not yet submitted, and unreadable (parked).
type DepositHolds struct {
	Held       int        `json:"held"`
	Released   int        `json:"released"`
	Unreadable int        `json:"unreadable"`
	HeldSince  *time.Time `json:"held_since,omitempty"` // when the earliest held file was filed
}

// UpgradePlan is one proposed state upgrade and the power that voted for it.
type UpgradePlan struct {
	Version     int      `json:"state_version"`
	Height      int64    `json:"height"`
	Voters      []string `json:"voters"` // member IDs (Tx.Member)
	VotedPower  int64    `json:"voted_power"`
	TotalPower  int64    `json:"total_power"`
	WillHappen  bool     `json:"will_happen"` // more than 2/3 voted and the height is ahead
	CurrentHead int64    `json:"current_height"`
}

// UpgradeRequest is the body of POST /api/v1/admin/chain/upgrade.
type UpgradeRequest struct {
	StateVersion int   `json:"state_version"`
	Height       int64 `json:"height"`
	// Force skips the check that every member's node runs software that
	// knows StateVersion (409 upgrade-not-ready otherwise).
	Force bool `json:"force,omitempty"`
}

// MemberSoftware is what one member's node runs, as the voting node
// learned it before a state-upgrade vote (problem upgrade-not-ready).
type MemberSoftware struct {
	Member string `json:"member"` // member ID
	Name   string `json:"name,omitempty"`
	// Version is the build's version, as the node said; LatestState the
	// newest state version its software runs: 0 when it could not say,
	// and Reason says why.
	Version     string `json:"version,omitempty"`
	LatestState int    `json:"latest_state_version"`
	Reason      string `json:"reason,omitempty"`
}
