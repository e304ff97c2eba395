package anchor

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

// The vectors' transactions. Every byte string is a function of the PKI
// and of fixed strings: leaves are testLeaves' RFC 6962 leaf hashes,
// digests digest's SHA-256 of a name.

// vectorKey is the Ed25519 key of seed vectorSeed(name).
func vectorKey(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("custos tx vector key " + name))
	return ed25519.NewKeyFromSeed(s[:])
}

func vNode(k *vectorKeys) *testNode { return k.members[0].testNode } // the court's node

func vBatch1(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	return must(t)(NewTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 2)))
}

func vUpgrade(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	return must(t)(NewUpgradeTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, UpgradeVote{Version: 2, Height: 100}))
}

func vBatch2(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	return must(t)(NewBatchTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 2), testHeads(2)))
}

func vHead(name string, events uint64) HeadUpdate {
	return HeadUpdate{Key: digest("custody chain " + name), Batch: 1, Offset: 0, Events: events, Value: digest("head " + name)}
}

func vBatch3(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	return must(t)(NewBatchTx3(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 2), []HeadUpdate{vHead("A", 2)}))
}

func vBatch4(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	deps := []Deposit{
		{Batch: 1, Offset: 1, SHA256: digest("item 1")},
		{Batch: 1, Offset: 2, SHA256: digest("item 2"), SM3: digest("item 2 (SM3 stand-in)"), HasSM3: true},
	}
	return must(t)(NewBatchTx4(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 3), []HeadUpdate{vHead("A", 3)}, deps))
}

func vBatch7(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	deps := []Deposit{
		{Batch: 1, Offset: 0, SHA256: digest("upload 1")},
		{Batch: 1, Offset: 1, SHA256: digest("upload 2"), SM3: digest("upload 2 (SM3 stand-in)"), HasSM3: true},
	}
	return must(t)(NewBatchTx7(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(10, 3), []HeadUpdate{vHead("B", 1)}, deps))
}

func vBatch7Other(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	deps := []Deposit{{Batch: 1, Offset: 2, SHA256: digest("upload 3")}}
	return must(t)(NewBatchTx7(k.pki.ChainID, n.cert, n.org.Cert, n.key, 2, testLeaves(13, 1), nil, deps))
}

var vOrgs = []OrgEntry{
	{ID: "court-0571", Kind: "court", Name: "杭州市中级人民法院"},
	{ID: "firm-0042", Kind: "firm", Name: "Example Law Firm"},
}

func vDir4(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	return must(t)(NewDirectoryTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, vOrgs))
}

func vDir8(rev uint64) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		n := vNode(k)
		orgs := slices.Clone(vOrgs)
		for i := range orgs {
			orgs[i].Revision = rev
		}
		return must(t)(NewDirectoryTx8(k.pki.ChainID, n.cert, n.org.Cert, n.key, orgs))
	}
}

func vReg5(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	regs := []Registration{
		{ID: "2026-0001", Org: "court-0571", Files: []RegFile{{SHA256: digest("work 1")}}},
		{ID: "2026-0002", Legacy: "国作登字-2019-F-00012345", Files: []RegFile{{SHA256: digest("work 2, an image"), PHash: 0x8f3c_61a0_0e7d_b259, HasPHash: true}}},
		{ID: "2026-0003", Revoked: true, Files: []RegFile{{SHA256: digest("work 3")}}},
	}
	return must(t)(NewRegisterTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, regs))
}

// vRegCommit11 is the commitment (transaction version 11) to vReg5's
// three registrations, 2026-0003 first.
func vRegCommit11(t testing.TB, k *vectorKeys) []byte {
	n := vNode(k)
	cs := [][32]byte{
		RegCommitment("2026-0003", []RegFile{{SHA256: digest("work 3")}}),
		RegCommitment("2026-0001", []RegFile{{SHA256: digest("work 1")}}),
		RegCommitment("2026-0002", []RegFile{{SHA256: digest("work 2, an image"), PHash: 0x8f3c_61a0_0e7d_b259, HasPHash: true}}),
	}
	return must(t)(NewRegCommitTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, cs))
}

