package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
)

// Moving a member's node to a new organization CA (docs/operations.md,
// "A retired organization CA"): after the members retire the member's CA
// (propose retire-ca), its node's transactions under it are refused. The
// member asks the root holder for a new CA (reissue --request, then
// consortium admit), issues under it the node's certificates for its
// existing validator key (reissue --org-ca), and restarts the node: its
// first anchored transaction under the new CA binds the CA to it
// (anchor's learnOrgCA).

const (
	// reissueStaged holds the new PKI files, complete, until each is
	// renamed into the PKI folder (applyReissue); a start finishes an
	// interrupted move.
	reissueStaged = "reissue.new"
	// reissueKey is the new organization CA's key in the --request folder.
	reissueKey = "org-ca.key"
)

// reissueFiles are the PKI files issued under the organization CA, which
// reissue replaces (notary.* only on a notary office's node).
// node.next.pem only with a validator key prepared by rotate-key, which
// a start would otherwise adopt with its certificate under the old CA.
var reissueFiles = []string{"org-ca.pem", "node.pem", "tsa.pem", "tsa.key", "notary.pem", "notary.key", nodeNextCert}

func consortiumReissueCmd() *cobra.Command {
	var configPath, request, orgCA, orgKey string
	cmd := &cobra.Command{
		Use:   "reissue --config custos.toml (--request DIR | --org-ca ORG-CA.pem --org-ca-key KEY)",
		Short: "Move this member's node to a new organization CA: request it, then issue the node's certificates under it",
		Long: `For a member whose organization CA was retired (propose retire-ca), or that moves to a new one. On the
member's node's machine. With --request DIR (the node may run): makes the new organization CA's key
(DIR/org-ca.key, 0600) and DIR/join-request.json for this member (its kind, name and validator key,
signed by that key); the holder of the consortium root key checks the key against the member list and
signs it with custos consortium admit, which writes org-ca.pem.
With --org-ca and --org-ca-key, the node stopped: checks that the CA is issued by the consortium root,
names this member, is the key's, has a new key, and is not retired or another member's, and that the
node's validator key is a current member's; then issues under it the node certificate for the node's existing validator
key (pki/node.pem) and, with new keys, the TSA certificate (pki/tsa.pem, tsa.key) and a notary office's
document-signing certificate (pki/notary.pem, notary.key), and replaces them with pki/org-ca.pem. The
old files are kept in pki/retired-ca-HASH/. Start the node: its first anchored transaction under the
new CA binds the CA to the member. See docs/operations.md, "A retired organization CA".`,
		Example: `  custos consortium reissue --config /srv/qiantang/custos.toml --request qiantang-ca
  custos consortium reissue --config /srv/qiantang/custos.toml --org-ca admission/org-ca.pem --org-ca-key qiantang-ca/org-ca.key`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" || (request == "") == (orgCA == "" && orgKey == "") || (request == "" && (orgCA == "" || orgKey == "")) {
				return usageError("usage.reissue")
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return usageErrorOf(err)
			}
			if cfg.Chain.Trust == "" {
				return failure(1, "fail.reissue-dev")
			}
			if request != "" {
				return reissueRequest(cmd.ErrOrStderr(), cfg, request)
			}
			return reissue(cmd.OutOrStdout(), cfg, configPath, orgCA, orgKey, time.Now())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "the member node's configuration file (custos.toml)")
	cmd.Flags().StringVar(&request, "request", "", "a folder to write the new organization CA's key and its join-request.json into (must not exist or be empty)")
	cmd.Flags().StringVar(&orgCA, "org-ca", "", "the new organization CA certificate (PEM), signed by the consortium root (custos consortium admit's ADMISSION/org-ca.pem)")
	cmd.Flags().StringVar(&orgKey, "org-ca-key", "", "the new organization CA's key (PEM, mode 0600; DIR/org-ca.key from --request)")
	return cmd
}

