package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/receipt"
)

func consortiumCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "consortium", Short: "Set up a consortium chain of courts, notaries and arbitration bodies"}
	cmd.AddCommand(consortiumInitCmd(), consortiumJoinCmd(), consortiumAdmitCmd(), consortiumRotateKeyCmd(), chainStatusCmd(), chainUpgradeCmd())
	cmd.AddCommand(consortiumReissueCmd())
	cmd.AddCommand(govCommands()...)
	return cmd
}

// chainStatusCmd shows a node's chain state version and upgrade votes,
// and the deposits it holds off the chain.
func chainStatusCmd() *cobra.Command {
	var cn conn
	var members bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the chain's height, state version, upgrade votes and the deposits held off the chain (as the node's operator)",
		Example: `  custos consortium status --server http://127.0.0.1:8081 --token $OPERATOR_TOKEN
  custos consortium status --members --server http://127.0.0.1:8081 --token $OPERATOR_TOKEN   # who runs which state versions`,
		Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			if members {
				return c.ChainStatusWith(ctx)
			}
			return c.ChainStatus(ctx)
		}),
	}
	cn.flags(cmd)
	cmd.Flags().BoolVar(&members, "members", false, "also ask each member's node which chain state versions its software runs (before an upgrade vote)")
	return cmd
}

// chainUpgradeCmd has a member's node vote to move the chain state to a
// new version at a height.
func chainUpgradeCmd() *cobra.Command {
	var cn conn
	var version int
	var height int64
	var force bool
	cmd := &cobra.Command{
		Use:   "upgrade --height H",
		Short: "Vote, as this member, to run the next chain state version from block H on",
		Long: `Submits this node's vote (signed with its node key) to move the consortium chain to the next state
version at block H. The change happens at H if, by then, validators with more than 2/3 of the voting
power voted for the same version and height; otherwise nothing changes. Every member must run software
that knows the new version before anyone votes: the node first asks each member's node (over the peer
API) which versions it runs, and sends no vote while one does not know the new one or cannot say
(409 upgrade-not-ready, naming them). --force skips that check. See docs/operations.md, "Upgrading
the chain state".`,
		Example: `  custos consortium status --server http://127.0.0.1:8081 --token $OPERATOR_TOKEN   # note the height
  custos consortium upgrade --height 500 --server http://127.0.0.1:8081 --token $OPERATOR_TOKEN`,
		Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			if height <= 0 {
				return nil, usageError("usage.upgrade-height")
			}
			if version == 0 { // the next version after the chain's
				st, err := c.ChainStatus(ctx)
				if err != nil {
					return nil, err
				}
				version = st.StateVersion + 1
			}
			st, err := c.SendUpgradeVote(ctx, wire.UpgradeRequest{StateVersion: version, Height: height, Force: force})
			return st, withMembersTable(err)
		}),
	}
	cn.flags(cmd)
	cmd.Flags().BoolVar(&force, "force", false, "vote even if a member's node does not run software that knows the version, or cannot say (such nodes part from the others when the vote reaches them; the chain halts if they hold more than 1/3 of the power)")
	cmd.Flags().Int64Var(&height, "height", 0, "the block height from which the new state version runs (agree on it with the other members)")
	cmd.Flags().IntVar(&version, "state-version", 0, "the state version to move to (default: the one after the chain's)")
	return cmd
}

type memberSpec struct {
	Kind, Name, Slug string
	Notary           *notarySpec // a notary member's office (consortium_notary.go)
}

