package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/receipt"
)

// Joining a running consortium (docs/operations.md, "Joining the
// consortium"): the new member prepares its keys and a request (join), the
// holder of the root key signs only its organization CA (admit), and the
// new member completes its node with certificates it issues itself under
// that CA (join --finish). The members then vote it in (propose admit).

// joinRequest is what a joining member sends to the root holder
// (DIR/join-request.json). It holds no secret.
type joinRequest struct {
	Version      int    `json:"version"` // 1
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	OrgCARequest string `json:"org_ca_request"` // PKCS#10, PEM
	ValidatorKey string `json:"validator_key"`  // Ed25519, base64
	NodeID       string `json:"node_id"`
	P2P          string `json:"p2p"`      // host:port other nodes dial
	API          string `json:"api"`      // host:port the node's API listens on
	PeerAPI      string `json:"peer_api"` // host:port of its peer API (mutual TLS)
	// Reissue marks the request of an existing member for a new
	// organization CA (consortium reissue --request): nothing to propose.
	Reissue bool `json:"reissue,omitempty"`
	// ValidatorSig, on a reissue request only, is the Ed25519 signature by
	// the validator key of reissueSigned(OrgCARequest), base64: the request
	// comes from the member's node, whose key the chain names
	// (consortium members --json), not from whoever copied that key.
	ValidatorSig string `json:"validator_sig,omitempty"`
}

// reissueSigned is what a reissue request's validator key signs: its
// organization CA request, after a context no other signature starts with.
func reissueSigned(csrPEM string) []byte {
	return append([]byte("custos consortium reissue request v1\x00"), csrPEM...)
}

// admission is what the root holder gives back (ADMISSION/admission.json),
// beside org-ca.pem, genesis.json and trust.json.
type admission struct {
	Version      int      `json:"version"` // 1
	ChainID      string   `json:"chain_id"`
	Kind         string   `json:"kind"`
	Name         string   `json:"name"`
	OrgCA        string   `json:"org_ca"` // PEM, issued by the root
	ValidatorKey string   `json:"validator_key"`
	Power        uint64   `json:"power"`
	Peers        []string `json:"peers"` // NODEID@HOST:PORT
}

const (
	joinRequestFile = "join-request.json"
	joinOrgKey      = "org-ca.key" // in DIR/offline
)

var nodeIDRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

