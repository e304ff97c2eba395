package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/storage"
)

// TestReissue: a notary office's node moves to a new organization CA with
// the CLI's steps (reissue --request, admit, reissue --org-ca); before
// that, reissue refuses a CA of another member, under another root, not
// the key's, the node's own, bound to another member, retired, a node key
// that is no current member's, and a running node, writing nothing.
func TestReissue(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--org", "court:Court A", "--org", "notary:Notary B"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	cfgPath := filepath.Join(out, "notary-b", "custos.toml")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	pkiDir, home := cfg.pkiDir(), cfg.chainHome()
	root := readAuthority(t, filepath.Join(out, "offline", "root.pem"), filepath.Join(out, "offline", "root.key"))
	oldPKI := snapshot(t, pkiDir)
	pubA, _ := readValidatorKey(anchor.PrivValKeyPath(filepath.Join(out, "court-a", "chain")))
	pubB, _ := readValidatorKey(anchor.PrivValKeyPath(home))
	oldB, _ := readCert(filepath.Join(pkiDir, "org-ca.pem"))
	orgA, _ := readCert(filepath.Join(out, "court-a", "pki", "org-ca.pem"))

	// The CLI's steps: the request, the root holder's admit.
	// The folder given exists, empty, open to others: it is made the
	// user's alone.
	req := filepath.Join(t.TempDir(), "req")
	if err := os.Mkdir(req, 0o755); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if err := reissueRequest(&stderr, cfg, req); err != nil {
		t.Fatalf("reissueRequest() = %v", err)
	}
	if st, err := os.Stat(filepath.Join(req, reissueKey)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v, want a 0600 file", reissueKey, err)
	}
	if st, err := os.Stat(req); runtime.GOOS != "windows" && (err != nil || st.Mode().Perm() != 0o700) {
		t.Errorf("the request folder: %v, mode %v, want 0700", err, st.Mode().Perm())
	}
	if strings.Contains(stderr.String(), "PRIVATE KEY") {
		t.Error("reissue --request printed the key")
	}
	var jr joinRequest
	if err := readJSONFile(filepath.Join(req, joinRequestFile), &jr); err != nil {
		t.Fatal(err)
	}
	if pub, err := jr.check(); err != nil || !pub.Equal(pubB) || !jr.Reissue || jr.Kind != "notary" || jr.Name != "Notary B" {
		t.Fatalf("the reissue request = %+v (%v), want Notary B's, validator key %x, marked reissue", jr, err, pubB)
	}
	adm := filepath.Join(t.TempDir(), "admission")
	var stdout bytes.Buffer
	if err := consortiumAdmit(&stdout, admitParams{rootDir: filepath.Join(out, "offline"), request: filepath.Join(req, joinRequestFile), out: adm,
		genesis: filepath.Join(out, "genesis.json"), trust: filepath.Join(out, "trust.json"), power: 10, now: time.Now()}); err != nil {
		t.Fatalf("consortiumAdmit(reissue request) = %v", err)
	}
	if o := stdout.String(); !strings.Contains(o, "nothing to propose") || strings.Contains(o, "propose admit") {
		t.Errorf("admit of a reissue request said:\n%s\nwant nothing to propose", o)
	}
	newCA, newKey := filepath.Join(adm, "org-ca.pem"), filepath.Join(req, reissueKey)
	newCert, err := readCert(newCA)
	if err != nil {
		t.Fatal(err)
	}

	// Other CAs, each with its key.
	dir := t.TempDir()
	save := func(name string, a *certs.Authority) [2]string {
		t.Helper()
		kb, err := certs.EncodeKeyPEM(a.Signer)
		if err != nil {
			t.Fatal(err)
		}
		p := [2]string{filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")}
		if err := os.WriteFile(p[0], certs.EncodePEM(a.Cert), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p[1], kb, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	strangerRoot, err := certs.NewRoot("Another Root", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	strangerOrg, _ := strangerRoot.NewOrgCA("notary", "Notary B", time.Now())
	twin, _ := root.NewOrgCA("notary", "Notary B", time.Now()) // bound to Court A below
	stranger, bound := save("stranger", strangerOrg), save("twin", twin)
	courtA := [2]string{filepath.Join(out, "court-a", "pki", "org-ca.pem"), filepath.Join(out, "offline", "court-a-org-ca.key")}
	oldOwn := [2]string{filepath.Join(pkiDir, "org-ca.pem"), filepath.Join(out, "offline", "notary-b-org-ca.key")}

	writeReissueState(t, cfg, root.Cert, []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: orgA}, {PubKey: pubB, Power: 10, OrgCA: oldB}})
	for _, c := range []struct {
		name, ca, key, want string
	}{
		{"another member's CA", courtA[0], courtA[1], "is for court:Court A, this node's member is notary:Notary B"},
		{"under another root", stranger[0], stranger[1], "is not a CA issued by the consortium root"},
		{"not the key's", newCA, courtA[1], "is not the key of the organization CA"},
		{"the node's own", oldOwn[0], oldOwn[1], "is already this node's organization CA"},
	} {
		if err := reissue(&stdout, cfg, cfgPath, c.ca, c.key, time.Now()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("reissue(%s) = %v, want %q", c.name, err, c.want)
		}
	}
	if runtime.GOOS != "windows" {
		os.Chmod(newKey, 0o644)
		if err := reissue(&stdout, cfg, cfgPath, newCA, newKey, time.Now()); err == nil || !strings.Contains(err.Error(), "chmod 600 "+newKey) {
			t.Errorf("reissue(a key file others may read) = %v, want refused, saying chmod 600", err)
		}
		os.Chmod(newKey, 0o600)
	}
	// A node that runs holds its chain state.
	db, err := storage.OpenDB(filepath.Join(home, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := reissue(&stdout, cfg, cfgPath, newCA, newKey, time.Now()); err == nil || !strings.Contains(err.Error(), "stop the node first") {
		t.Errorf("reissue(the node running) = %v, want: stop the node first", err)
	}
	db.Close()

	for _, c := range []struct {
		name string
		vals []anchor.GenesisValidator
		ca   [2]string
		want string
	}{
		{"a CA another member holds", []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: twin.Cert}, {PubKey: pubB, Power: 10, OrgCA: oldB}},
			bound, "is bound to another member"},
		{"a node key of no member", []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: orgA}}, [2]string{newCA, newKey}, "is not the key of a current member"},
		{"a CA retired", []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: orgA}, {PubKey: pubB, Power: 10, OrgCA: newCert}},
			[2]string{newCA, newKey}, "was retired at height 7"},
	} {
		os.Remove(filepath.Join(home, "app.db"))
		writeReissueState(t, cfg, root.Cert, c.vals)
		if c.name == "a CA retired" {
			retireInState(t, cfg, newCert, 7)
		}
		if err := reissue(&stdout, cfg, cfgPath, c.ca[0], c.ca[1], time.Now()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("reissue(%s) = %v, want %q", c.name, err, c.want)
		}
	}
	if got := snapshot(t, pkiDir); !equalFiles(got, oldPKI) {
		t.Fatalf("a refused reissue changed the PKI folder: %v, was %v", fileNames(got), fileNames(oldPKI))
	}
	if left, _ := filepath.Glob(filepath.Join(pkiDir, "re*")); len(left) != 0 {
		t.Fatalf("a refused reissue left %v", left)
	}

	os.Remove(filepath.Join(home, "app.db"))
	writeReissueState(t, cfg, root.Cert, []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: orgA}, {PubKey: pubB, Power: 10, OrgCA: oldB}})
	stdout.Reset()
	if err := reissue(&stdout, cfg, cfgPath, newCA, newKey, time.Now()); err != nil {
		t.Fatalf("reissue() = %v", err)
	}
	if o := stdout.String(); !strings.Contains(o, "custos serve --config "+cfgPath) || !strings.Contains(o, "custos consortium governance-cert") ||
		!strings.Contains(o, "move "+newKey+" off this machine") || strings.Contains(o, "PRIVATE KEY") {
		t.Errorf("reissue said:\n%s\nwant the commands to start the node and to certify a governance key, and to move the CA key off, not the key", o)
	}
	p, err := loadPKI(cfg)
	if err != nil {
		t.Fatalf("loadPKI() after reissue = %v", err)
	}
	ca, _ := readCert(newCA)
	switch {
	case !p.Org.Cert.Equal(ca):
		t.Error("pki/org-ca.pem is not the new CA")
	case !p.Node.PublicKey.(ed25519.PublicKey).Equal(pubB) || certs.CheckSignatureFrom(p.Node, ca) != nil:
		t.Error("pki/node.pem does not certify the node's key under the new CA")
	case certs.CheckSignatureFrom(p.TSA.Cert, ca) != nil || p.Notary == nil || certs.CheckSignatureFrom(p.Notary.Cert, ca) != nil:
		t.Error("the TSA and notary certificates are not under the new CA")
	case p.Notary.Cert.Subject.CommonName != "Notary B Notary" || p.TSA.Cert.Subject.CommonName != "Notary B TSA":
		t.Errorf("new subjects %q, %q: want the old ones'", p.TSA.Cert.Subject.CommonName, p.Notary.Cert.Subject.CommonName)
	}
	backups, _ := filepath.Glob(filepath.Join(pkiDir, "retired-ca-*"))
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one folder", backups)
	}
	for _, name := range reissueFiles {
		if b, _ := os.ReadFile(filepath.Join(backups[0], name)); !bytes.Equal(b, oldPKI[name]) {
			t.Errorf("%s: the backup of %s is not the old file", backups[0], name)
		}
	}
	if _, err := os.Stat(filepath.Join(pkiDir, reissueStaged)); err == nil {
		t.Errorf("%s is left", reissueStaged)
	}
}