func consortiumInitCmd() *cobra.Command {
	var out, host, chainID, name, crypto string
	var orgs []string
	var apiPort, p2pPort, peerPort, stateVersion int
	var nf notaryFlags
	cmd := &cobra.Command{
		Use:   `init --out DIR --org KIND:NAME...`,
		Short: "Write keys, certificates, genesis, configs and the trust bundle for every member",
		Long: `Writes one folder per member (its organization CA under one consortium root, its TSA and node
certificates, its CometBFT keys, the shared genesis and a custos.toml) and the consortium's trust bundle.
KIND is court, notary or arbitration. Each member then runs: custos serve --config DIR/<member>/custos.toml

The root CA's key is written to DIR/offline/root.key: move it off every node (it is needed only to admit
new members).

--crypto sm makes the root, the organization CAs and the TSA and notary keys SM2 (signatures SM2 with
SM3, GM/T 0003): time-stamp tokens and certificate PDFs are then signed in SM2. The validator keys
stay Ed25519 (CometBFT signs consensus with Ed25519 only) and sign the members' node-to-node TLS too
(Go's TLS has no SM2), and the governance keys stay ECDSA P-256, all certified by the SM2
organization CA. The trust bundle names the suites.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || len(orgs) == 0 {
				return usageError("usage.init")
			}
			members, err := parseMembers(orgs)
			if err != nil {
				return usageErrorOf(err)
			}
			if err := nf.apply(members, cmd.ErrOrStderr()); err != nil {
				return usageErrorOf(err)
			}
			if chainID == "" {
				var b [4]byte
				rand.Read(b[:])
				chainID = "custos-" + hex.EncodeToString(b[:])
			}
			suite, err := certs.ParseSuite(crypto)
			if err != nil {
				return usageError("usage.crypto", "value", crypto)
			}
			if peerPort == 0 {
				peerPort = apiPort + 100
			}
			if stateVersion != anchor.StateV1 && stateVersion != anchor.LatestState {
				return usageError("usage.state-version", "v1", anchor.StateV1, "latest", anchor.LatestState)
			}
			return consortiumInit(cmd.OutOrStdout(), initParams{out: out, name: name, chainID: chainID, host: host,
				apiPort: apiPort, p2pPort: p2pPort, peerPort: peerPort, members: members, now: time.Now(), stateVersion: stateVersion, suite: suite})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "folder to write the consortium into (must not exist or be empty)")
	cmd.Flags().StringArrayVar(&orgs, "org", nil, `a member, as KIND:NAME (KIND is court, notary or arbitration); repeat for each`)
	cmd.Flags().StringVar(&name, "name", "Custos Consortium", "the consortium's name, in its root certificate")
	cmd.Flags().StringVar(&chainID, "chain-id", "", "chain ID (default: custos-<random>)")
	cmd.Flags().StringVar(&host, "host", "127.0.0.1", "address the members' nodes listen on and reach each other at (edit each custos.toml for separate machines)")
	cmd.Flags().IntVar(&apiPort, "api-port", 8081, "API port of the first member; the others count up")
	cmd.Flags().IntVar(&p2pPort, "p2p-port", 26656, "p2p port of the first member; the others count up")
	cmd.Flags().IntVar(&peerPort, "peer-port", 0, "peer API port (mutual TLS between members) of the first member, the others counting up (default: api-port+100)")
	cmd.Flags().StringVar(&crypto, "crypto", string(certs.SuiteECDSA), "signature suite of the root, organization CAs, TSAs and notaries: ecdsa (P-256, SHA-256) or sm (SM2, SM3); validator and node (TLS) keys stay Ed25519, governance keys ECDSA")
	cmd.Flags().IntVar(&stateVersion, "state-version", anchor.LatestState, "chain state version to start at; 1 only to rehearse an upgrade (see docs/operations.md)")
	cmd.Flags().MarkHidden("state-version")
	nf.add(cmd)
	return cmd
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func parseMembers(orgs []string) ([]memberSpec, error) {
	var out []memberSpec
	seen := map[string]bool{}
	count := map[string]int{}
	for _, o := range orgs {
		kind, name, ok := strings.Cut(o, ":")
		name = strings.TrimSpace(name)
		switch {
		case !ok || name == "",
			kind != certs.KindCourt && kind != certs.KindNotary && kind != certs.KindArbitration:
			return nil, usageError("usage.org-spec", "value", strconv.Quote(o))
		case seen[name]:
			return nil, usageError("usage.org-twice", "value", strconv.Quote(o), "name", name)
		}
		seen[name] = true
		count[kind]++
		slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(name), "-"), "-")
		if len(slug) < 3 { // names in Chinese, say: number the members of a kind
			slug = fmt.Sprintf("%s-%d", kind, count[kind])
		}
		for seen["dir:"+slug] {
			slug += "-x"
		}
		seen["dir:"+slug] = true
		out = append(out, memberSpec{Kind: kind, Name: name, Slug: slug})
	}
	return out, nil
}

type initParams struct {
	out, name, chainID, host string
	apiPort, p2pPort         int
	peerPort                 int
	members                  []memberSpec
	now                      time.Time
	stateVersion             int
	suite                    certs.Suite // of the root, organization CAs, TSAs and notaries
}

type memberFiles struct {
	spec    memberSpec
	dir     string
	pub     ed25519.PublicKey
	nodeID  string
	org     *certs.Authority
	node    *x509.Certificate
	api     string
	p2pAddr string
	peer    string // the peer API's host:port
}

func consortiumInit(w io.Writer, p initParams) error {
	if entries, err := os.ReadDir(p.out); err == nil && len(entries) > 0 {
		return usageError("usage.out-not-empty", "out", p.out)
	}
	root, err := certs.NewSuiteRoot(p.suite, p.name+" Root CA", p.now)
	if err != nil {
		return err
	}
	var ms []*memberFiles
	for i, spec := range p.members {
		m, err := initMember(p, root, spec, i)
		if err != nil {
			return fmt.Errorf("member %s: %w", spec.Name, err)
		}
		ms = append(ms, m)
	}
	trust := receipt.Trust{Version: 1, ChainID: p.chainID, RootPEM: string(certs.EncodePEM(root.Cert))}
	// An ecdsa consortium's bundle stays as it was (version 1, no suites),
	// for verifiers older than version 3.
	trust = trust.WithSuite(string(p.suite))
	var vals []anchor.GenesisValidator
	for _, m := range ms {
		vals = append(vals, anchor.GenesisValidator{Name: m.spec.Name, PubKey: m.pub, Power: 10, OrgCA: m.org.Cert})
		trust.Validators = append(trust.Validators, receipt.Validator{Name: m.spec.Name, Kind: m.spec.Kind,
			PubKey: base64.StdEncoding.EncodeToString(m.pub), Power: 10, CertPEM: string(certs.EncodePEM(m.node, m.org.Cert))})
	}
	tb, err := json.MarshalIndent(trust, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(p.out, "trust.json"), append(tb, '\n'), 0o644); err != nil {
		return err
	}
	if err := anchor.WriteGenesis(filepath.Join(p.out, "genesis.json"), p.chainID, vals, root.Cert, p.now, p.stateVersion); err != nil {
		return err
	}
	gen, err := os.ReadFile(filepath.Join(p.out, "genesis.json"))
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := atomicfile.WriteFile(anchor.GenesisPath(filepath.Join(m.dir, "chain")), gen, 0o644); err != nil {
			return err
		}
		if err := writeMemberConfig(m, ms, p); err != nil {
			return err
		}
	}
	if err := writeOffline(p.out, root); err != nil {
		return err
	}
	fmt.Fprintln(w, tr("out.init-written", "name", strconv.Quote(p.name), "chain", p.chainID, "dir", p.out))
	for _, m := range ms {
		fmt.Fprintf(w, "  %s %s custos serve --config %s   %s\n", padCell(kindCell(m.spec.Kind), 12), padCell(m.spec.Name, 40), filepath.Join(m.dir, "custos.toml"), tr("out.init-api", "url", "http://"+m.api))
	}
	fmt.Fprintln(w, tr("out.init-trust", "path", filepath.Join(p.out, "trust.json")))
	fmt.Fprintln(w, tr("out.init-admin", "dir", filepath.Join(p.out, "admin", "MEMBER")))
	fmt.Fprintln(w, tr("out.init-offline", "dir", filepath.Join(p.out, "offline")))
	return nil
}

func initMember(p initParams, root *certs.Authority, spec memberSpec, i int) (*memberFiles, error) {
	m := &memberFiles{spec: spec, dir: filepath.Join(p.out, spec.Slug),
		api: fmt.Sprintf("%s:%d", p.host, p.apiPort+i), p2pAddr: fmt.Sprintf("%s:%d", p.host, p.p2pPort+i),
		peer: fmt.Sprintf("%s:%d", p.host, p.peerPort+i)}
	var err error
	if m.pub, m.nodeID, err = anchor.InitHome(filepath.Join(m.dir, "chain")); err != nil {
		return nil, err
	}
	if m.org, err = root.NewOrgCA(spec.Kind, spec.Name, p.now); err != nil {
		return nil, err
	}
	if m.node, err = writeNodePKI(filepath.Join(m.dir, "pki"), root.Cert, m.org, spec, m.pub, p.now); err != nil {
		return nil, err
	}
	orgKey, err := certs.EncodeKeyPEM(m.org.Signer)
	if err != nil {
		return nil, err
	}
	// The organization CA's key does not go on the node: a node needs only
	// its certificates. It is kept with the root key, to issue later.
	offline := filepath.Join(p.out, "offline")
	if err := os.MkdirAll(offline, 0o700); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(offline, spec.Slug+"-org-ca.key"), orgKey, 0o600); err != nil {
		return nil, err
	}
	if err := writeGovernanceKey(p, m); err != nil {
		return nil, err
	}
	return m, nil
}

// writeNodePKI issues a member node's certificates under its organization
// CA (TSA, node certificate for the validator key pub, and a notary
// office's document-signing certificate) and writes them, with the root
// and the organization CA, to the node's pki folder. It returns the node
// certificate.
func writeNodePKI(pki string, root *x509.Certificate, org *certs.Authority, spec memberSpec, pub ed25519.PublicKey, now time.Time) (*x509.Certificate, error) {
	tsa, err := org.IssueTSA(spec.Name+" TSA", now)
	if err != nil {
		return nil, err
	}
	node, err := org.IssueNode(spec.Name+" node", pub, now)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return nil, err
	}
	tsaKey, err := certs.EncodeKeyPEM(tsa.Signer)
	if err != nil {
		return nil, err
	}
	files := []pkiFile{
		{"root.pem", certs.EncodePEM(root), 0o644},
		{"org-ca.pem", certs.EncodePEM(org.Cert), 0o644},
		{"tsa.pem", certs.EncodePEM(tsa.Cert), 0o644},
		{"tsa.key", tsaKey, 0o600},
		{"node.pem", certs.EncodePEM(node), 0o644},
	}
	if spec.Kind == certs.KindNotary {
		// A notary office signs certificates: its document-signing key.
		leaf, err := org.IssueNotary(spec.notaryName(), now)
		if err != nil {
			return nil, err
		}
		key, err := certs.EncodeKeyPEM(leaf.Signer)
		if err != nil {
			return nil, err
		}
		files = append(files, pkiFile{"notary.key", key, 0o600}, pkiFile{"notary.pem", certs.EncodePEM(leaf.Cert), 0o644})
	}
	for _, f := range files {
		if err := atomicfile.WriteFile(filepath.Join(pki, f.name), f.b, f.mode); err != nil {
			return nil, err
		}
	}
	return node, nil
}

// writeGovernanceKey issues the member's governance certificate under its
// organization CA and writes it, with its key, to the member's admin
// folder, OUT/admin/SLUG: its administrators sign governance proposals
// and votes with it, off the node, which never holds it.
func writeGovernanceKey(p initParams, m *memberFiles) error {
	return writeGovernance(filepath.Join(p.out, "admin", m.spec.Slug), m.org, m.spec.Name, p.now)
}

// writeGovernance issues a governance certificate under org and writes it
// (then org's certificate) and its key to dir, 0600 in a 0700 folder.
func writeGovernance(dir string, org *certs.Authority, name string, now time.Time) error {
	gov, err := org.IssueGovernance(name+" governance", now)
	if err != nil {
		return err
	}
	key, err := certs.EncodeKeyPEM(gov.Signer)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "governance.key"), key, 0o600); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "governance.pem"), certs.EncodePEM(gov.Cert, org.Cert), 0o600)
}

// pkiFile is a file of a member's PKI folder.
type pkiFile struct {
	name string
	b    []byte
	mode os.FileMode
}

func writeMemberConfig(m *memberFiles, all []*memberFiles, p initParams) error {
	var peers []string
	for _, o := range all {
		if o != m {
			peers = append(peers, fmt.Sprintf("%q", o.nodeID+"@"+o.p2pAddr))
		}
	}
	cfg := fmt.Sprintf(`# Custos node of %s (%s), member of consortium chain %s.
# Start it with: custos serve --config %s
`, m.spec.Name, m.spec.Kind, p.chainID, filepath.Join(m.dir, "custos.toml")) + nodeConfig(m.spec.Name, m.api, m.p2pAddr, peers, "../trust.json")
	cfg += fmt.Sprintf(`
[consortium]
# The peer API: members reach each other here over mutual TLS with their
# node certificates, to send share notices and relay reads of evidence
# shared across members. Keys are member IDs (hex SHA-256 of a node key).
peer_listen = %q

[consortium.peers]
`, m.peer)
	for _, o := range all {
		if o != m {
			cfg += fmt.Sprintf("%q = %q # %s\n", anchor.MemberID(o.node), "https://"+o.peer, o.spec.Name)
		}
	}
	if m.spec.Kind == certs.KindNotary {
		table, err := notaryConfig(m.dir, m.spec)
		if err != nil {
			return err
		}
		cfg += table
	}
	return atomicfile.WriteFile(filepath.Join(m.dir, "custos.toml"), []byte(cfg), 0o600)
}

// nodeConfig is the part of a consortium member's custos.toml that every
// member's has: its organization, folders, listening addresses, and
// [chain] with peers (quoted NODEID@HOST:PORT) and the trust bundle.
func nodeConfig(org, listen, p2p string, peers []string, trust string) string {
	return fmt.Sprintf(`# Relative paths are relative to this file's folder.
org = %q
data = "data"
listen = %q
pki = "pki"

[chain]
home = "chain"
p2p_listen = "tcp://%s"
peers = [%s]
trust = %q
timeout_commit = "100ms"
`, org, listen, p2p, strings.Join(peers, ", "), trust)
}

// notaryTable is the [notary] table of a notary member's custos.toml. Its
// public_url is left for the operator to set: every certificate's QR code
// and printed link is PUBLIC_URL/verify?document=TOKEN, in a PDF that is
// never re-issued, and the default (http://LISTEN) is an address the
// public rarely reaches. serve warns while it is unset and the node listens
// beyond loopback.
const notaryTable = `
[notary]
# Set public_url BEFORE issuing the first certificate: the base URL under
# which courts and parties reach this node's /verify page. Every
# certificate's QR code and printed link is PUBLIC_URL/verify?document=TOKEN,
# and signed PDFs are write-once. Unset, it is http://LISTEN.
# public_url = "https://notary.example.org"
`

func writeOffline(out string, root *certs.Authority) error {
	dir := filepath.Join(out, "offline")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	key, err := certs.EncodeKeyPEM(root.Signer)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "root.pem"), certs.EncodePEM(root.Cert), 0o644); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "root.key"), key, 0o600)
}

// withMembersTable is err, a refusal of an upgrade vote (409
// upgrade-not-ready), followed by the table of the members it lists, one
// line each with what its node said or why it could not be asked, as
// 'consortium status --members' prints them. Any other error is err
// unchanged.
func withMembersTable(err error) error {
	var ce *client.Error
	if !errors.As(err, &ce) || len(ce.Problem.Members) == 0 {
		return err
	}
	var b strings.Builder
	if werr := writeHuman(&b, ce.Problem.Members); werr != nil {
		return err
	}
	return wrapError{msg: err.Error() + "\n" + strings.TrimRight(b.String(), "\n"), err: err}
}
