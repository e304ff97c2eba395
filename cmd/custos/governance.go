package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
)

// The consortium governance commands (docs/governance.md): members and
// proposals are read from any member's node without a token; proposals and
// votes are built and signed here, on the administrator's machine, with the
// member's governance key, and only the signed transaction is sent.

// govCommands are the governance subcommands of `custos consortium`.
func govCommands() []*cobra.Command {
	return []*cobra.Command{membersCmd(), proposalsCmd(), proposalCmd(), proposeCmd(), voteCmd(), governanceCertCmd(), revokeGovernanceCertCmd()}
}

func membersCmd() *cobra.Command {
	var cn conn
	cmd := &cobra.Command{
		Use:     "members",
		Short:   "List the consortium's members: validator keys, voting power, organization CAs",
		Example: `  custos consortium members --server http://127.0.0.1:8081`,
		Args:    positional(0, "no arguments"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Members(ctx)
		}),
	}
	cn.serverFlag(cmd)
	return cmd
}

func proposalsCmd() *cobra.Command {
	var cn conn
	var status string
	cmd := &cobra.Command{
		Use:   "proposals",
		Short: "List the governance proposals and their votes",
		Example: `  custos consortium proposals --server http://127.0.0.1:8081
  custos consortium proposals --status open`,
		Args: positional(0, "no arguments"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Proposals(ctx, status)
		}),
	}
	cn.serverFlag(cmd)
	cmd.Flags().StringVar(&status, "status", "", "only proposals of this status: open, passed, applied, failed, rejected, expired")
	return cmd
}

func proposalCmd() *cobra.Command {
	var cn conn
	cmd := &cobra.Command{
		Use:     "proposal ID",
		Short:   "Show one governance proposal, its votes and where it stands",
		Example: `  custos consortium proposal power-notary-1`,
		Args:    positional(1, "a proposal ID"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Proposal(ctx, args[0])
		}),
	}
	cn.serverFlag(cmd)
	return cmd
}

// govKeyFlags are the flags that sign a governance transaction.
type govKeyFlags struct {
	govKeyRef
	cert, member string
	wait         time.Duration
}

func (g *govKeyFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.key, "key", "", "the member's governance key: a PEM file (OUT/admin/SLUG/governance.key from 'consortium init') or a PKCS#11 URI (pkcs11:token=...;object=...?module-path=...)")
	cmd.Flags().StringVar(&g.cert, "cert", "", "its certificate then the organization CA (PEM; OUT/admin/SLUG/governance.pem)")
	g.addPINFlags(cmd)
	cmd.Flags().StringVar(&g.member, "member", "", "the signing member's ID (default: the member the organization CA belongs to, from the members list)")
	cmd.Flags().DurationVar(&g.wait, "wait", 20*time.Second, "how long to wait for the transaction to be in a block (0: do not wait)")
}

// check refuses missing key flags, as a usage error, before any request.
func (g *govKeyFlags) check() error {
	if g.key == "" || g.cert == "" {
		return usageError("usage.gov-key-cert")
	}
	return nil
}

// govSigner is what signs a governance transaction: the chain, the
// member, its certificates and key. close releases a token's key.
type govSigner struct {
	chainID, member string
	cert, orgCA     *x509.Certificate
	key             *openedKey
}

func (s *govSigner) close() { s.key.close() }

// load reads the key (a file, or a token's) and certificates, the chain ID
// from the node's trust bundle, and the member ID (ms, the members list,
// finds it from the organization CA unless --member names it).
func (g *govKeyFlags) load(ctx context.Context, c *client.Client, ms *wire.Members) (*govSigner, error) {
	cb, err := os.ReadFile(g.cert)
	if err != nil {
		return nil, err
	}
	chain, err := certs.ParsePEM(cb)
	if err != nil || len(chain) != 2 {
		return nil, usageError("usage.gov-cert-pair", "path", g.cert)
	}
	tr, err := c.Trust(ctx)
	if err != nil {
		return nil, err
	}
	member := g.member
	if member == "" {
		if member, err = memberOfCA(ms, chain[1]); err != nil {
			return nil, err
		}
	}
	key, err := g.open(false)
	if err != nil {
		return nil, err
	}
	if !certs.SameKey(chain[0], key) {
		key.close()
		return nil, usageError("usage.gov-key-mismatch", "key", key.where, "cert", g.cert)
	}
	return &govSigner{chainID: tr.ChainID, member: member, cert: chain[0], orgCA: chain[1], key: key}, nil
}