func vPropose(m int, p Proposal) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		g := k.members[m]
		if p.Expires == 0 {
			p.Expires = 1000
		}
		return must(t)(NewProposeTx(k.pki.ChainID, g.gov.Cert, g.org.Cert, g.gov.Signer, g.id, p))
	}
}

func vProposal(k *vectorKeys, action uint8) Proposal {
	switch action {
	case ActAdmit:
		return Proposal{ID: "admit-vector-arbitration", Action: ActAdmit, OrgCA: k.newOrgCA,
			ValidatorKey: vectorKey("admitted").Public().(ed25519.PublicKey), Power: 10}
	case ActRemove: // 3 validators left: under MinValidators, so with the override
		return Proposal{ID: "remove-notary-c", Override: true, Action: ActRemove, Target: k.members[3].target()}
	case ActRotate:
		return Proposal{ID: "rotate-notary-a", Action: ActRotate, Target: k.members[1].target(),
			ValidatorKey: vectorKey("rotated").Public().(ed25519.PublicKey)}
	case ActPower:
		return Proposal{ID: "power-notary-b", Action: ActPower, Target: k.members[2].target(), Power: 20}
	case ActRetireCA:
		return Proposal{ID: "retire-notary-a-ca", Action: ActRetireCA, Target: k.members[1].target(), CAHash: sha256.Sum256(k.members[1].org.Cert.Raw)}
	}
	panic("unknown action")
}

func vProposeAction(action uint8) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte { return vPropose(0, vProposal(k, action))(t, k) }
}

func vVote(yes bool) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		g := k.members[1]
		return must(t)(NewVoteTx(k.pki.ChainID, g.gov.Cert, g.org.Cert, g.gov.Signer, g.id, "power-notary-b", yes))
	}
}

// patch returns build's bytes changed by f, signed again by the court's
// node.
func patch(build func(testing.TB, *vectorKeys) []byte, f func([]byte) []byte) func(testing.TB, *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte { return resign(k, vNode(k), f(slices.Clone(build(t, k)))) }
}

// vVoteOn is a notary's version-6 vote on proposal id.
func vVoteOn(id string, yes bool) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		g := k.members[1]
		return must(t)(NewVoteTx(k.pki.ChainID, g.gov.Cert, g.org.Cert, g.gov.Signer, g.id, id, yes))
	}
}

// vVote9 is a notary's version-9 vote on proposal id, naming the SHA-256
// of the proposal that prop builds.
func vVote9(id string, prop func(testing.TB, *vectorKeys) []byte, yes bool) func(t testing.TB, k *vectorKeys) []byte {
	return vVote9Under(id, prop, yes, func(_ testing.TB, c *x509.Certificate) *x509.Certificate { return c })
}

// vVote9Twin is vVote9 signed with the notary's governance key under the
// twin of its certificate (CertTwin: the CA's signature s replaced by
// n − s), a valid certificate with another SHA-256 and the same
// TBSCertificate (review of state version 10, finding R1).
func vVote9Twin(id string, prop func(testing.TB, *vectorKeys) []byte, yes bool) func(t testing.TB, k *vectorKeys) []byte {
	return vVote9Under(id, prop, yes, func(t testing.TB, c *x509.Certificate) *x509.Certificate {
		twin, ok := CertTwin(c)
		if !ok {
			t.Fatal("the notary's governance certificate has no twin")
		}
		return twin
	})
}

// vVote9Under is vVote9 carrying cert(the notary's governance certificate).
func vVote9Under(id string, prop func(testing.TB, *vectorKeys) []byte, yes bool, cert func(testing.TB, *x509.Certificate) *x509.Certificate) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		ptx, err := DecodeTx(prop(t, k))
		check(t, err)
		h, err := ProposalHash(ptx)
		check(t, err)
		g := k.members[1]
		return must(t)(NewVoteTx9(k.pki.ChainID, cert(t, g.gov.Cert), g.org.Cert, g.gov.Signer, g.id, id, h, yes))
	}
}