func consortiumJoinCmd() *cobra.Command {
	var out, org, host, finish, from, crypto string
	var apiPort, p2pPort, peerPort int
	cmd := &cobra.Command{
		Use:   "join --out DIR --org KIND:NAME | join --finish ADMISSION --out DIR",
		Short: "Prepare a new member's node and the request the consortium root signs; then complete it",
		Long: `On the new member's machine. First run: makes the node's CometBFT node and validator keys, its
organization CA key (DIR/offline/org-ca.key, to move off the node) and a request (DIR/join-request.json:
the organization CA's PKCS#10 request, the validator key, the node ID and addresses). Send the request
to the holder of the consortium root key, who runs custos consortium admit.
Joining a consortium of the sm suite (its trust bundle names suite sm), add --crypto sm: the
organization CA key is then SM2 and its request signed SM2 with SM3.
With --finish ADMISSION (the folder admit wrote): checks it, issues the node's TSA, node and governance
certificates under the new organization CA, and writes custos.toml. With --from, a member node's peer
API URL, it first asks that node, over mutual TLS with the new node certificate, where the members'
nodes are, keeps the current members' (by that node's chain), and writes them as the new node's
peers ([consortium.peers], and [chain] peers beside the admission's). See docs/operations.md,
"Joining the consortium".`,
		Example: `  custos consortium join --out shanghai --org "court:Shanghai Court" --host 10.0.0.5
  custos consortium join --finish admission --out shanghai --from https://10.0.0.1:8181`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || (finish == "" && org == "") {
				return usageError("usage.join")
			}
			if finish != "" {
				return joinFinish(cmd.Context(), cmd.OutOrStdout(), out, finish, from, time.Now())
			}
			if from != "" {
				return usageError("usage.join-from")
			}
			ms, err := parseMembers([]string{org})
			if err != nil {
				return usageErrorOf(err)
			}
			suite, err := certs.ParseSuite(crypto)
			if err != nil {
				return usageError("usage.crypto", "value", crypto)
			}
			if peerPort == 0 {
				peerPort = apiPort + 100
			}
			return joinPrepare(cmd.ErrOrStderr(), out, ms[0], suite, fmt.Sprintf("%s:%d", host, apiPort),
				fmt.Sprintf("%s:%d", host, p2pPort), fmt.Sprintf("%s:%d", host, peerPort))
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the new member's folder (must not exist or be empty; with --finish, the folder join wrote)")
	cmd.Flags().StringVar(&org, "org", "", "the new member, as KIND:NAME (KIND is court, notary or arbitration)")
	cmd.Flags().StringVar(&finish, "finish", "", "the admission folder written by custos consortium admit")
	cmd.Flags().StringVar(&from, "from", "", "with --finish: a member node's peer API URL (https://HOST:PORT), asked over mutual TLS for the members' peer addresses")
	cmd.Flags().StringVar(&host, "host", "127.0.0.1", "the address this node listens on and the others reach it at")
	cmd.Flags().IntVar(&apiPort, "api-port", 8081, "the node's API port")
	cmd.Flags().IntVar(&p2pPort, "p2p-port", 26656, "the node's p2p port")
	cmd.Flags().IntVar(&peerPort, "peer-port", 0, "the node's peer API port (default: api-port+100)")
	cmd.Flags().StringVar(&crypto, "crypto", string(certs.SuiteECDSA), "the consortium's signature suite, which the organization CA key follows: ecdsa, or sm when its trust bundle names the sm suite (SM2 key, request signed SM2 with SM3)")
	return cmd
}

// joinPrepare writes the new member's folder out and its join request,
// and says on stderr what it saved (savedNotice's line) and what to do
// with it; standard output stays empty.
func joinPrepare(stderr io.Writer, out string, spec memberSpec, suite certs.Suite, api, p2p, peer string) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return usageError("usage.out-not-empty", "out", out)
	}
	pub, nodeID, err := anchor.InitHome(filepath.Join(out, "chain"))
	if err != nil {
		return err
	}
	key, err := certs.NewSuiteKey(suite)
	if err != nil {
		return err
	}
	csr, err := certs.NewOrgCARequest(spec.Kind, spec.Name, key)
	if err != nil {
		return err
	}
	kb, err := certs.EncodeKeyPEM(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "offline"), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "offline", joinOrgKey), kb, 0o600); err != nil {
		return err
	}
	req := joinRequest{Version: 1, Kind: spec.Kind, Name: spec.Name, OrgCARequest: string(csr),
		ValidatorKey: base64.StdEncoding.EncodeToString(pub), NodeID: nodeID, P2P: p2p, API: api, PeerAPI: peer}
	b, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(out, joinRequestFile)
	b = append(b, '\n')
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	savedNoticeTo(stderr, "", path, int64(len(b)))
	noticeTo(stderr, "notice.join-request", "name", spec.Name, "kind", kindCell(spec.Kind), "file", joinRequestFile)
	noticeTo(stderr, "notice.join-offline", "dir", filepath.Join(out, "offline"))
	return nil
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// requestSuite is the suite of the key of a join request's organization
// CA request (checked by joinRequest.check).
func requestSuite(csrPEM string) certs.Suite {
	req, _, _, err := certs.ParseOrgCARequest([]byte(csrPEM))
	if err != nil {
		return ""
	}
	return certs.KeySuite(req.PublicKey)
}

// checkRequest refuses a join request that is not complete and well formed.
func (r *joinRequest) check() (ed25519.PublicKey, error) {
	if r.Version != 1 {
		return nil, fmt.Errorf("join request version %d, want 1", r.Version)
	}
	_, kind, name, err := certs.ParseOrgCARequest([]byte(r.OrgCARequest))
	if err != nil {
		return nil, err
	}
	if kind != r.Kind || name != r.Name {
		return nil, fmt.Errorf("join request: its organization CA request is for %s:%s, the request says %s:%s", kind, name, r.Kind, r.Name)
	}
	pub, err := base64.StdEncoding.DecodeString(r.ValidatorKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("join request: validator_key is not an Ed25519 public key in base64")
	}
	if !nodeIDRE.MatchString(r.NodeID) || !strings.Contains(r.P2P, ":") {
		return nil, fmt.Errorf("join request: node_id %q or p2p %q is malformed", r.NodeID, r.P2P)
	}
	sig, err := base64.StdEncoding.DecodeString(r.ValidatorSig)
	switch {
	case !r.Reissue && r.ValidatorSig != "":
		return nil, fmt.Errorf("join request: validator_sig is for a reissue request only")
	case r.Reissue && (err != nil || !ed25519.Verify(pub, reissueSigned(r.OrgCARequest), sig)):
		return nil, fmt.Errorf("join request: a reissue request must be signed by its validator key (validator_sig), and this one is not")
	}
	return pub, nil
}