// memberOfCA finds the member an organization CA is bound to.
func memberOfCA(ms *wire.Members, ca *x509.Certificate) (string, error) {
	sum := sha256.Sum256(ca.Raw)
	for _, m := range ms.Members {
		for _, mc := range m.OrgCAs {
			if mc.SHA256 == hex.EncodeToString(sum[:]) && m.Removed == 0 {
				return m.ID, nil
			}
		}
	}
	return "", fmt.Errorf("the organization CA %q in --cert belongs to no current member of this consortium; pass --member ID if the chain has not learned it yet", ca.Subject)
}

func proposeCmd() *cobra.Command {
	var cn conn
	var g govKeyFlags
	var id string
	var expiresIn uint64
	var override bool
	cmd := &cobra.Command{
		Use:   "propose (admit|remove|rotate|power|retire-ca) ARGS...",
		Short: "Propose a change to the consortium, signed with this member's governance key",
		Long: `Builds a governance proposal, signs it here with the member's governance key (the key never leaves
this machine), and submits it through a member's node. The change takes effect two blocks after more
than 2/3 of the voting power has voted yes (custos consortium vote); proposing is not voting.

  admit ORG-CA.pem VALIDATOR-KEY POWER   admit a member: its organization CA (issued by the root), its node's
                                         Ed25519 validator key, its voting power
  remove MEMBER                          remove a member and its validator
  rotate MEMBER VALIDATOR-KEY            replace a member's validator key
  power MEMBER POWER                     set a member's voting power (1..1000000)
  retire-ca MEMBER CA.pem|SHA256         stop accepting one of a member's organization CAs

MEMBER is a member ID or a member's name (custos consortium members). VALIDATOR-KEY is a CometBFT
priv_validator_key.json, or its public key in base64. A change that would leave fewer than 4
validators or no court, or from chain state version 9 one after which a validator holds a third of
the power or more (unless one already did and the change does not raise the largest share), is
refused unless --override (which the members then vote on).
The key is a PEM file, or a key pair in a PKCS#11 token named by a URI (pkcs11:token=LABEL;
object=KEY-LABEL?module-path=MODULE), its PIN from --pin-env or --pin-file (custos consortium governance-cert
certifies such a key). See docs/governance.md and docs/operations.md, "Changing the consortium".`,
		Example: `  custos consortium propose power "Haidian Court" 14 --key admin/court/governance.key --cert admin/court/governance.pem --server http://127.0.0.1:8081
  custos consortium propose rotate 4f1c... node/config/priv_validator_key.json --key governance.key --cert governance.pem`,
		Args: cobra.MinimumNArgs(1),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			if err := g.check(); err != nil {
				return nil, err
			}
			if err := checkAction(args); err != nil {
				return nil, err
			}
			if expiresIn == 0 || expiresIn > anchor.MaxProposalLife {
				return nil, usageError("usage.gov-expires", "max", anchor.MaxProposalLife)
			}
			ms, err := c.Members(ctx)
			if err != nil {
				return nil, err
			}
			s, err := g.load(ctx, c, ms)
			if err != nil {
				return nil, err
			}
			defer s.close()
			p, err := parseProposal(ms, args)
			if err != nil {
				return nil, err
			}
			p.ID, p.Expires, p.Override = id, uint64(ms.Height)+expiresIn, override
			if p.ID == "" {
				p.ID = newProposalID(args[0])
			}
			raw, err := anchor.NewProposeTx(s.chainID, s.cert, s.orgCA, s.key, s.member, *p)
			if err != nil {
				return nil, err
			}
			defer waitingOn(g.wait, tr("progress.wait-block", "wait", g.wait))()
			return c.Propose(ctx, raw, g.wait)
		}),
	}
	cn.serverFlag(cmd)
	g.add(cmd)
	cmd.Flags().StringVar(&id, "id", "", "the proposal's ID (default: the action and a random suffix)")
	cmd.Flags().Uint64Var(&expiresIn, "expires-in", 1000, "blocks from now after which the proposal can no longer pass")
	cmd.Flags().BoolVar(&override, "override", false, "allow the change to leave fewer than 4 validators or no court, or (from chain state version 9) a validator with a third of the power or more")
	return cmd
}

// checkAction refuses an unknown action or a wrong count of its
// arguments, as a usage error.
func checkAction(args []string) error {
	want := map[string]int{"admit": 3, "remove": 1, "rotate": 2, "power": 2, "retire-ca": 2}
	n, ok := want[args[0]]
	if !ok {
		return usageError("usage.gov-action", "action", args[0])
	}
	if len(args)-1 != n {
		return usageError("usage.gov-args", "action", args[0], "n", n)
	}
	return nil
}