// reissueRequest writes a new organization CA key and a join request for
// the member whose node cfg configures, for the root holder's admit.
func reissueRequest(stderr io.Writer, cfg Config, dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return usageError("usage.out-not-empty", "out", dir)
	}
	pki, home := cfg.pkiDir(), cfg.chainHome()
	old, err := readCert(filepath.Join(pki, "org-ca.pem"))
	if err != nil {
		return err
	}
	kind, name := orgOf(old)
	priv, err := readValidatorPriv(anchor.PrivValKeyPath(home))
	if err != nil {
		return err
	}
	pub := priv.Public().(ed25519.PublicKey)
	nodeID, err := readNodeID(anchor.NodeKeyPath(home))
	if err != nil {
		return err
	}
	suite, err := pkiSuite(cfg)
	if err != nil {
		return err
	}
	key, err := certs.NewSuiteKey(suite)
	if err != nil {
		return err
	}
	csr, err := certs.NewOrgCARequest(kind, name, key)
	if err != nil {
		return err
	}
	kb, err := certs.EncodeKeyPEM(key)
	if err != nil {
		return err
	}
	req := joinRequest{Version: 1, Kind: kind, Name: name, OrgCARequest: string(csr), ValidatorKey: base64.StdEncoding.EncodeToString(pub),
		NodeID: nodeID, P2P: strings.TrimPrefix(cfg.Chain.P2PListen, "tcp://"), API: cfg.Listen, PeerAPI: cfg.Consortium.PeerListen, Reissue: true,
		ValidatorSig: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, reissueSigned(string(csr))))}
	b, err := json.MarshalIndent(req, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// An empty folder given may be others' to write: none may swap the
	// key and request before they are sent.
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, reissueKey), kb, 0o600); err != nil {
		return err
	}
	path := filepath.Join(dir, joinRequestFile)
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	savedNoticeTo(stderr, "", path, int64(len(b)))
	noticeTo(stderr, "notice.reissue-request", "name", name, "kind", kindCell(kind), "file", path, "key", filepath.Join(dir, reissueKey))
	return nil
}

// orgOf is the kind (OU) and name (O) an organization CA names.
func orgOf(ca *x509.Certificate) (kind, name string) {
	if len(ca.Subject.OrganizationalUnit) > 0 {
		kind = ca.Subject.OrganizationalUnit[0]
	}
	if len(ca.Subject.Organization) > 0 {
		name = ca.Subject.Organization[0]
	}
	return kind, name
}

// readValidatorPriv reads the Ed25519 key of a CometBFT
// priv_validator_key.json, which only its owner may read.
func readValidatorPriv(path string) (ed25519.PrivateKey, error) {
	b, err := readPrivateFile(path)
	if err != nil {
		return nil, err
	}
	var pv struct {
		PrivKey struct {
			Value []byte `json:"value"`
		} `json:"priv_key"`
	}
	if err := json.Unmarshal(b, &pv); err != nil || len(pv.PrivKey.Value) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%s: not a CometBFT validator key", path)
	}
	return ed25519.PrivateKey(pv.PrivKey.Value), nil
}

// readNodeID is the CometBFT node ID of a node_key.json: the hex of the
// first 20 bytes of the SHA-256 of its Ed25519 public key.
func readNodeID(path string) (string, error) {
	b, err := readPrivateFile(path)
	if err != nil {
		return "", err
	}
	var nk struct {
		PrivKey struct {
			Value []byte `json:"value"`
		} `json:"priv_key"`
	}
	if err := json.Unmarshal(b, &nk); err != nil || len(nk.PrivKey.Value) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("%s: not a CometBFT node key", path)
	}
	sum := sha256.Sum256(ed25519.PrivateKey(nk.PrivKey.Value).Public().(ed25519.PublicKey))
	return hex.EncodeToString(sum[:20]), nil
}