// vRevokeTwin is vRevoke(1, 1, 1) of the twin of the notary's governance
// certificate.
func vRevokeTwin(t testing.TB, k *vectorKeys) []byte {
	g := k.members[1]
	twin, ok := CertTwin(g.gov.Cert)
	if !ok {
		t.Fatal("the notary's governance certificate has no twin")
	}
	return must(t)(NewRevokeGovTx(k.pki.ChainID, g.org.Cert, g.org.Signer, g.id, twin))
}

// vPowerV9 proposes power 13 for notary b: 13 of 43, under a third.
func vPowerV9(power uint64) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		return vPropose(0, Proposal{ID: "power-notary-b-v9", Action: ActPower, Target: k.members[2].target(), Power: power})(t, k)
	}
}

// vRevoke is member by's organization CA's revocation of member of's
// governance certificate, naming member named.
func vRevoke(by, of, named int) func(t testing.TB, k *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		g := k.members[by]
		return must(t)(NewRevokeGovTx(k.pki.ChainID, g.org.Cert, g.org.Signer, k.members[named].id, k.members[of].gov.Cert))
	}
}

// patchGov is patch for a governance transaction of the court.
func patchGov(build func(testing.TB, *vectorKeys) []byte, f func([]byte) []byte) func(testing.TB, *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte {
		return resignGov(t, k, k.members[0], f(slices.Clone(build(t, k))))
	}
}

// unchecked signs a transaction the encoder would refuse, by the court's
// node.
func unchecked(f func(k *vectorKeys) *Tx) func(testing.TB, *vectorKeys) []byte {
	return func(t testing.TB, k *vectorKeys) []byte { return signUnchecked(k, vNode(k), f(k)) }
}

// the offset of a power proposal's action byte: before its target (32)
// and power (8), and the signature.
func powerActionAt(raw []byte) int { return len(raw) - 64 - 8 - 32 - 1 }