// parseProposal reads the action and its arguments (checkAction).
func parseProposal(ms *wire.Members, args []string) (*anchor.Proposal, error) {
	act, rest := args[0], args[1:]
	p := &anchor.Proposal{}
	var err error
	if act == "admit" {
		p.Action = anchor.ActAdmit
		if p.OrgCA, err = readOneCert(rest[0]); err != nil {
			return nil, err
		}
		if p.ValidatorKey, err = readValidatorKey(rest[1]); err != nil {
			return nil, err
		}
		p.Power, err = parsePower(rest[2])
		return p, err
	}
	if p.Target, err = resolveMember(ms, rest[0]); err != nil {
		return nil, err
	}
	switch act {
	case "remove":
		p.Action = anchor.ActRemove
	case "rotate":
		p.Action = anchor.ActRotate
		p.ValidatorKey, err = readValidatorKey(rest[1])
	case "power":
		p.Action = anchor.ActPower
		p.Power, err = parsePower(rest[1])
	case "retire-ca":
		p.Action = anchor.ActRetireCA
		p.CAHash, err = caHashArg(rest[1])
	}
	return p, err
}

// resolveMember reads a member ID, or the name of a current member.
func resolveMember(ms *wire.Members, s string) ([32]byte, error) {
	var id [32]byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		copy(id[:], b)
		return id, nil
	}
	found := ""
	for _, m := range ms.Members {
		if m.Removed == 0 && strings.EqualFold(m.Name, s) {
			if found != "" {
				return id, usageError("usage.gov-member-twice", "name", s)
			}
			found = m.ID
		}
	}
	if found == "" {
		return id, usageError("usage.gov-member-unknown", "name", s)
	}
	b, _ := hex.DecodeString(found)
	copy(id[:], b)
	return id, nil
}

func parsePower(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < 1 || n > anchor.MaxPower {
		return 0, usageError("usage.gov-power", "power", s, "max", anchor.MaxPower)
	}
	return n, nil
}

func readOneCert(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cs, err := certs.ParsePEM(b)
	if err != nil || len(cs) != 1 {
		return nil, usageError("usage.gov-one-cert", "path", path)
	}
	return cs[0], nil
}

// readValidatorKey reads an Ed25519 validator key: a CometBFT
// priv_validator_key.json (its pub_key), or the key in base64.
func readValidatorKey(s string) (ed25519.PublicKey, error) {
	if b, err := os.ReadFile(s); err == nil {
		var pv struct {
			PubKey struct {
				Value []byte `json:"value"`
			} `json:"pub_key"`
		}
		if err := json.Unmarshal(b, &pv); err != nil || len(pv.PubKey.Value) != ed25519.PublicKeySize {
			return nil, usageError("usage.gov-validator-file", "path", s)
		}
		return pv.PubKey.Value, nil
	}
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, usageError("usage.gov-validator-key", "key", s)
	}
	return k, nil
}

// caHashArg reads a CA certificate's file, or the SHA-256 of its DER.
func caHashArg(s string) ([32]byte, error) {
	var h [32]byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		copy(h[:], b)
		return h, nil
	}
	ca, err := readOneCert(s)
	if err != nil {
		return h, err
	}
	return sha256.Sum256(ca.Raw), nil
}

// newProposalID is action-RANDOM, a new printable ID.
func newProposalID(action string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return action + "-" + hex.EncodeToString(b)
}

func voteCmd() *cobra.Command {
	var cn conn
	var g govKeyFlags
	var yes, no bool
	var proposer string
	cmd := &cobra.Command{
		Use:   "vote ID (--yes|--no)",
		Short: "Vote on a governance proposal, signed with this member's governance key",
		Long: `Signs this member's vote on proposal ID here, with its governance key (the key never leaves this
machine), and submits it through a member's node. A member votes once; its first vote stands. The
proposal passes once more than 2/3 of the voting power voted yes, and is rejected once 1/3 voted no.
The key is a PEM file, or a key pair in a PKCS#11 token named by a URI (pkcs11:token=LABEL;
object=KEY-LABEL?module-path=MODULE), its PIN from --pin-env or --pin-file.

An ID belongs to the first proposal the chain recorded under it, whoever proposed it. Before signing,
vote reads the proposal from the node and says on standard error what it votes on: its action, target,
parameters and proposer. With --proposer MEMBER (the member that asked for the vote, by name or ID) it
signs nothing unless that member proposed it. From chain state version 9 the vote also names the
SHA-256 of the proposal it shows (computed here from what it shows), and the chain counts it only for
that proposal; below 9 a vote names the ID only.`,
		Example: `  custos consortium vote power-3f2a9c01d2e4 --yes --key admin/notary/governance.key --cert admin/notary/governance.pem --server http://127.0.0.1:8082
  custos consortium vote power-3f2a9c01d2e4 --yes --cert governance.pem --pin-env CUSTOS_PKCS11_PIN \
    --key 'pkcs11:token=notary-admin;object=governance?module-path=/usr/lib/softhsm/libsofthsm2.so'`,
		Args: positional(1, "a proposal ID"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			if yes == no {
				return nil, usageError("usage.gov-yes-no")
			}
			if err := g.check(); err != nil {
				return nil, err
			}
			ms, err := c.Members(ctx)
			if err != nil {
				return nil, err
			}
			s, err := g.load(ctx, c, ms)
			if err != nil {
				return nil, err
			}
			defer s.close()
			p, err := c.Proposal(ctx, args[0])
			if err != nil {
				return nil, err
			}
			if err := checkProposer(ms, p, proposer); err != nil {
				return nil, err
			}
			choice := tr("out.gov-no")
			if yes {
				choice = tr("out.gov-yes")
			}
			notice("notice.gov-voting", "choice", choice, "id", p.ID,
				"action", p.Action, "target", proposalTarget(ms, p), "params", proposalParams(p), "proposer", memberLabel(ms, p.Proposer), "height", p.Height)
			raw, err := signVote(s, ms.StateVersion, p, yes)
			if err != nil {
				return nil, err
			}
			defer waitingOn(g.wait, tr("progress.wait-block", "wait", g.wait))()
			return c.Vote(ctx, args[0], raw, g.wait)
		}),
	}
	cn.serverFlag(cmd)
	g.add(cmd)
	cmd.Flags().BoolVar(&yes, "yes", false, "vote for the change")
	cmd.Flags().BoolVar(&no, "no", false, "vote against it")
	cmd.Flags().StringVar(&proposer, "proposer", "", "sign only if this member (a name or member ID: the member that asked for the vote) proposed it")
	return cmd
}