func consortiumAdmitCmd() *cobra.Command {
	var rootDir, request, out, genesis, trust string
	var peers []string
	var power uint64
	cmd := &cobra.Command{
		Use:   "admit --root-dir OFFLINE --request FILE --out ADMISSION",
		Short: "Sign a joining member's organization CA under the consortium root (on the root key's machine)",
		Long: `On the machine holding the consortium root key (OFFLINE: root.pem and root.key, as consortium init
wrote them). Checks the join request, signs its organization CA under the root (nothing else: the new
member issues its own certificates under it), and writes ADMISSION: admission.json, org-ca.pem,
genesis.json and trust.json. Give ADMISSION to the new member (custos consortium join --finish), and
the printed propose command to a member's administrators. See docs/operations.md, "Joining the consortium".`,
		Example: `  custos consortium admit --root-dir offline --request join-request.json --out admission \
    --peer 3f0c...@10.0.0.1:26656 --peer 81aa...@10.0.0.2:26656`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rootDir == "" || request == "" || out == "" {
				return usageError("usage.admit")
			}
			if genesis == "" {
				genesis = filepath.Join(rootDir, "..", "genesis.json")
			}
			if trust == "" {
				trust = filepath.Join(rootDir, "..", "trust.json")
			}
			return consortiumAdmit(cmd.OutOrStdout(), admitParams{rootDir: rootDir, request: request, out: out,
				genesis: genesis, trust: trust, peers: peers, power: power, now: time.Now()})
		},
	}
	cmd.Flags().StringVar(&rootDir, "root-dir", "", "the folder holding root.pem and root.key (consortium init's OUT/offline)")
	cmd.Flags().StringVar(&request, "request", "", "the new member's join-request.json")
	cmd.Flags().StringVarP(&out, "out", "o", "", "the admission folder to write (must not exist or be empty)")
	cmd.Flags().StringVar(&genesis, "genesis", "", "the chain's genesis.json (default: ROOT_DIR/../genesis.json)")
	cmd.Flags().StringVar(&trust, "trust", "", "the consortium's genesis trust bundle (default: ROOT_DIR/../trust.json)")
	cmd.Flags().StringArrayVar(&peers, "peer", nil, "a running member's node to sync from, as NODEID@HOST:PORT; repeat for each")
	cmd.Flags().Uint64Var(&power, "power", 10, "the voting power to propose for the new member")
	return cmd
}

type admitParams struct {
	rootDir, request, out, genesis, trust string
	peers                                 []string
	power                                 uint64
	now                                   time.Time
}

