package anchor

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
)

// The readable form of a decoded transaction in the published vectors
// (testdata/vectors, layout in its README.md). Byte strings are lower-case
// hex; certificates are given by subject, length and SHA-256 of their DER,
// since their bytes are in the transaction's hex.

// txJSON is a decoded transaction: which fields are present depends on
// its kind.
type txJSON struct {
	Version uint8  `json:"version"`
	Kind    string `json:"kind"`
	// KindByte is the kind byte; absent in version 1, which has none.
	KindByte     *uint8        `json:"kind_byte,omitempty"`
	NodeCert     *certJSON     `json:"node_cert,omitempty"`
	GovCert      *certJSON     `json:"governance_cert,omitempty"`
	OrgCA        *certJSON     `json:"org_ca"`
	Member       string        `json:"member"`
	Batch        *batchJSON    `json:"batch,omitempty"`
	Upgrade      *upgradeJSON  `json:"upgrade,omitempty"`
	Orgs         []orgJSON     `json:"organizations,omitempty"`
	Registration []regJSON     `json:"registrations,omitempty"`
	Proposal     *proposalJSON `json:"proposal,omitempty"`
	Vote         *ballotJSON   `json:"vote,omitempty"`
	Revoked      *certJSON     `json:"revoked_governance_cert,omitempty"` // version 10
	Commitments  []string      `json:"commitments,omitempty"`             // version 11
	Signature    string        `json:"signature"`
	SignedBy     string        `json:"signature_algorithm"`
}

type certJSON struct {
	Subject string `json:"subject"`
	Length  int    `json:"length"`
	SHA256  string `json:"sha256"`
}

type batchJSON struct {
	Seq      uint64        `json:"seq"`
	Leaves   []string      `json:"leaves"`
	Heads    []headJSON    `json:"heads,omitempty"`
	Deposits []depositJSON `json:"deposits,omitempty"`
}

type headJSON struct {
	Key string `json:"key"`
	// FirstBatch and FirstOffset locate the chain's first event (version
	// 3 on).
	FirstBatch  *uint64 `json:"first_batch,omitempty"`
	FirstOffset *uint32 `json:"first_offset,omitempty"`
	Events      uint64  `json:"events"`
	Value       string  `json:"value"`
}

type depositJSON struct {
	Batch  uint64 `json:"batch"`
	Offset uint32 `json:"offset"`
	SHA256 string `json:"sha256"`
	SM3    string `json:"sm3,omitempty"`
}

type upgradeJSON struct {
	StateVersion uint32 `json:"state_version"`
	Height       uint64 `json:"height"`
}

type orgJSON struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Revision uint64 `json:"revision,omitempty"` // version 8 only
}

type regJSON struct {
	ID      string        `json:"id"`
	Org     string        `json:"org"`
	Legacy  string        `json:"legacy"`
	Revoked bool          `json:"revoked"`
	Files   []RegFileJSON `json:"files"`
}

type proposalJSON struct {
	ID           string    `json:"id"`
	Expires      uint64    `json:"expires"`
	Override     bool      `json:"override"`
	Action       string    `json:"action"`
	ActionByte   uint8     `json:"action_byte"`
	Target       string    `json:"target,omitempty"`
	OrgCA        *certJSON `json:"org_ca,omitempty"`
	ValidatorKey string    `json:"validator_key,omitempty"`
	Power        uint64    `json:"power,omitempty"`
	CAHash       string    `json:"ca_hash,omitempty"`
}

type ballotJSON struct {
	ID       string `json:"id"`
	Yes      bool   `json:"yes"`
	Proposal string `json:"proposal_sha256,omitempty"` // version 9
}

var kindNames = map[uint8]string{KindBatch: "batch", KindUpgrade: "upgrade", KindDirectory: "directory",
	KindRegister: "register", KindPropose: "propose", KindVote: "vote", KindRevokeGov: "revoke-governance-cert",
	KindRegCommit: "regcommit"}

func certOf(c *x509.Certificate) *certJSON {
	if c == nil {
		return nil
	}
	sum := sha256.Sum256(c.Raw)
	return &certJSON{Subject: c.Subject.String(), Length: len(c.Raw), SHA256: hex.EncodeToString(sum[:])}
}