// TestReissueInterrupted: files staged by a reissue that stopped before
// moving them all are moved by the node's next start (loadPKI).
func TestReissueInterrupted(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--org", "court:Court A", "--org", "court:Court B"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	cfg, err := loadConfig(filepath.Join(out, "court-a", "custos.toml"))
	if err != nil {
		t.Fatal(err)
	}
	pkiDir := cfg.pkiDir()
	root := readAuthority(t, filepath.Join(out, "offline", "root.pem"), filepath.Join(out, "offline", "root.key"))
	org, _ := root.NewOrgCA("court", "Court A", time.Now())
	pub, _ := readValidatorKey(anchor.PrivValKeyPath(cfg.chainHome()))
	files, err := reissuePKI(pkiDir, cfg, org, pub, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := stageReissue(pkiDir, filepath.Join(pkiDir, "retired-ca-x"), files); err != nil {
		t.Fatal(err)
	}
	// The crash: one file moved of four.
	if err := os.Rename(filepath.Join(pkiDir, reissueStaged, "node.pem"), filepath.Join(pkiDir, "node.pem")); err != nil {
		t.Fatal(err)
	}
	p, err := loadPKI(cfg)
	if err != nil {
		t.Fatalf("loadPKI() after an interrupted reissue = %v", err)
	}
	if !p.Org.Cert.Equal(org.Cert) || certs.CheckSignatureFrom(p.Node, org.Cert) != nil || certs.CheckSignatureFrom(p.TSA.Cert, org.Cert) != nil {
		t.Error("after the start, the PKI is not the reissued one")
	}
	if _, err := os.Stat(filepath.Join(pkiDir, reissueStaged)); err == nil {
		t.Errorf("%s is left", reissueStaged)
	}
}

// readAuthority reads a CA's certificate and key.
func readAuthority(t *testing.T, certPath, keyPath string) *certs.Authority {
	t.Helper()
	cert, err := readCert(certPath)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := certs.ParseKeyPEM(kb)
	if err != nil {
		t.Fatal(err)
	}
	return &certs.Authority{Cert: cert, Signer: key}
}

// writeReissueState writes a chain state (chain/app.db) whose genesis
// members are vals, each bound to its organization CA.
func writeReissueState(t *testing.T, cfg Config, root *x509.Certificate, vals []anchor.GenesisValidator) {
	t.Helper()
	db, err := storage.OpenDB(filepath.Join(cfg.chainHome(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	app, err := anchor.NewApp(anchor.AppConfig{DB: db, ChainID: "custos-reissue-test", Root: root})
	if err != nil {
		t.Fatal(err)
	}
	req := &abci.RequestInitChain{ChainId: "custos-reissue-test"}
	for _, v := range vals {
		req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(v.PubKey, v.Power))
	}
	req.AppStateBytes = anchor.GenesisStateMembers(root, anchor.StateV6, vals)
	if _, err := app.InitChain(context.Background(), req); err != nil {
		t.Fatal(err)
	}
}

// retireInState marks ca retired at height in the chain state written by
// writeReissueState, as an applied retire-ca proposal leaves it (the
// member records of anchor.StoredMembers, bucket "govmember").
func retireInState(t *testing.T, cfg Config, ca *x509.Certificate, height int64) {
	t.Helper()
	db, err := storage.OpenDB(filepath.Join(cfg.chainHome(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := sha256.Sum256(ca.Raw)
	hash, found := hex.EncodeToString(sum[:]), false
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("govmember"))
		if b == nil {
			return errors.New("no bucket govmember")
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var m anchor.Member
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			for i := range m.OrgCAs {
				if m.OrgCAs[i].SHA256 == hash {
					m.OrgCAs[i].Retired, found = height, true
				}
			}
			nv, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := b.Put(bytes.Clone(k), nv); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || !found {
		t.Fatalf("retiring %s in the chain state: %v (found %v)", hash, err, found)
	}
}

// snapshot is the files of dir (not its folders), by name.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range es {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			m[e.Name()] = b
		}
	}
	return m
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func fileNames(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// testRetiredCA is part of TestConsortiumGovernance: the members retire the
// notary office's organization CA (propose retire-ca), after which its
// governance certificate counts for nothing; the office stops its node,
// asks for a new CA (reissue --request), the root holder signs it (admit),
// reissue refuses the retired CA and issues the node's certificates under
// the new one (reissue --org-ca), and the restarted node anchors the upload
// it took while its CA was retired and a new one, and binds the new CA; a
// governance certificate under it (governance-cert) counts: testLeaving's
// votes use it.
func testRetiredCA(t *testing.T, out string, ms []*member, gov func(*member) []string, anchored func(string)) {
	c := ms[2]
	const name = "Qiantang Notary Office"
	pkiDir := filepath.Join(out, c.slug, "pki")
	oldCA := filepath.Join(t.TempDir(), "old-org-ca.pem")
	if b, err := os.ReadFile(filepath.Join(pkiDir, "org-ca.pem")); err != nil || os.WriteFile(oldCA, b, 0o644) != nil {
		t.Fatalf("reading the notary office's organization CA: %v", err)
	}
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "propose", "retire-ca", name, oldCA, "--id", "retire-notary-ca"}, gov(ms[0])...)...)
	for _, m := range []*member{ms[0], ms[1], ms[3]} {
		cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", "retire-notary-ca", "--yes", "--proposer", "Hangzhou Internet Court"}, gov(m)...)...)
	}
	var p wire.Proposal
	for end := time.Now().Add(30 * time.Second); ; {
		cliJSON(t, &p, "consortium", "proposal", "retire-notary-ca", "--server", ms[0].p.URL)
		if p.Status == "applied" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("proposal retire-notary-ca = %+v, want applied", p)
		}
		anchored("while the notary office's CA is retired")
	}
	if o, err := runCustos(t, append([]string{"consortium", "propose", "power", name, "10", "--id", "notary-after-retire"}, gov(c)...)...); err == nil {
		t.Errorf("a proposal under the retired CA was accepted:\n%s", o)
	}
	// The other members' peer APIs refuse its node certificate under the
	// retired CA.
	if err := peerDirectoryAs(t, ms[1], ms[0]); err != nil {
		t.Fatalf("the peer API's directory, asked by another member: %v", err)
	}
	if err := peerDirectoryAs(t, c, ms[0]); err == nil {
		t.Error("the peer API's directory, asked with a node certificate under the retired CA, was given, want the handshake refused")
	}

	// An upload to the office's node waits: its batch is refused under
	// the retired CA.
	waiting := randomBytes(t, 1800)
	w := c.p.upload(consortiumToken, waiting)
	c.p.Stop()
	req, adm := filepath.Join(t.TempDir(), "req"), filepath.Join(t.TempDir(), "admission")
	if o, err := runCustos(t, "consortium", "reissue", "--config", c.cfg, "--request", req); err != nil {
		t.Fatalf("consortium reissue --request: %v\n%s", err, o)
	}
	if o, err := runCustos(t, "consortium", "admit", "--root-dir", filepath.Join(out, "offline"), "--request", filepath.Join(req, joinRequestFile), "--out", adm); err != nil || !strings.Contains(o, "nothing to propose") {
		t.Fatalf("consortium admit of the reissue request: %v\n%s; want nothing to propose", err, o)
	}
	newCA, newKey := filepath.Join(adm, "org-ca.pem"), filepath.Join(req, reissueKey)
	if o, err := runCustos(t, "consortium", "reissue", "--config", c.cfg, "--org-ca", newCA, "--org-ca-key", newKey); err != nil || !strings.Contains(o, "custos serve --config") {
		t.Fatalf("consortium reissue --org-ca: %v\n%s", err, o)
	}
	retiredKey := filepath.Join(out, "offline", c.slug+"-org-ca.key")
	if o, err := runCustos(t, "consortium", "reissue", "--config", c.cfg, "--org-ca", oldCA, "--org-ca-key", retiredKey); err == nil || !strings.Contains(err.Error(), "was retired at height") {
		t.Errorf("consortium reissue back to the retired CA: %v\n%s; want refused: was retired", err, o)
	}
	// The administrators' governance certificate under the new CA, for
	// their existing key.
	admin := filepath.Join(out, "admin", c.slug)
	cert := filepath.Join(t.TempDir(), "governance.pem")
	if o, err := runCustos(t, "consortium", "governance-cert", "--ca", filepath.Join(pkiDir, "org-ca.pem"), "--ca-key", newKey,
		"--key", filepath.Join(admin, "governance.key"), "-o", cert); err != nil {
		t.Fatalf("consortium governance-cert under the new CA: %v\n%s", err, o)
	}
	if err := os.Rename(cert, filepath.Join(admin, "governance.pem")); err != nil {
		t.Fatal(err)
	}

	c.start(t)
	if status, b := receiptOf(t, c.p, w.ID, 30*time.Second); status != 200 {
		t.Fatalf("receipt of the upload made under the retired CA, after the restart = %d %s", status, b)
	}
	// The reissued node certificate is taken at once, by a node that
	// was not restarted.
	if err := peerDirectoryAs(t, c, ms[0]); err != nil {
		t.Errorf("the peer API's directory, asked with the reissued node certificate: %v", err)
	}
	data := randomBytes(t, 2500)
	v := c.p.upload(consortiumToken, data)
	if status, b := receiptOf(t, c.p, v.ID, 30*time.Second); status != 200 {
		t.Fatalf("receipt on the notary office's node under its new CA = %d %s", status, b)
	} else {
		verifyReceipt(t, filepath.Join(out, "trust.json"), b, data)
	}
	hashOf := func(path string) string {
		t.Helper()
		ca, err := readCert(path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(ca.Raw)
		return hex.EncodeToString(sum[:])
	}
	newHash, oldHash := hashOf(newCA), hashOf(oldCA)
	var members wire.Members
	cliJSON(t, &members, "consortium", "members", "--server", ms[0].p.URL)
	var bound, retired bool
	for _, m := range members.Members {
		for _, oc := range m.OrgCAs {
			if m.Name == name && oc.SHA256 == newHash && oc.Retired == 0 {
				bound = true
			}
			if m.Name == name && oc.SHA256 == oldHash && oc.Retired >= p.Effective {
				retired = true
			}
		}
	}
	if !bound || !retired {
		t.Errorf("consortium members = %+v, want the notary office's new CA bound and its old one retired from %d", members, p.Effective)
	}
}

// TestReissueSM: in a consortium of the sm suite, the new organization CA
// key is SM2, and the TSA and notary certificates reissued under it are of
// SM2 keys signed SM2 with SM3; the node certificate certifies the node's
// Ed25519 key.
func TestReissueSM(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--crypto", "sm", "--org", "court:Court A", "--org", "notary:Notary B"); err != nil {
		t.Fatalf("consortium init --crypto sm: %v\n%s", err, o)
	}
	cfgPath := filepath.Join(out, "notary-b", "custos.toml")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	root := readAuthority(t, filepath.Join(out, "offline", "root.pem"), filepath.Join(out, "offline", "root.key"))
	pubA, _ := readValidatorKey(anchor.PrivValKeyPath(filepath.Join(out, "court-a", "chain")))
	pubB, _ := readValidatorKey(anchor.PrivValKeyPath(cfg.chainHome()))
	orgA, _ := readCert(filepath.Join(out, "court-a", "pki", "org-ca.pem"))
	oldB, _ := readCert(filepath.Join(cfg.pkiDir(), "org-ca.pem"))
	req, adm := filepath.Join(t.TempDir(), "req"), filepath.Join(t.TempDir(), "admission")
	if err := reissueRequest(&bytes.Buffer{}, cfg, req); err != nil {
		t.Fatalf("reissueRequest() = %v", err)
	}
	if err := consortiumAdmit(&bytes.Buffer{}, admitParams{rootDir: filepath.Join(out, "offline"), request: filepath.Join(req, joinRequestFile), out: adm,
		genesis: filepath.Join(out, "genesis.json"), trust: filepath.Join(out, "trust.json"), power: 10, now: time.Now()}); err != nil {
		t.Fatalf("consortiumAdmit(an sm reissue request) = %v", err)
	}
	writeReissueState(t, cfg, root.Cert, []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: orgA}, {PubKey: pubB, Power: 10, OrgCA: oldB}})
	if err := reissue(&bytes.Buffer{}, cfg, cfgPath, filepath.Join(adm, "org-ca.pem"), filepath.Join(req, reissueKey), time.Now()); err != nil {
		t.Fatalf("reissue(sm) = %v", err)
	}
	p, err := loadPKI(cfg)
	if err != nil {
		t.Fatalf("loadPKI() after an sm reissue = %v", err)
	}
	ca, _ := readCert(filepath.Join(adm, "org-ca.pem"))
	if got := certs.KeySuite(ca.PublicKey); got != certs.SuiteSM {
		t.Fatalf("the new organization CA's key is of suite %q, want sm", got)
	}
	for name, c := range map[string]*x509.Certificate{"node": p.Node, "tsa": p.TSA.Cert, "notary": p.Notary.Cert} {
		if err := certs.CheckSignatureFrom(c, ca); err != nil {
			t.Errorf("%s.pem is not signed by the new SM2 CA: %v", name, err)
		}
	}
	if certs.KeySuite(p.TSA.Cert.PublicKey) != certs.SuiteSM || certs.KeySuite(p.Notary.Cert.PublicKey) != certs.SuiteSM {
		t.Error("the reissued TSA and notary keys are not SM2")
	}
	if _, ok := p.Node.PublicKey.(ed25519.PublicKey); !ok {
		t.Error("the reissued node certificate does not certify an Ed25519 key")
	}
}