// signVote signs s's vote on proposal p: of transaction version 9 at
// chain state version 9 or later, naming the SHA-256 of p as shown
// (governance review finding G1), and of version 6 below it.
func signVote(s *govSigner, state int, p *wire.Proposal, yes bool) ([]byte, error) {
	if anchor.VoteVersion(state) != anchor.TxVersion9 {
		return anchor.NewVoteTx(s.chainID, s.cert, s.orgCA, s.key, s.member, p.ID, yes)
	}
	h := proposalHash(p)
	notice("notice.gov-vote-hash", "sha256", hex.EncodeToString(h[:]), "version", state)
	return anchor.NewVoteTx9(s.chainID, s.cert, s.orgCA, s.key, s.member, p.ID, h, yes)
}

// proposalHash is the SHA-256 a version-9 vote names of p, computed from
// its fields as the node showed them (not from the node's sha256).
func proposalHash(p *wire.Proposal) [32]byte {
	return anchor.ProposalState{ID: p.ID, Proposer: p.Proposer, Action: p.Action, Target: p.Target, OrgCA: p.OrgCA,
		ValidatorKey: p.ValidatorKey, Power: p.Power, CAHash: p.CAHash, Override: p.Override, Expires: p.Expires}.Hash()
}

// checkProposer refuses, as a usage error, to vote on p unless want (a
// member's name or ID; "" for any) proposed it: an ID is the first
// proposal's recorded under it, whoever proposed it (governance review
// finding G1).
func checkProposer(ms *wire.Members, p *wire.Proposal, want string) error {
	if want == "" {
		return nil
	}
	id, err := resolveMember(ms, want)
	if err != nil {
		return err
	}
	if hex.EncodeToString(id[:]) != p.Proposer {
		return usageError("usage.gov-proposer", "id", p.ID, "proposer", memberLabel(ms, p.Proposer), "want", want)
	}
	return nil
}

// memberLabel is a member's name and ID, or its ID if the list has no name
// for it.
func memberLabel(ms *wire.Members, id string) string {
	for _, m := range ms.Members {
		if m.ID == id && m.Name != "" {
			return tr("aside", "text", m.Name, "note", id)
		}
	}
	return id
}

// proposalTarget is the member a proposal changes, or the organization an
// admission admits.
func proposalTarget(ms *wire.Members, p *wire.Proposal) string {
	if p.Action == anchor.ActionName(anchor.ActAdmit) {
		if ca, err := x509.ParseCertificate(p.OrgCA); err == nil {
			return ca.Subject.String()
		}
		return "?"
	}
	return memberLabel(ms, p.Target)
}

// proposalParams is a proposal's parameters, as key=value words.
func proposalParams(p *wire.Proposal) string {
	var w []string
	if len(p.ValidatorKey) > 0 {
		w = append(w, "validator_key="+base64.StdEncoding.EncodeToString(p.ValidatorKey))
	}
	if p.Power != 0 {
		w = append(w, "power="+strconv.FormatInt(p.Power, 10))
	}
	if p.CAHash != "" {
		w = append(w, "ca_sha256="+p.CAHash)
	}
	if p.Override {
		w = append(w, "override")
	}
	w = append(w, "expires="+strconv.FormatInt(p.Expires, 10))
	return strings.Join(w, " ")
}