// reissue issues the node's certificates under the new organization CA
// and moves them into the PKI folder, the old ones kept aside.
func reissue(w io.Writer, cfg Config, configPath, caPath, keyPath string, now time.Time) error {
	pki, home := cfg.pkiDir(), cfg.chainHome()
	// One reissue at a time, from before it reads the PKI folder: two runs
	// both hold the chain state's shared lock, and would stage and move
	// the PKI files over each other.
	unlock, err := lockReissue(pki)
	if err != nil {
		return err
	}
	defer unlock()
	root, err := readCert(filepath.Join(pki, "root.pem"))
	if err != nil {
		return err
	}
	old, err := readCert(filepath.Join(pki, "org-ca.pem"))
	if err != nil {
		return err
	}
	org, err := readNewOrgCA(root, old, caPath, keyPath, now)
	if err != nil {
		return err
	}
	pub, err := readValidatorKey(anchor.PrivValKeyPath(home))
	if err != nil {
		return err
	}
	// The chain state stays open (a shared lock) until the files are
	// moved: a custos serve started meanwhile cannot open it and stops.
	db, err := openStoppedState(filepath.Join(home, "app.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkReissueState(db, pub, org); err != nil {
		return err
	}
	files, err := reissuePKI(pki, cfg, org, pub, now)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(old.Raw)
	backup := filepath.Join(pki, "retired-ca-"+hex.EncodeToString(sum[:8]))
	if err := stageReissue(pki, backup, files); err != nil {
		return err
	}
	if err := applyReissue(pki); err != nil {
		return err
	}
	kind, name := orgOf(org.Cert)
	fmt.Fprintln(w, tr("out.reissue-done", "name", name, "kind", kindCell(kind), "pki", pki, "backup", backup))
	fmt.Fprintln(w, tr("out.reissue-start"))
	fmt.Fprintf(w, "  custos serve --config %s\n", configPath)
	fmt.Fprintln(w, tr("out.reissue-governance"))
	fmt.Fprintf(w, "  custos consortium governance-cert --ca %s --ca-key %s --key governance.key -o governance.pem\n", filepath.Join(pki, "org-ca.pem"), keyPath)
	fmt.Fprintln(w, tr("out.reissue-key-off", "key", keyPath))
	for _, path := range issuedUnder(cfg, old) {
		fmt.Fprintln(w, tr("out.reissue-issued-old", "path", path))
	}
	return nil
}

// issuedUnder is the certificates installed from a CA (custos pki
// install, PKI/issued) whose chain holds the organization CA ca: they
// take the place of the TSA's and notary's that reissue replaces.
func issuedUnder(cfg Config, ca *x509.Certificate) []string {
	var paths []string
	for _, purpose := range []string{certs.PurposeTSA, certs.PurposeNotary} {
		path := cfg.issuedPath(purpose, ".pem")
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		chain, _ := certs.ParsePEM(b)
		for _, c := range chain {
			if c.Equal(ca) || certs.CheckSignatureFrom(c, ca) == nil {
				paths = append(paths, path)
				break
			}
		}
	}
	return paths
}

// readNewOrgCA reads the new organization CA and its key, and checks them
// against the consortium root and the node's current CA old.
func readNewOrgCA(root, old *x509.Certificate, caPath, keyPath string, now time.Time) (*certs.Authority, error) {
	ca, err := readCert(caPath)
	if err != nil {
		return nil, err
	}
	kb, err := readPrivateFile(keyPath)
	if err != nil {
		return nil, err
	}
	key, err := certs.ParseKeyPEM(kb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	kind, name := orgOf(ca)
	wantKind, wantName := orgOf(old)
	switch {
	case !certs.SameKey(ca, key):
		return nil, failure(1, "fail.reissue-key", "key", keyPath, "cert", caPath)
	case !ca.IsCA || certs.CheckSignatureFrom(ca, root) != nil || !bytes.Equal(ca.RawIssuer, root.RawSubject):
		return nil, failure(1, "fail.reissue-root", "cert", caPath, "subject", ca.Subject.String(), "root", root.Subject.String())
	case kind != wantKind || name != wantName:
		return nil, failure(1, "fail.reissue-member", "cert", caPath, "got", kind+":"+name, "want", wantKind+":"+wantName)
	case ca.Equal(old):
		return nil, failure(1, "fail.reissue-same", "cert", caPath)
	case certs.SameKey(old, key):
		// Another encoding of the node's CA (an ECDSA signature's twin),
		// or the root's new certificate for its key: the key retired.
		return nil, failure(1, "fail.reissue-old-key", "cert", caPath)
	case now.After(ca.NotAfter) || now.Before(ca.NotBefore):
		return nil, failure(1, "fail.reissue-expired", "cert", caPath, "from", ca.NotBefore.UTC().Format(time.DateOnly), "to", ca.NotAfter.UTC().Format(time.DateOnly))
	}
	return &certs.Authority{Cert: ca, Signer: key, Chain: []*x509.Certificate{root}}, nil
}

// openStoppedState opens the chain state at path read-only, which holds a
// shared lock on it: custos serve, which locks it alone, holds it while it
// runs (then this fails, fail.reissue-running) and cannot start while it
// is open.
func openStoppedState(path string) (*bolt.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("the node's chain state: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, failure(1, "fail.reissue-running", "path", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// checkReissueState checks, in the stopped node's chain state db, that
// pub is the validator key of a member not removed, and that the CA org
// is neither retired nor bound to another member: nor any CA of its key,
// such as another encoding of one (below state version 10 the chain knows
// a CA by the SHA-256 of its DER alone, and would bind a retired CA's twin
// as a new CA; from 10 it refuses it too).
func checkReissueState(db *bolt.DB, pub ed25519.PublicKey, org *certs.Authority) error {
	ms, err := anchor.StoredMembers(db)
	if err != nil {
		return err
	}
	ca := org.Cert
	sum := sha256.Sum256(ca.Raw)
	hash := hex.EncodeToString(sum[:])
	var self *anchor.Member
	for i, m := range ms {
		if m.Removed == 0 && bytes.Equal(m.ValidatorKey, pub) {
			self = &ms[i]
		}
	}
	if self == nil {
		return failure(1, "fail.reissue-validator", "pub", base64.StdEncoding.EncodeToString(pub))
	}
	for _, m := range ms {
		for _, c := range m.OrgCAs {
			sameKey := func() bool {
				held, err := certs.ParseCertificate(c.Cert)
				return err == nil && certs.SameKey(held, org.Signer)
			}
			switch {
			case c.SHA256 != hash && !sameKey():
			case m.ID != self.ID:
				return failure(1, "fail.reissue-other", "member", m.Name, "id", m.ID)
			case c.Retired != 0:
				return failure(1, "fail.reissue-retired", "height", c.Retired)
			}
		}
	}
	return nil
}

// reissuePKI issues the node's certificates under org for the validator
// key pub (and node.next.pem for a key rotate-key prepared), with the
// subjects of the ones in pki, and returns the files.
func reissuePKI(pki string, cfg Config, org *certs.Authority, pub ed25519.PublicKey, now time.Time) ([]pkiFile, error) {
	cn := func(file, def string) string {
		if c, err := readCert(filepath.Join(pki, file)); err == nil && c.Subject.CommonName != "" {
			return c.Subject.CommonName
		}
		return def
	}
	node, err := org.IssueNode(cn("node.pem", cfg.Org+" node"), pub, now)
	if err != nil {
		return nil, err
	}
	tsa, err := org.IssueTSA(cn("tsa.pem", cfg.Org+" TSA"), now)
	if err != nil {
		return nil, err
	}
	tsaKey, err := certs.EncodeKeyPEM(tsa.Signer)
	if err != nil {
		return nil, err
	}
	files := []pkiFile{
		{"org-ca.pem", certs.EncodePEM(org.Cert), 0o644},
		{"node.pem", certs.EncodePEM(node), 0o644},
		{"tsa.pem", certs.EncodePEM(tsa.Cert), 0o644},
		{"tsa.key", tsaKey, 0o600},
	}
	switch next, err := readValidatorPub(anchor.NextPrivValKeyPath(cfg.chainHome())); {
	case err == nil:
		cert, err := org.IssueNode(cn(nodeNextCert, cfg.Org+" node"), next, now)
		if err != nil {
			return nil, err
		}
		files = append(files, pkiFile{nodeNextCert, certs.EncodePEM(cert), 0o644})
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	switch _, err := os.Stat(filepath.Join(pki, "notary.pem")); {
	case err == nil:
		leaf, err := org.IssueNotary(cn("notary.pem", cfg.notaryName()), now)
		if err != nil {
			return nil, err
		}
		key, err := certs.EncodeKeyPEM(leaf.Signer)
		if err != nil {
			return nil, err
		}
		files = append(files, pkiFile{"notary.pem", certs.EncodePEM(leaf.Cert), 0o644}, pkiFile{"notary.key", key, 0o600})
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return files, nil
}

// stageReissue copies the PKI files reissue replaces to backup, then
// writes files to PKI/reissue.new; each folder appears whole (written
// under a temporary name, renamed), so a crash leaves either nothing
// staged or all of it.
func stageReissue(pki, backup string, files []pkiFile) error {
	if _, err := os.Stat(filepath.Join(pki, reissueStaged)); err == nil {
		return failure(1, "fail.reissue-staged", "path", filepath.Join(pki, reissueStaged))
	}
	var olds []pkiFile
	for _, name := range reissueFiles {
		path := filepath.Join(pki, name)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		olds = append(olds, pkiFile{name, b, st.Mode().Perm()})
	}
	// A backup of these very files is one a run interrupted before it
	// staged the new ones wrote: it stands.
	switch same, err := folderHolds(backup, olds); {
	case err != nil:
		return err
	case same:
	case dirExists(backup):
		return failure(1, "fail.reissue-backup", "path", backup)
	default:
		if err := writeFolder(backup, olds); err != nil {
			return err
		}
	}
	return writeFolder(filepath.Join(pki, reissueStaged), files)
}

// folderHolds reports whether dir holds files, and nothing else.
func folderHolds(dir string, files []pkiFile) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil || len(entries) != len(files) {
		return false, err
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if errors.Is(err, fs.ErrNotExist) || err == nil && !bytes.Equal(b, f.b) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

func dirExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// writeFolder writes files to a new folder dir, whole: into DIR.tmp, then
// renamed.
func writeFolder(dir string, files []pkiFile) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	for _, f := range files {
		if err := atomicfile.WriteFile(filepath.Join(tmp, f.name), f.b, f.mode); err != nil {
			return err
		}
	}
	return atomicfile.Rename(tmp, dir)
}

// applyReissue moves the files staged in PKI/reissue.new into the PKI
// folder, then removes it. Run again after a crash, it moves those left;
// loadPKI runs it, so a start finishes an interrupted reissue.
func applyReissue(pki string) error {
	staged := filepath.Join(pki, reissueStaged)
	entries, err := os.ReadDir(staged)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		// A file gone was moved by another run (a custos serve started
		// during reissue, which then stops at the chain state's lock).
		err := atomicfile.Rename(filepath.Join(staged, e.Name()), filepath.Join(pki, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(staged); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return atomicfile.SyncDir(pki)
}