// reissueFixture is a two-court consortium whose Court A has a new
// organization CA signed by the root (reissue --request, admit) and a
// chain state naming both members: what reissue --org-ca needs.
type reissueFixture struct {
	out, cfgPath  string
	cfg           Config
	newCA, newKey string
}

func newReissueFixture(t *testing.T) *reissueFixture {
	t.Helper()
	out := filepath.Join(t.TempDir(), "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--org", "court:Court A", "--org", "court:Court B"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	f := &reissueFixture{out: out, cfgPath: filepath.Join(out, "court-a", "custos.toml")}
	var err error
	if f.cfg, err = loadConfig(f.cfgPath); err != nil {
		t.Fatal(err)
	}
	root := readAuthority(t, filepath.Join(out, "offline", "root.pem"), filepath.Join(out, "offline", "root.key"))
	pubA, _ := readValidatorKey(anchor.PrivValKeyPath(f.cfg.chainHome()))
	pubB, _ := readValidatorKey(anchor.PrivValKeyPath(filepath.Join(out, "court-b", "chain")))
	orgA, _ := readCert(filepath.Join(f.cfg.pkiDir(), "org-ca.pem"))
	orgB, _ := readCert(filepath.Join(out, "court-b", "pki", "org-ca.pem"))
	req, adm := filepath.Join(t.TempDir(), "req"), filepath.Join(t.TempDir(), "admission")
	if err := reissueRequest(&bytes.Buffer{}, f.cfg, req); err != nil {
		t.Fatalf("reissueRequest() = %v", err)
	}
	if err := consortiumAdmit(&bytes.Buffer{}, admitParams{rootDir: filepath.Join(out, "offline"), request: filepath.Join(req, joinRequestFile), out: adm,
		genesis: filepath.Join(out, "genesis.json"), trust: filepath.Join(out, "trust.json"), power: 10, now: time.Now()}); err != nil {
		t.Fatalf("consortiumAdmit() = %v", err)
	}
	f.newCA, f.newKey = filepath.Join(adm, "org-ca.pem"), filepath.Join(req, reissueKey)
	writeReissueState(t, f.cfg, root.Cert, []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: orgA}, {PubKey: pubB, Power: 10, OrgCA: orgB}})
	return f
}