// toJSON is the readable form of a decoded transaction.
func toJSON(t *Tx) *txJSON {
	j := &txJSON{Version: t.Version, Kind: kindNames[t.Kind], NodeCert: certOf(t.NodeCert), GovCert: certOf(t.GovCert),
		OrgCA: certOf(t.OrgCA), Member: t.Member(), Signature: hex.EncodeToString(t.Sig), SignedBy: "Ed25519"}
	if j.Kind == "" {
		j.Kind = fmt.Sprintf("unknown-%d", t.Kind)
	}
	if t.Version >= TxVersion2 {
		k := t.Kind
		j.KindByte = &k
	}
	switch t.Kind {
	case KindBatch:
		j.Batch = batchJSONOf(t)
	case KindUpgrade:
		j.Upgrade = &upgradeJSON{StateVersion: t.Upgrade.Version, Height: t.Upgrade.Height}
	case KindDirectory:
		for _, o := range t.Orgs {
			j.Orgs = append(j.Orgs, orgJSON{ID: o.ID, Kind: o.Kind, Name: o.Name, Revision: o.Revision})
		}
	case KindRegister:
		for _, r := range t.Regs {
			rj := regJSON{ID: r.ID, Org: r.Org, Legacy: r.Legacy, Revoked: r.Revoked, Files: []RegFileJSON{}}
			for _, f := range r.Files {
				fj := RegFileJSON{SHA256: hex.EncodeToString(f.SHA256[:])}
				if f.HasPHash {
					fj.PHash = fmt.Sprintf("%016x", f.PHash)
				}
				rj.Files = append(rj.Files, fj)
			}
			j.Registration = append(j.Registration, rj)
		}
	case KindPropose:
		j.SignedBy = "ECDSA P-256 SHA-256 (r ‖ s, low s)"
		j.Proposal = proposalOf(t.Proposal)
	case KindVote:
		j.SignedBy = "ECDSA P-256 SHA-256 (r ‖ s, low s)"
		j.Vote = &ballotJSON{ID: t.Ballot.ID, Yes: t.Ballot.Yes}
		if t.Version == TxVersion9 {
			j.Vote.Proposal = hex.EncodeToString(t.Ballot.Proposal[:])
		}
	case KindRegCommit:
		for _, c := range t.Commits {
			j.Commitments = append(j.Commitments, hex.EncodeToString(c[:]))
		}
	case KindRevokeGov:
		j.SignedBy = "the organization CA's key: ECDSA P-256 SHA-256 (r ‖ s, low s), or SM2 with SM3 (r ‖ s)"
		j.Revoked = certOf(t.Revoked)
	}
	return j
}

func batchJSONOf(t *Tx) *batchJSON {
	b := &batchJSON{Seq: t.Seq, Leaves: []string{}}
	for _, l := range t.Leaves {
		b.Leaves = append(b.Leaves, hex.EncodeToString(l))
	}
	for _, h := range t.Heads {
		hj := headJSON{Key: hex.EncodeToString(h.Key[:]), Events: h.Events, Value: hex.EncodeToString(h.Value[:])}
		if t.Version >= TxVersion3 {
			batch, offset := h.Batch, h.Offset
			hj.FirstBatch, hj.FirstOffset = &batch, &offset
		}
		b.Heads = append(b.Heads, hj)
	}
	for _, d := range t.Deposits {
		dj := depositJSON{Batch: d.Batch, Offset: d.Offset, SHA256: hex.EncodeToString(d.SHA256[:])}
		if d.HasSM3 {
			dj.SM3 = hex.EncodeToString(d.SM3[:])
		}
		b.Deposits = append(b.Deposits, dj)
	}
	return b
}

func proposalOf(p *Proposal) *proposalJSON {
	j := &proposalJSON{ID: p.ID, Expires: p.Expires, Override: p.Override, Action: actionNames[p.Action], ActionByte: p.Action,
		OrgCA: certOf(p.OrgCA), ValidatorKey: hex.EncodeToString(p.ValidatorKey), Power: p.Power}
	if p.Action != ActAdmit {
		j.Target = hex.EncodeToString(p.Target[:])
	}
	if p.Action == ActRetireCA {
		j.CAHash = hex.EncodeToString(p.CAHash[:])
	}
	return j
}