func txVectorCases() []vectorCase {
	expired := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	return []vectorCase{
		// Accepted, one per version and kind (and governance action).
		{name: "batch-v1", state: StateV1, build: vBatch1,
			about: "version 1: a batch of two leaf hashes (state version 1)"},
		{name: "upgrade-v2", state: StateV1, build: vUpgrade,
			about: "version 2, kind 2: a vote to run state version 2 from height 100 (any state version)"},
		{name: "batch-v2", state: StateV2, build: vBatch2,
			about: "version 2, kind 1: two leaves and two custody heads (state version 2)"},
		{name: "batch-v3", state: StateV3, build: vBatch3,
			about: "version 3, kind 1: two leaves and a head whose chain starts at leaf 0 of this batch (state version 3)"},
		{name: "batch-v4", state: StateV4, build: vBatch4,
			about: "version 4, kind 1: three leaves, a head and two deposits, one with an SM3 (state versions 4 to 6)"},
		{name: "directory-v4", state: StateV4, build: vDir4,
			about: "version 4, kind 3: a directory registration of two organizations (state versions 4 to 7)"},
		{name: "register-v5", state: StateV5, before: []string{"directory-v4"}, build: vReg5,
			about: "version 5, kind 4: three copyright registrations: of a listed organization, with a legacy number and an image's perceptual hash, and one filed revoked (state version 5 on)"},
		{name: "propose-admit", state: StateV6, build: vProposeAction(ActAdmit),
			about: "version 6, kind 5, action 1: the court proposes to admit an arbitration commission's CA and validator key with power 10 (state version 6 on)"},
		{name: "propose-remove", state: StateV6, build: vProposeAction(ActRemove),
			about: "version 6, kind 5, action 2: the court proposes to remove a member, with the override flag (3 validators would be left)"},
		{name: "propose-rotate", state: StateV6, build: vProposeAction(ActRotate),
			about: "version 6, kind 5, action 3: the court proposes a new validator key for a member"},
		{name: "propose-power", state: StateV6, build: vProposeAction(ActPower),
			about: "version 6, kind 5, action 4: the court proposes power 20 for a member"},
		{name: "propose-retire-ca", state: StateV6, build: vProposeAction(ActRetireCA),
			about: "version 6, kind 5, action 5: the court proposes to retire a member's organization CA, named by the SHA-256 of its DER"},
		{name: "vote-yes", state: StateV6, before: []string{"propose-power"}, build: vVote(true),
			about: "version 6, kind 6: a member votes yes on proposal power-notary-b"},
		{name: "vote-no", state: StateV6, before: []string{"propose-power"}, build: vVote(false),
			about: "version 6, kind 6: a member votes no on proposal power-notary-b"},
		{name: "batch-v7", state: StateV7, build: vBatch7,
			about: "version 7, kind 1: three leaves, a head and two deposits of items created in this batch (35 and 67 bytes) (state version 7 on)"},
		{name: "batch-v7-other-batch", state: StateV7, before: []string{"batch-v7"}, build: vBatch7Other,
			about: "version 7, kind 1: batch 2 deposits an item whose created event is leaf 2 of batch 1 (flag 2, with the batch)"},
		{name: "directory-v8", state: StateV8, build: vDir8(1),
			about: "version 8, kind 3: a directory registration of two organizations at revision 1 (state version 8 on)"},
		{name: "propose-power-v9", state: StateV9, build: vPowerV9(13),
			about: "version 6, kind 5, action 4 at state version 9: the court proposes power 13 for a member, 13 of 43, under a third of the power"},
		{name: "vote9-yes", state: StateV9, before: []string{"propose-power-v9"}, build: vVote9("power-notary-b-v9", vPowerV9(13), true),
			about: "version 9, kind 6: a member votes yes on proposal power-notary-b-v9, naming the SHA-256 of propose-power-v9's bytes from its member field to its power (state version 9 on)"},
		{name: "vote9-no", state: StateV9, before: []string{"propose-power-v9"}, build: vVote9("power-notary-b-v9", vPowerV9(13), false),
			about: "version 9, kind 6: a member votes no on proposal power-notary-b-v9, naming its SHA-256"},
		{name: "revoke-gov-cert", state: StateV10, build: vRevoke(1, 1, 1),
			about: "version 10, kind 7: notary A's organization CA revokes notary A's governance certificate (state version 10 on)"},
		{name: "regcommit-v11", state: StateV12, build: vRegCommit11,
			about: "version 11, kind 8: the commitments to register-v5's registrations 2026-0003, 2026-0001 and 2026-0002, which take register places 1, 2 and 3 (state version 12 on)"},
		{name: "register-v5-committed", state: StateV12, before: []string{"directory-v8", "regcommit-v11"}, build: vReg5,
			about: "register-v5 at state version 12, after regcommit-v11: each registration takes its commitment's place, 2026-0003 numbered first"},

		// Refused by DecodeTx (code 1).
		{name: "bad-magic", state: StateV1, code: CodeMalformed, build: patch(vBatch1, func(b []byte) []byte { b[3] = 'Y'; return b }),
			about: "the magic is CSTY, not CSTX"},
		{name: "unknown-version", state: StateV10, code: CodeMalformed, build: patch(vBatch7, func(b []byte) []byte { b[4] = 12; return b }),
			about: "version 12, which no state version has"},
		{name: "regcommit-twice", state: StateV12, code: CodeMalformed,
			build: patch(vRegCommit11, func(b []byte) []byte { n := len(b) - 64; copy(b[n-32:n], b[n-64:n-32]); return b }),
			about: "regcommit-v11 with its first commitment twice"},
		{name: "unknown-kind-v10", state: StateV10, code: CodeMalformed,
			build: func(t testing.TB, k *vectorKeys) []byte {
				b := slices.Clone(vRevoke(1, 1, 1)(t, k))
				b[5] = KindVote
				return b
			},
			about: "version 10 with kind 6: version 10 is the revocation only"},
		{name: "unknown-kind-v9", state: StateV9, code: CodeMalformed,
			build: func(t testing.TB, k *vectorKeys) []byte {
				b := slices.Clone(vVote9("power-notary-b-v9", vPowerV9(13), true)(t, k))
				b[5] = KindPropose
				return resignGov(t, k, k.members[1], b)
			},
			about: "version 9 with kind 5: version 9 is the vote only"},
		{name: "unknown-kind-v2", state: StateV4, code: CodeMalformed, build: patch(vBatch2, func(b []byte) []byte { b[5] = KindDirectory; return b }),
			about: "version 2 with kind 3: directory registrations come with version 4"},
		{name: "unknown-kind-v8", state: StateV8, code: CodeMalformed, build: patch(vDir8(1), func(b []byte) []byte { b[5] = KindBatch; return b }),
			about: "version 8 with kind 1: version 8 is the directory registration only"},
		{name: "upgrade-vote-v3", state: StateV3, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx {
				return &Tx{Version: TxVersion3, Kind: KindUpgrade, Upgrade: UpgradeVote{Version: 4, Height: 100}}
			}),
			about: "version 3 with kind 2: the decoder reads the kind, but an upgrade vote is version 2 only"},
		{name: "upgrade-vote-v4", state: StateV4, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx {
				return &Tx{Version: TxVersion4, Kind: KindUpgrade, Upgrade: UpgradeVote{Version: 5, Height: 100}}
			}),
			about: "version 4 with kind 2: the decoder reads the kind, but an upgrade vote is version 2 only"},
		{name: "trailing-byte", state: StateV4, code: CodeMalformed, build: func(t testing.TB, k *vectorKeys) []byte { return append(vBatch4(t, k), 0) },
			about: "batch-v4 with one byte after the signature"},
		{name: "signature-cut-short", state: StateV1, code: CodeMalformed, build: func(t testing.TB, k *vectorKeys) []byte { b := vBatch1(t, k); return b[:len(b)-1] },
			about: "batch-v1 without the signature's last byte"},
		{name: "oversize-leaf-count", state: StateV1, code: CodeMalformed,
			build: func(t testing.TB, k *vectorKeys) []byte {
				n := vNode(k)
				b := (&Tx{Version: TxVersion, Kind: KindBatch, NodeCert: n.cert, OrgCA: n.org.Cert, Seq: 1}).appendBody(nil)
				copy(b[len(b)-4:], be32(MaxLeaves+1))
				return resign(k, n, append(b, make([]byte, ed25519.SignatureSize)...))
			},
			about: "a version-1 batch that says it holds 10001 leaves, one more than MaxLeaves (the count alone refuses it, whatever follows)"},
		{name: "org-name-too-long", state: StateV4, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx {
				return &Tx{Version: TxVersion4, Kind: KindDirectory, Orgs: []OrgEntry{{ID: "court-0571", Kind: "court", Name: strings.Repeat("法", 201)}}}
			}),
			about: "an organization name of 201 characters (603 bytes), one more than 200"},
		{name: "directory-v8-revision-0", state: StateV8, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx { return &Tx{Version: TxVersion8, Kind: KindDirectory, Orgs: vOrgs[:1]} }),
			about: "a version-8 directory registration with revision 0: revisions start at 1"},
		{name: "registration-without-files", state: StateV5, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx {
				return &Tx{Version: TxVersion5, Kind: KindRegister, Regs: []Registration{{ID: "2026-0009"}}}
			}),
			about: "a registration with no files that is not revoked"},
		{name: "head-v3-without-first-batch", state: StateV3, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx {
				h := vHead("A", 1)
				h.Batch = 0
				return &Tx{Version: TxVersion3, Kind: KindBatch, Seq: 1, Leaves: testLeaves(0, 1), Heads: []HeadUpdate{h}}
			}),
			about: "a version-3 head whose chain's first event names batch 0"},
		{name: "deposits-out-of-order-v4", state: StateV4, code: CodeMalformed,
			build: unchecked(func(*vectorKeys) *Tx {
				return &Tx{Version: TxVersion4, Kind: KindBatch, Seq: 1, Leaves: testLeaves(0, 3),
					Deposits: []Deposit{{Batch: 1, Offset: 2, SHA256: digest("item 2")}, {Batch: 1, Offset: 1, SHA256: digest("item 1")}}}
			}),
			about: "version-4 deposits not in strictly increasing (batch, offset) order"},
		{name: "deposit-v7-own-batch-as-other", state: StateV7, code: CodeMalformed,
			build: func(t testing.TB, k *vectorKeys) []byte {
				n := vNode(k)
				b := must(t)(NewBatchTx7(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 1), nil, []Deposit{{Batch: 2, SHA256: digest("upload 1")}}))
				at := len(b) - 64 - (32 + 2 + 8) // the deposit's batch, after its flags
				copy(b[at:], []byte{0, 0, 0, 0, 0, 0, 0, 1})
				return resign(k, n, b)
			},
			about: "a version-7 deposit with flag 2 (another batch) that names this batch, 1"},
		{name: "unknown-governance-action", state: StateV6, code: CodeMalformed,
			build: patchGov(vProposeAction(ActPower), func(b []byte) []byte { b[powerActionAt(b)] = 6; return b }),
			about: "a proposal of action 6, which does not exist"},
		{name: "proposal-flags-2", state: StateV6, code: CodeMalformed,
			build: patchGov(vProposeAction(ActPower), func(b []byte) []byte { b[powerActionAt(b)-1] = 2; return b }),
			about: "a proposal whose flags byte is 2: only bit 0 (override) is defined"},

		// Refused for their signature or signer (code 2).
		{name: "bad-signature", state: StateV7, code: CodeNotMember,
			build: func(t testing.TB, k *vectorKeys) []byte { b := vBatch7(t, k); b[len(b)-1] ^= 1; return b },
			about: "batch-v7 with the signature's last bit flipped"},
		{name: "vote-high-s", state: StateV6, before: []string{"propose-power"}, code: CodeNotMember,
			build: func(t testing.TB, k *vectorKeys) []byte {
				b := vVote(true)(t, k)
				s := new(big.Int).SetBytes(b[len(b)-32:])
				new(big.Int).Sub(elliptic.P256().Params().N, s).FillBytes(b[len(b)-32:])
				return b
			},
			about: "vote-yes with its ECDSA s replaced by n − s: the same signature in its high-s form, which the chain refuses so that a signature has one encoding"},
		{name: "not-a-member", state: StateV7, code: CodeNotMember,
			build: func(t testing.TB, k *vectorKeys) []byte {
				n := k.outsider
				return must(t)(NewBatchTx7(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 1), nil, nil))
			},
			about: "a batch by a node of another consortium's root"},
		{name: "not-a-validator", state: StateV7, code: CodeNotMember,
			build: func(t testing.TB, k *vectorKeys) []byte {
				n := k.stray
				return must(t)(NewBatchTx7(k.pki.ChainID, n.cert, n.org.Cert, n.key, 1, testLeaves(0, 1), nil, nil))
			},
			about: "a batch by a node the court's CA certified whose key is no validator's"},
		{name: "governance-member-not-its-ca", state: StateV6, code: CodeNotMember,
			build: func(t testing.TB, k *vectorKeys) []byte {
				g, other := k.members[0], k.members[1]
				p := vProposal(k, ActPower)
				p.Expires = 1000
				return must(t)(NewProposeTx(k.pki.ChainID, g.gov.Cert, g.org.Cert, g.gov.Signer, other.id, p))
			},
			about: "the court's governance key signs as another member, whose organization CA is not the court's"},
		{name: "expired-node-certificate", state: StateV7, at: expired, code: CodeNotMember, build: vBatch7,
			about: "batch-v7 in a block of 2032, after the node certificate's 5 years"},

		// Refused by the state (codes 3 to 6).
		{name: "batch-v1-at-state-2", state: StateV2, code: CodeVersion, build: vBatch1,
			about: "a version-1 batch on a chain at state version 2, which takes version-2 batches"},
		{name: "batch-v4-at-state-7", state: StateV7, code: CodeVersion, build: vBatch4,
			about: "a version-4 batch on a chain at state version 7, which takes version-7 batches"},
		{name: "directory-at-state-3", state: StateV3, code: CodeVersion, build: vDir4,
			about: "a directory registration before state version 4"},
		{name: "directory-v4-at-state-8", state: StateV8, code: CodeVersion, build: vDir4,
			about: "a version-4 directory registration at state version 8, which takes version 8 (with revisions)"},
		{name: "directory-v8-at-state-7", state: StateV7, code: CodeVersion, build: vDir8(1),
			about: "a version-8 directory registration at state version 7, which takes version 4"},
		{name: "register-at-state-4", state: StateV4, code: CodeVersion, build: vReg5,
			about: "a copyright registration before state version 5"},
		{name: "regcommit-at-state-11", state: StateV11, code: CodeVersion, build: vRegCommit11,
			about: "a registration commitment before state version 12"},
		{name: "register-uncommitted", state: StateV12, before: []string{"directory-v8"}, code: CodeStale, build: vReg5,
			about: "register-v5 at state version 12 without regcommit-v11: its registrations have no commitments (code 4)"},
		{name: "governance-at-state-5", state: StateV5, code: CodeVersion, build: vProposeAction(ActPower),
			about: "a governance proposal before state version 6"},
		{name: "vote9-at-state-8", state: StateV8, before: []string{"propose-power"}, code: CodeVersion, build: vVote9("power-notary-b", vProposeAction(ActPower), true),
			about: "a version-9 vote at state version 8, which takes version-6 votes"},
		{name: "revoke-at-state-9", state: StateV9, code: CodeVersion, build: vRevoke(1, 1, 1),
			about: "revoke-gov-cert at state version 9, which has no revocation"},
		{name: "vote-v6-at-state-9", state: StateV9, before: []string{"propose-power-v9"}, code: CodeVersion, build: vVoteOn("power-notary-b-v9", true),
			about: "a version-6 vote, which names no proposal SHA-256, at state version 9, which takes version-9 votes"},
		{name: "batch-duplicate", state: StateV7, before: []string{"batch-v7"}, code: CodeDuplicate, build: vBatch7,
			about: "batch-v7 again: (member, seq 1) is in the log"},
		{name: "upgrade-vote-twice", state: StateV1, before: []string{"upgrade-v2"}, code: CodeDuplicate, build: vUpgrade,
			about: "upgrade-v2 again: the validator's vote is recorded"},
		{name: "proposal-duplicate", state: StateV6, before: []string{"propose-power"}, code: CodeDuplicate, build: vProposeAction(ActPower),
			about: "propose-power again: the proposal ID exists"},
		{name: "upgrade-vote-stale", state: StateV1, code: CodeStale,
			build: func(t testing.TB, k *vectorKeys) []byte {
				n := vNode(k)
				return must(t)(NewUpgradeTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, UpgradeVote{Version: 3, Height: 100}))
			},
			about: "a vote for state version 3 on a chain at 1: it can move to 2 only"},
		{name: "vote-without-proposal", state: StateV6, code: CodeStale, build: vVote(true),
			about: "vote-yes on a chain where proposal power-notary-b does not exist"},
		{name: "directory-v8-revision-skipped", state: StateV8, code: CodeStale, build: vDir8(2),
			about: "revision 2 for organizations the directory holds at revision 0: the revision must be the stored one + 1"},
		{name: "directory-v8-replayed", state: StateV8, before: []string{"directory-v8"}, code: CodeStale, build: vDir8(1),
			about: "directory-v8 again: its revision 1 is now the stored one, so its bytes never apply twice"},
		{name: "revoke-twice", state: StateV10, before: []string{"revoke-gov-cert"}, code: CodeDuplicate, build: vRevoke(1, 1, 1),
			about: "revoke-gov-cert again: the certificate is revoked already"},
		{name: "revoke-other-member-cert", state: StateV10, code: CodeNotMember, build: vRevoke(1, 2, 1),
			about: "notary A's organization CA revokes notary B's governance certificate, which it did not issue"},
		{name: "revoke-by-other-ca", state: StateV10, code: CodeNotMember, build: vRevoke(2, 2, 1),
			about: "notary B's organization CA revokes its own governance certificate naming notary A: the CA is not notary A's"},
		{name: "vote-revoked-cert", state: StateV10, before: []string{"propose-power-v9", "revoke-gov-cert"}, code: CodeRevoked,
			build: vVote9("power-notary-b-v9", vPowerV9(13), true),
			about: "vote9-yes signed with the governance certificate that revoke-gov-cert revoked (code 8)"},
		{name: "vote-revoked-cert-twin", state: StateV10, before: []string{"propose-power-v9", "revoke-gov-cert"}, code: CodeRevoked,
			build: vVote9Twin("power-notary-b-v9", vPowerV9(13), true),
			about: "vote-revoked-cert with the twin of the revoked certificate (its CA's ECDSA signature s replaced by n - s): another SHA-256, the same TBSCertificate, refused (code 8; review of state version 10, R1)"},
		{name: "revoke-twin-after-cert", state: StateV10, before: []string{"revoke-gov-cert"}, code: CodeDuplicate, build: vRevokeTwin,
			about: "the revocation of the twin of the certificate revoke-gov-cert revoked: the same TBSCertificate, a duplicate (code 3)"},
		{name: "vote9-other-proposal", state: StateV9, before: []string{"propose-power-v9"}, code: CodeRefused, build: vVote9("power-notary-b-v9", vPowerV9(12), true),
			about: "a version-9 vote on proposal power-notary-b-v9 naming the SHA-256 of another proposal under that ID (power 12, not 13): the vote counts only for the proposal it names (governance review finding G1)"},
		{name: "propose-power-share-at-state-9", state: StateV9, code: CodeRefused, build: vProposeAction(ActPower),
			about: "propose-power at state version 9: power 20 of 50 for one member, a third or more, without the override (governance review finding G2)"},
		{name: "proposal-expires-too-late", state: StateV6, code: CodeRefused,
			build: func(t testing.TB, k *vectorKeys) []byte {
				p := vProposal(k, ActPower)
				p.Expires = MaxProposalLife + 2
				return vPropose(0, p)(t, k)
			},
			about: "a proposal in block 1 that expires at height 100002, more than MaxProposalLife (100000) blocks later"},
		{name: "register-org-not-listed", state: StateV5, code: CodeNotOwner, build: vReg5,
			about: "register-v5 on a chain whose directory does not list organization court-0571"},
		{name: "legacy-number-as-chain-number", state: StateV8, code: CodeNotOwner,
			build: func(t testing.TB, k *vectorKeys) []byte {
				n := vNode(k)
				regs := []Registration{{ID: "2026-0004", Legacy: "CUS-(2026)-作登字-M2-000001", Files: []RegFile{{SHA256: digest("work 4")}}}}
				return must(t)(NewRegisterTx(k.pki.ChainID, n.cert, n.org.Cert, n.key, regs))
			},
			about: "from state version 8, a legacy number in the form of a number the chain assigns"},
	}
}