func (f *reissueFixture) reissue(t *testing.T) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := reissue(&out, f.cfg, f.cfgPath, f.newCA, f.newKey, time.Now())
	return out.String(), err
}

// TestReissueHoldsState: reissue keeps the chain state locked while it
// writes the PKI folder, so that a node started meanwhile cannot open it
// (it checked once that the node was stopped, then let go of the lock).
func TestReissueHoldsState(t *testing.T) {
	f := newReissueFixture(t)
	path := filepath.Join(f.cfg.chainHome(), "app.db")
	var tried, opened bool
	restore := atomicfile.SetSyncDir(func(dir string) error {
		if !tried && strings.HasPrefix(dir, f.cfg.pkiDir()) {
			tried = true
			if db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond}); err == nil {
				opened = true
				db.Close()
			}
		}
		return nil
	})
	defer restore()
	if _, err := f.reissue(t); err != nil {
		t.Fatalf("reissue() = %v", err)
	}
	if !tried || opened {
		t.Errorf("while reissue wrote the PKI folder, the chain state was opened for writing (tried %v, opened %v): want it locked", tried, opened)
	}
}

// TestReissueRerun: a reissue that stopped after keeping the old files
// aside and before staging the new ones runs again, to the end.
func TestReissueRerun(t *testing.T) {
	f := newReissueFixture(t)
	staged := filepath.Join(f.cfg.pkiDir(), reissueStaged+".tmp")
	restore := atomicfile.SetSyncDir(func(dir string) error {
		if dir == staged {
			return errors.New("the crash")
		}
		return nil
	})
	_, err := f.reissue(t)
	restore()
	if err == nil || !strings.Contains(err.Error(), "the crash") {
		t.Fatalf("reissue(crashing while staging) = %v", err)
	}
	if backups, _ := filepath.Glob(filepath.Join(f.cfg.pkiDir(), "retired-ca-*")); len(backups) != 1 {
		t.Fatalf("backups %v, want the one written before the crash", backups)
	}
	if _, err := f.reissue(t); err != nil {
		t.Fatalf("reissue() again = %v, want it to go on", err)
	}
	f.checkReissued(t)
}

