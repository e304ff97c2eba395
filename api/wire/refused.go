package wire

import "time"

// RefusedNotice is one share whose notice the grantee's home member
// refused for good, as GET /api/v1/admin/peer/refused lists it: the
// refused notice, the member's answer, and how many later notices of the
// share wait unsent behind it.
type RefusedNotice struct {
	Share      string    `json:"share"`
	Action     string    `json:"action"` // share or revoke: what the refused notice told
	Kind       string    `json:"kind"`   // evidence or matter
	Target     string    `json:"target"`
	Grantor    string    `json:"grantor"`
	Grantee    string    `json:"grantee"`
	Member     string    `json:"member"` // the grantee's home member, whose node refused it
	MemberName string    `json:"member_name,omitempty"`
	Status     int       `json:"status"`           // its answer; 0: not sent (an earlier notice of the share was refused)
	Type       string    `json:"type,omitempty"`   // the answer's problem type
	Detail     string    `json:"detail,omitempty"` // the answer's problem detail, as the member wrote it
	RefusedAt  time.Time `json:"refused_at"`
	Parked     int       `json:"parked"` // later notices of the share, not sent
}

// RefusedNotices is the answer of GET /api/v1/admin/peer/refused: the
// latest refusals first, at most limit of them, and how many there are.
type RefusedNotices struct {
	Notices []RefusedNotice `json:"notices"`
	Total   int             `json:"total"`
}

// RefusedAct is the answer of POST /api/v1/admin/peer/refused/{share}/resend
// (Result "resent": the notices are queued again) and of DELETE
// /api/v1/admin/peer/refused/{share} (Result "dropped": never sent).
type RefusedAct struct {
	RefusedNotice
	Result  string `json:"result"`
	Notices int    `json:"notices"` // the refused notice and those parked behind it
}