func consortiumAdmit(w io.Writer, p admitParams) error {
	if entries, err := os.ReadDir(p.out); err == nil && len(entries) > 0 {
		return usageError("usage.out-not-empty", "out", p.out)
	}
	var req joinRequest
	if err := readJSONFile(p.request, &req); err != nil {
		return err
	}
	if _, err := req.check(); err != nil {
		return err
	}
	for _, peer := range p.peers {
		id, addr, ok := strings.Cut(peer, "@")
		if !ok || !nodeIDRE.MatchString(id) || !strings.Contains(addr, ":") {
			return fmt.Errorf("--peer %q: want NODEID@HOST:PORT", peer)
		}
	}
	if p.power < 1 || p.power > anchor.MaxPower {
		return usageError("usage.gov-power", "power", fmt.Sprint(p.power), "max", anchor.MaxPower)
	}
	rootCert, err := readOneCert(filepath.Join(p.rootDir, "root.pem"))
	if err != nil {
		return err
	}
	kb, err := readPrivateFile(filepath.Join(p.rootDir, "root.key"))
	if err != nil {
		return err
	}
	rootKey, err := certs.ParseKeyPEM(kb)
	if err != nil {
		return err
	}
	if !certs.SameKey(rootCert, rootKey) {
		return fmt.Errorf("%s: root.key is not the key of root.pem", p.rootDir)
	}
	var trust receipt.Trust
	if err := readJSONFile(p.trust, &trust); err != nil {
		return err
	}
	gen, err := anchor.ReadGenesis(p.genesis)
	if err != nil {
		return err
	}
	if gen.ChainID != trust.ChainID {
		return fmt.Errorf("%s is for chain %s, %s for chain %s", p.genesis, gen.ChainID, p.trust, trust.ChainID)
	}
	if err := sameRoot(rootCert, trust.RootPEM); err != nil {
		return fmt.Errorf("refused: the root in %s is not this consortium's root: %w", p.rootDir, err)
	}
	if got, want := requestSuite(req.OrgCARequest), certs.KeySuite(rootCert.PublicKey); got != want {
		return failure(1, "fail.join-suite", "got", got, "want", want)
	}
	root := &certs.Authority{Cert: rootCert, Signer: rootKey}
	orgCA, err := root.SignOrgCA([]byte(req.OrgCARequest), p.now)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.out, 0o755); err != nil {
		return err
	}
	adm := admission{Version: 1, ChainID: trust.ChainID, Kind: req.Kind, Name: req.Name, OrgCA: string(certs.EncodePEM(orgCA)),
		ValidatorKey: req.ValidatorKey, Power: p.power, Peers: p.peers}
	ab, err := json.MarshalIndent(adm, "", "  ")
	if err != nil {
		return err
	}
	gb, err := os.ReadFile(p.genesis)
	if err != nil {
		return err
	}
	tb, err := os.ReadFile(p.trust)
	if err != nil {
		return err
	}
	for _, f := range []pkiFile{{"admission.json", append(ab, '\n'), 0o644}, {"org-ca.pem", certs.EncodePEM(orgCA), 0o644},
		{"genesis.json", gb, 0o644}, {"trust.json", tb, 0o644}} {
		if err := atomicfile.WriteFile(filepath.Join(p.out, f.name), f.b, f.mode); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, tr("out.admit-signed", "name", req.Name, "kind", kindCell(req.Kind), "dir", p.out))
	if req.Reissue {
		fmt.Fprintln(w, tr("out.admit-reissue", "dir", p.out, "name", req.Name, "key", req.ValidatorKey))
		return nil
	}
	fmt.Fprintln(w, tr("out.admit-give", "dir", p.out))
	fmt.Fprintln(w, tr("out.admit-propose"))
	fmt.Fprintf(w, "  %s\n", admitProposeCommand(filepath.Join(p.out, "org-ca.pem"), req.ValidatorKey, p.power))
	return nil
}

// admitProposeCommand is the command that proposes an admission.
func admitProposeCommand(orgCA, validatorKey string, power uint64) string {
	return fmt.Sprintf("custos consortium propose admit %s %s %d --key governance.key --cert governance.pem --server http://MEMBER-NODE", orgCA, validatorKey, power)
}

// sameRoot reports whether rootPEM (a trust bundle's) is root.
func sameRoot(root *x509.Certificate, rootPEM string) error {
	cs, err := certs.ParsePEM([]byte(rootPEM))
	if err != nil || len(cs) != 1 {
		return fmt.Errorf("the trust bundle's root does not parse")
	}
	if !cs[0].Equal(root) {
		a, b := sha256.Sum256(root.Raw), sha256.Sum256(cs[0].Raw)
		return fmt.Errorf("root.pem is %q (SHA-256 %x), the trust bundle's root is %q (SHA-256 %x)", root.Subject, a[:8], cs[0].Subject, b[:8])
	}
	return nil
}