// checkReissued checks that the node's PKI loads, under the new CA.
func (f *reissueFixture) checkReissued(t *testing.T) *nodePKI {
	t.Helper()
	p, err := loadPKI(f.cfg)
	if err != nil {
		t.Fatalf("loadPKI() after reissue = %v", err)
	}
	ca, _ := readCert(f.newCA)
	if !p.Org.Cert.Equal(ca) || certs.CheckSignatureFrom(p.Node, ca) != nil || certs.CheckSignatureFrom(p.TSA.Cert, ca) != nil {
		t.Fatal("after reissue, the PKI is not the new CA's")
	}
	return p
}

// TestReissueRotationPrepared: a validator key prepared by rotate-key,
// adopted at a later start with node.next.pem, gets its certificate under
// the new CA too; it was left under the retired one, and the start that
// adopts the key put it in place of node.pem.
func TestReissueRotationPrepared(t *testing.T) {
	f := newReissueFixture(t)
	if err := rotateKey(&bytes.Buffer{}, f.cfg, filepath.Join(f.out, "offline", "court-a-org-ca.key"), time.Now()); err != nil {
		t.Fatalf("rotateKey() = %v", err)
	}
	next, err := readValidatorKey(anchor.NextPrivValKeyPath(f.cfg.chainHome()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.reissue(t); err != nil {
		t.Fatalf("reissue() = %v", err)
	}
	f.checkReissued(t)
	c, err := readCert(filepath.Join(f.cfg.pkiDir(), nodeNextCert))
	ca, _ := readCert(f.newCA)
	switch {
	case err != nil:
		t.Fatal(err)
	case certs.CheckSignatureFrom(c, ca) != nil:
		t.Errorf("%s is not issued by the new CA", nodeNextCert)
	case !c.PublicKey.(ed25519.PublicKey).Equal(next):
		t.Errorf("%s does not certify the prepared key", nodeNextCert)
	}
}

// TestLoadPKIMixedCA: a PKI folder whose organization CA did not issue its
// node or TSA certificate (a reissue's old org-ca.pem put back alone) is
// refused at start, not run with tokens whose chain does not verify.
func TestLoadPKIMixedCA(t *testing.T) {
	f := newReissueFixture(t)
	if _, err := f.reissue(t); err != nil {
		t.Fatalf("reissue() = %v", err)
	}
	backups, _ := filepath.Glob(filepath.Join(f.cfg.pkiDir(), "retired-ca-*"))
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	b, err := os.ReadFile(filepath.Join(backups[0], "org-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.cfg.pkiDir(), "org-ca.pem"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadPKI(f.cfg); err == nil || !strings.Contains(err.Error(), "is not issued by the organization CA") {
		t.Errorf("loadPKI(the old org-ca.pem, the new node and TSA certificates) = %v, want refused", err)
	}
}

// TestReissueIssuedUnderOld: a TSA certificate installed in PKI/issued
// under the old organization CA (custos pki install) would still sign in
// place of the reissued one: reissue warns, naming it.
func TestReissueIssuedUnderOld(t *testing.T) {
	f := newReissueFixture(t)
	old := readAuthority(t, filepath.Join(f.cfg.pkiDir(), "org-ca.pem"), filepath.Join(f.out, "offline", "court-a-org-ca.key"))
	root, _ := readCert(filepath.Join(f.cfg.pkiDir(), "root.pem"))
	leaf, err := old.IssueTSA("Court A TSA (HSM)", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := f.cfg.issuedPath(certs.PurposeTSA, ".pem")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, certs.EncodePEM(leaf.Cert, old.Cert, root), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := f.reissue(t)
	if err != nil {
		t.Fatalf("reissue() = %v", err)
	}
	if !strings.Contains(o, "Warning: "+path) {
		t.Errorf("reissue said:\n%s\nwant a warning naming %s", o, path)
	}
}

// TestAdmitReissueForged: a reissue request is signed by the node's
// validator key, so that the root holder, who checks that key against
// the chain's member list, does not sign a CA in a member's name for
// whoever copied its public key; admit refuses one unsigned, or signed by
// another key, or for another CA request.
func TestAdmitReissueForged(t *testing.T) {
	f := newReissueFixture(t)
	req := filepath.Join(filepath.Dir(f.newKey), joinRequestFile)
	var good joinRequest
	if err := readJSONFile(req, &good); err != nil {
		t.Fatal(err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	thief, _ := certs.NewSuiteKey(certs.SuiteECDSA)
	thiefCSR, err := certs.NewOrgCARequest("court", "Court A", thief)
	if err != nil {
		t.Fatal(err)
	}
	admit := func(r joinRequest) (string, error) {
		t.Helper()
		dir := t.TempDir()
		b, _ := json.Marshal(r)
		if err := os.WriteFile(filepath.Join(dir, joinRequestFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := consortiumAdmit(&out, admitParams{rootDir: filepath.Join(f.out, "offline"), request: filepath.Join(dir, joinRequestFile), out: filepath.Join(dir, "adm"),
			genesis: filepath.Join(f.out, "genesis.json"), trust: filepath.Join(f.out, "trust.json"), power: 10, now: time.Now()})
		return out.String(), err
	}
	if o, err := admit(good); err != nil || !strings.Contains(o, "members --json lists that key as Court A's") || !strings.Contains(o, good.ValidatorKey) {
		t.Fatalf("admit(the node's reissue request) = %v\n%s\nwant it signed, naming the validator key to check", err, o)
	}
	unsigned, otherKey, otherCSR, notReissue := good, good, good, good
	unsigned.ValidatorSig = ""
	otherKey.ValidatorSig = base64.StdEncoding.EncodeToString(ed25519.Sign(other, reissueSigned(good.OrgCARequest)))
	otherCSR.OrgCARequest = string(thiefCSR)
	notReissue.Reissue = false
	for name, r := range map[string]joinRequest{"unsigned": unsigned, "signed by another key": otherKey, "another CA request": otherCSR, "a join with a signature": notReissue} {
		if _, err := admit(r); err == nil || !strings.Contains(err.Error(), "validator_sig") {
			t.Errorf("admit(a reissue request %s) = %v, want refused for its validator_sig", name, err)
		}
	}
}

// peerDirectoryAs asks the peer API of to's node for its directory,
// presenting from's node certificate and key.
func peerDirectoryAs(t *testing.T, from, to *member) error {
	t.Helper()
	fc, err := loadConfig(from.cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := loadConfig(to.cfg)
	if err != nil {
		t.Fatal(err)
	}
	root, err1 := readCert(filepath.Join(fc.pkiDir(), "root.pem"))
	node, err2 := readCert(filepath.Join(fc.pkiDir(), "node.pem"))
	org, err3 := readCert(filepath.Join(fc.pkiDir(), "org-ca.pem"))
	key, err4 := readValidatorPriv(anchor.PrivValKeyPath(fc.chainHome()))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	_, err = peer.FetchDirectory(context.Background(), peer.TLSConfig{Root: root, Cert: node, Chain: []*x509.Certificate{org}, Key: key}, "https://"+tc.Consortium.PeerListen)
	return err
}

// ecdsaTwin is another DER of an ECDSA-signed certificate, valid under the
// same issuer: its signature (r, n−s).
func ecdsaTwin(t *testing.T, c *x509.Certificate) *x509.Certificate {
	t.Helper()
	var outer struct {
		TBS asn1.RawValue
		Alg asn1.RawValue
		Sig asn1.BitString
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(c.Raw, &outer); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(outer.Sig.Bytes, &sig); err != nil {
		t.Fatal(err)
	}
	sig.S.Sub(elliptic.P256().Params().N, sig.S)
	sb, err := asn1.Marshal(sig)
	if err != nil {
		t.Fatal(err)
	}
	outer.Sig = asn1.BitString{Bytes: sb, BitLength: 8 * len(sb)}
	der, err := asn1.Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	twin, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return twin
}

// TestReissueOldKey: the new organization CA must have a new key. Another
// encoding of the node's CA (its ECDSA twin), or a certificate the root
// made again for its key, is refused; so is one for the key of a CA the
// chain retired, which a chain below state version 10, knowing a CA by the
// SHA-256 of its DER, would otherwise bind to the member as a new CA.
func TestReissueOldKey(t *testing.T) {
	f := newReissueFixture(t)
	root := readAuthority(t, filepath.Join(f.out, "offline", "root.pem"), filepath.Join(f.out, "offline", "root.key"))
	oldKey := filepath.Join(f.out, "offline", "court-a-org-ca.key")
	old := readAuthority(t, filepath.Join(f.cfg.pkiDir(), "org-ca.pem"), oldKey)
	dir := t.TempDir()
	write := func(name string, c *x509.Certificate) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, certs.EncodePEM(c), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csr, err := certs.NewOrgCARequest("court", "Court A", old.Signer)
	if err != nil {
		t.Fatal(err)
	}
	again, err := root.SignOrgCA(csr, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*x509.Certificate{"the twin of the node's CA": ecdsaTwin(t, old.Cert), "the root's new certificate for its key": again} {
		if err := reissue(&bytes.Buffer{}, f.cfg, f.cfgPath, write("c.pem", c), oldKey, time.Now()); err == nil || !strings.Contains(err.Error(), "a new organization CA needs a new key") {
			t.Errorf("reissue(%s) = %v, want refused", name, err)
		}
	}

	// The chain retired X, Court A's CA: the node's PKI still names
	// another (pki/org-ca.pem), and X's twin is brought.
	x, err := root.NewOrgCA("court", "Court A", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := certs.EncodeKeyPEM(x.Signer)
	xKey := filepath.Join(dir, "x.key")
	if err := os.WriteFile(xKey, kb, 0o600); err != nil {
		t.Fatal(err)
	}
	pubA, _ := readValidatorKey(anchor.PrivValKeyPath(f.cfg.chainHome()))
	pubB, _ := readValidatorKey(anchor.PrivValKeyPath(filepath.Join(f.out, "court-b", "chain")))
	orgB, _ := readCert(filepath.Join(f.out, "court-b", "pki", "org-ca.pem"))
	os.Remove(filepath.Join(f.cfg.chainHome(), "app.db"))
	writeReissueState(t, f.cfg, root.Cert, []anchor.GenesisValidator{{PubKey: pubA, Power: 10, OrgCA: x.Cert}, {PubKey: pubB, Power: 10, OrgCA: orgB}})
	retireInState(t, f.cfg, x.Cert, 9)
	if err := reissue(&bytes.Buffer{}, f.cfg, f.cfgPath, write("x-twin.pem", ecdsaTwin(t, x.Cert)), xKey, time.Now()); err == nil || !strings.Contains(err.Error(), "was retired at height 9") {
		t.Errorf("reissue(the twin of a retired CA) = %v, want refused: retired", err)
	}
	if left, _ := filepath.Glob(filepath.Join(f.cfg.pkiDir(), "re*")); len(left) != 0 {
		t.Errorf("a refused reissue left %v", left)
	}
}

// TestReissueRefusedCA: a certificate the root signed that is not a CA,
// and a new CA out of its validity, are refused before anything is
// written.
func TestReissueRefusedCA(t *testing.T) {
	f := newReissueFixture(t)
	root := readAuthority(t, filepath.Join(f.out, "offline", "root.pem"), filepath.Join(f.out, "offline", "root.key"))
	leaf, err := root.IssueTSA("Court A", time.Now()) // signed by the root, not a CA
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kb, _ := certs.EncodeKeyPEM(leaf.Signer)
	cert, key := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.key")
	if os.WriteFile(cert, certs.EncodePEM(leaf.Cert), 0o644) != nil || os.WriteFile(key, kb, 0o600) != nil {
		t.Fatal("writing the leaf")
	}
	if err := reissue(&bytes.Buffer{}, f.cfg, f.cfgPath, cert, key, time.Now()); err == nil || !strings.Contains(err.Error(), "is not a CA issued by the consortium root") {
		t.Errorf("reissue(a leaf the root signed) = %v, want refused", err)
	}
	ca, _ := readCert(f.newCA)
	for _, at := range []time.Time{ca.NotBefore.Add(-time.Hour), ca.NotAfter.Add(time.Hour)} {
		if err := reissue(&bytes.Buffer{}, f.cfg, f.cfgPath, f.newCA, f.newKey, at); err == nil || !strings.Contains(err.Error(), "not now") {
			t.Errorf("reissue(at %v, out of the CA's validity) = %v, want refused", at, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(f.cfg.pkiDir(), "re*")); len(left) != 0 {
		t.Errorf("a refused reissue left %v", left)
	}
}

// TestReissueTwice: a second reissue of the node, while one runs, fails
// at once without touching the PKI folder; once the first is done, a run
// goes through.
func TestReissueTwice(t *testing.T) {
	f := newReissueFixture(t)
	unlock, err := lockReissue(f.cfg.pkiDir())
	if err != nil {
		t.Fatalf("lockReissue() = %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(f.cfg.pkiDir(), "org-ca.pem"))
	if _, err := f.reissue(t); err == nil || !strings.Contains(err.Error(), "locked by another custos consortium reissue") {
		t.Errorf("reissue(another running) = %v, want refused: locked by another reissue", err)
	}
	if after, _ := os.ReadFile(filepath.Join(f.cfg.pkiDir(), "org-ca.pem")); !bytes.Equal(before, after) {
		t.Error("the refused reissue changed org-ca.pem")
	}
	if _, err := os.Stat(filepath.Join(f.cfg.pkiDir(), reissueStaged)); err == nil {
		t.Error("the refused reissue staged files")
	}
	unlock()
	if _, err := f.reissue(t); err != nil {
		t.Fatalf("reissue(after the other) = %v", err)
	}
}