// joinFinish completes a joining member's folder from its admission; with
// from, a member node's peer API URL, its peers from that node's directory.
func joinFinish(ctx context.Context, w io.Writer, out, admDir, from string, now time.Time) error {
	var req joinRequest
	if err := readJSONFile(filepath.Join(out, joinRequestFile), &req); err != nil {
		return err
	}
	pub, err := req.check()
	if err != nil {
		return err
	}
	var adm admission
	if err := readJSONFile(filepath.Join(admDir, "admission.json"), &adm); err != nil {
		return err
	}
	var trust receipt.Trust
	if err := readJSONFile(filepath.Join(admDir, "trust.json"), &trust); err != nil {
		return err
	}
	gen, err := anchor.ReadGenesis(filepath.Join(admDir, "genesis.json"))
	if err != nil {
		return err
	}
	kb, err := readPrivateFile(filepath.Join(out, "offline", joinOrgKey))
	if err != nil {
		return err
	}
	orgKey, err := certs.ParseKeyPEM(kb)
	if err != nil {
		return err
	}
	cs, err := certs.ParsePEM([]byte(adm.OrgCA))
	if err != nil || len(cs) != 1 {
		return fmt.Errorf("%s: org_ca is not one certificate", admDir)
	}
	orgCert := cs[0]
	roots, err := certs.ParsePEM([]byte(trust.RootPEM))
	if err != nil || len(roots) != 1 {
		return fmt.Errorf("%s: the trust bundle's root does not parse", admDir)
	}
	root := roots[0]
	switch {
	case adm.Version != 1:
		return fmt.Errorf("%s: admission version %d, want 1", admDir, adm.Version)
	case !certs.SameKey(orgCert, orgKey):
		return fmt.Errorf("refused: the admission's organization CA is not for this member's key (%s): was it signed for another request?", filepath.Join(out, "offline", joinOrgKey))
	case certs.CheckSignatureFrom(orgCert, root) != nil:
		return fmt.Errorf("refused: the admission's organization CA %q is not issued by the consortium root %q", orgCert.Subject, root.Subject)
	case adm.ValidatorKey != req.ValidatorKey || adm.Kind != req.Kind || adm.Name != req.Name:
		return fmt.Errorf("refused: the admission is for %s:%s with validator key %s, not this member's request", adm.Kind, adm.Name, adm.ValidatorKey)
	case gen.ChainID != trust.ChainID || adm.ChainID != trust.ChainID:
		return fmt.Errorf("refused: the admission's genesis, trust bundle and admission name different chains")
	}
	org := &certs.Authority{Cert: orgCert, Signer: orgKey, Chain: []*x509.Certificate{root}}
	spec := memberSpec{Kind: req.Kind, Name: req.Name}
	peers := joinPeers{p2p: adm.Peers}
	if from != "" {
		// Before anything is written: a refusal leaves the folder as it was.
		if peers, err = fetchPeers(ctx, out, from, root, org, &req, pub, adm.Peers, trustOrgCAs(trust.Validators), now); err != nil {
			return err
		}
	}
	if _, err := writeNodePKI(filepath.Join(out, "pki"), root, org, spec, pub, now); err != nil {
		return err
	}
	admin := filepath.Join(out, "admin")
	if err := writeGovernance(admin, org, spec.Name, now); err != nil {
		return err
	}
	for _, f := range []struct{ from, to string }{{"genesis.json", anchor.GenesisPath(filepath.Join(out, "chain"))}, {"trust.json", filepath.Join(out, "trust.json")}} {
		b, err := os.ReadFile(filepath.Join(admDir, f.from))
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(f.to, b, 0o644); err != nil {
			return err
		}
	}
	cfgPath := filepath.Join(out, "custos.toml")
	var p2p []string
	for _, p := range peers.p2p {
		p2p = append(p2p, fmt.Sprintf("%q", p))
	}
	cfg := fmt.Sprintf(`# Custos node of %s (%s), joining consortium chain %s.
# Start it with: custos serve --config %s
# It syncs the chain from its peers and validates once the members have voted it in.
`, spec.Name, spec.Kind, trust.ChainID, cfgPath) + nodeConfig(spec.Name, req.API, req.P2P, p2p, "trust.json") + peers.consortiumTable(req.PeerAPI)
	if spec.Kind == certs.KindNotary {
		cfg += notaryTable
	}
	if err := atomicfile.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	if from != "" {
		fmt.Fprintln(w, peers.summary(from))
	}
	fmt.Fprintln(w, tr("out.join-ready", "dir", out, "config", cfgPath))
	fmt.Fprintln(w, tr("out.join-give", "admin", admin, "offline", filepath.Join(out, "offline")))
	return nil
}
