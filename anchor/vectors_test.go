package anchor

// The published chain-transaction vectors (testdata/vectors, layout in its
// README.md, formats in docs/chain-transactions.md): the exact bytes of
// every transaction kind and version the chain accepts or replays, what
// they decode to, and transactions the chain refuses with the exact
// refusal, for other implementations and members' auditors to test
// themselves against.
//
// `go test ./anchor -run TestTxVectors -update-vectors` regenerates them.
// Only the PKI is drawn at random (P-256 keys, ECDSA certificate
// signatures, serial numbers); it is kept in pki.json, drawn under
// cryptotest.SetGlobalRandom when missing. Node keys come from fixed
// seeds, Ed25519 signatures are deterministic (RFC 8032 §5.1.6), and the
// governance ECDSA signatures are drawn under SetGlobalRandom too; so
// without -update-vectors TestTxVectorsRegenerate rebuilds every vector
// from pki.json and requires the committed bytes (a governance vector
// whose body is the same and whose committed signature still verifies is
// no drift: ECDSA's randomness is not a format).
//
// To add a vector, add a vectorCase to txVectorCases.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/certs"
)

var updateVectors = flag.Bool("update-vectors", false, "regenerate the chain transaction vectors in testdata/vectors")

const txVectorDir = "testdata/vectors"

// vectorPKI is pki.json: the consortium every vector is signed in.
type vectorPKI struct {
	About   string    `json:"about"`
	ChainID string    `json:"chain_id"`
	Time    time.Time `json:"time"` // the block time of every vector that names none
	Root    string    `json:"root_pem"`
	// Members are the chain's genesis validators (power 10 each), the
	// first a court; from state version 6 the genesis names their
	// organization CAs.
	Members []vectorMember `json:"members"`
	// NewOrgCA is the organization CA an admission proposal names.
	NewOrgCA string `json:"new_org_ca_pem"`
	// Stray is a node certified by the first member's CA that is no
	// validator; Outsider a node of another consortium (OutsiderRoot).
	Stray        vectorNode `json:"stray_node"`
	OutsiderRoot string     `json:"outsider_root_pem"`
	OutsiderOrg  string     `json:"outsider_org_ca_pem"`
	Outsider     vectorNode `json:"outsider_node"`
}

type vectorMember struct {
	Name    string     `json:"name"`
	OrgCA   string     `json:"org_ca_pem"`
	Node    vectorNode `json:"node"`
	GovCert string     `json:"governance_cert_pem"`
	GovKey  string     `json:"governance_key_pem"`
	// OrgCAKey is the organization CA's key, which signs a revocation of
	// the governance certificate (transaction version 10).
	OrgCAKey string `json:"org_ca_key_pem"`
}

// vectorNode is a node's certificate and the seed of its Ed25519 key.
type vectorNode struct {
	Seed string `json:"seed"` // hex
	Cert string `json:"cert_pem"`
}

// txVector is one vector file.
type txVector struct {
	Name  string `json:"name"`
	About string `json:"about"`
	// StateVersion is the genesis state version of the fresh chain the
	// vector is run on; Before the vectors applied first, one per block
	// from height 1; the vector itself is in block Height, at Time.
	StateVersion int       `json:"state_version"`
	Before       []string  `json:"before,omitempty"`
	Height       int64     `json:"height"`
	Time         time.Time `json:"time"`
	Length       int       `json:"length"`
	Tx           string    `json:"tx"` // hex
	// Decoded is what DecodeTx makes of it; absent when DecodeTx refuses
	// it (Code 1, Log its error).
	Decoded json.RawMessage `json:"decoded,omitempty"`
	// Code and Log are the chain's verdict, in CheckTx and FinalizeBlock
	// alike: 0 and "" for an accepted transaction.
	Code uint32 `json:"code"`
	Log  string `json:"log"`
}

// vectorKeys is the loaded PKI.
type vectorKeys struct {
	pki      *vectorPKI
	root     *x509.Certificate
	members  []*govMember
	newOrgCA *x509.Certificate
	stray    *testNode
	outsider *testNode
}

func mustPEM(t testing.TB, s string) *x509.Certificate {
	t.Helper()
	cs, err := certs.ParsePEM([]byte(s))
	if err != nil || len(cs) != 1 {
		t.Fatalf("ParsePEM() = %d certificates, %v", len(cs), err)
	}
	return cs[0]
}

func pemOf(c *x509.Certificate) string { return string(certs.EncodePEM(c)) }

func seedKey(t testing.TB, seed string) ed25519.PrivateKey {
	t.Helper()
	b, err := hex.DecodeString(seed)
	if err != nil || len(b) != ed25519.SeedSize {
		t.Fatalf("seed %q: %v", seed, err)
	}
	return ed25519.NewKeyFromSeed(b)
}

func vectorSeed(name string) string {
	s := sha256.Sum256([]byte("custos tx vector key " + name))
	return hex.EncodeToString(s[:])
}

// newVectorPKI draws the vectors' PKI (-update-vectors without pki.json).
func newVectorPKI(t *testing.T) *vectorPKI {
	cryptotest.SetGlobalRandom(t, 20261201)
	issued := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	root, err := certs.NewRoot("Custos Vector Root", issued)
	check(t, err)
	p := &vectorPKI{
		About:   "The consortium of the chain transaction vectors (README.md). Node keys are Ed25519 from the seeds.",
		ChainID: "custos-vectors", Time: issued.Add(12 * time.Hour), Root: pemOf(root.Cert),
	}
	node := func(org *certs.Authority, name string) vectorNode {
		seed := vectorSeed(name)
		cert, err := org.IssueNode(name, seedKey(t, seed).Public().(ed25519.PublicKey), issued)
		check(t, err)
		return vectorNode{Seed: seed, Cert: pemOf(cert)}
	}
	for i, name := range []string{"Vector Court", "Vector Notary A", "Vector Notary B", "Vector Notary C"} {
		kind := certs.KindNotary
		if i == 0 {
			kind = certs.KindCourt
		}
		org, err := root.NewOrgCA(kind, name, issued)
		check(t, err)
		gov, err := org.IssueGovernance(name+" governance", issued)
		check(t, err)
		key, err := certs.EncodeKeyPEM(gov.Signer)
		check(t, err)
		orgKey, err := certs.EncodeKeyPEM(org.Signer)
		check(t, err)
		p.Members = append(p.Members, vectorMember{Name: name, OrgCA: pemOf(org.Cert), Node: node(org, fmt.Sprintf("node%d", i)),
			GovCert: pemOf(gov.Cert), GovKey: string(key), OrgCAKey: string(orgKey)})
		if i == 0 {
			p.Stray = node(org, "stray")
		}
	}
	org, err := root.NewOrgCA(certs.KindArbitration, "Vector Arbitration", issued)
	check(t, err)
	p.NewOrgCA = pemOf(org.Cert)
	other, err := certs.NewRoot("Other Consortium Root", issued)
	check(t, err)
	otherOrg, err := other.NewOrgCA(certs.KindCourt, "Other Court", issued)
	check(t, err)
	p.OutsiderRoot, p.OutsiderOrg, p.Outsider = pemOf(other.Cert), pemOf(otherOrg.Cert), node(otherOrg, "outsider")
	return p
}

func loadVectorPKI(t testing.TB) *vectorPKI {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(txVectorDir, "pki.json"))
	check(t, err)
	var p vectorPKI
	check(t, json.Unmarshal(b, &p))
	return &p
}

func loadVectorKeys(t testing.TB, p *vectorPKI) *vectorKeys {
	t.Helper()
	k := &vectorKeys{pki: p, root: mustPEM(t, p.Root), newOrgCA: mustPEM(t, p.NewOrgCA)}
	rootAuth := &certs.Authority{Cert: k.root}
	nodeOf := func(org *x509.Certificate, n vectorNode) *testNode {
		return &testNode{root: rootAuth, org: &certs.Authority{Cert: org}, cert: mustPEM(t, n.Cert), key: seedKey(t, n.Seed)}
	}
	for _, m := range p.Members {
		n := nodeOf(mustPEM(t, m.OrgCA), m.Node)
		signer, err := certs.ParseKeyPEM([]byte(m.GovKey))
		check(t, err)
		if n.org.Signer, err = certs.ParseKeyPEM([]byte(m.OrgCAKey)); err != nil {
			t.Fatalf("%s: organization CA key: %v", m.Name, err)
		}
		k.members = append(k.members, &govMember{testNode: n, gov: &certs.Leaf{Cert: mustPEM(t, m.GovCert), Signer: signer},
			id: MemberOfKey(n.key.Public().(ed25519.PublicKey))})
	}
	k.stray = nodeOf(k.members[0].org.Cert, p.Stray)
	k.outsider = nodeOf(mustPEM(t, p.OutsiderOrg), p.Outsider)
	return k
}

// runVector runs raw on a fresh chain at state version, after the before
// transactions (one per block, each of which must be accepted): CheckTx
// (if checkNow, at the wall clock's time) and FinalizeBlock at at.
func runVector(t *testing.T, p *vectorPKI, version int, before [][]byte, raw []byte, at time.Time, checkNow bool) (code uint32, log string) {
	t.Helper()
	root := mustPEM(t, p.Root)
	app, err := NewApp(AppConfig{DB: openDB(t, filepath.Join(t.TempDir(), "chain.db")), ChainID: p.ChainID, Root: root})
	check(t, err)
	req := &abci.RequestInitChain{}
	var vals []GenesisValidator
	for _, m := range p.Members {
		pub := mustPEM(t, m.Node.Cert).PublicKey.(ed25519.PublicKey)
		vals = append(vals, GenesisValidator{PubKey: pub, Power: 10, OrgCA: mustPEM(t, m.OrgCA)})
		req.Validators = append(req.Validators, abci.Ed25519ValidatorUpdate(pub, 10))
	}
	req.AppStateBytes = GenesisStateMembers(root, version, vals)
	_, err = app.InitChain(context.Background(), req)
	check(t, err)
	height := int64(1)
	for i, b := range before {
		res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: height, Time: at, Txs: [][]byte{b}})
		check(t, err)
		if r := res.TxResults[0]; r.Code != CodeOK {
			t.Fatalf("before[%d]: code %d (%s), want 0", i, r.Code, r.Log)
		}
		commit(t, app)
		height++
	}
	if checkNow {
		res, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw})
		check(t, err)
		code, log = res.Code, res.Log
	}
	res, err := app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: height, Time: at, Txs: [][]byte{raw}})
	check(t, err)
	r := res.TxResults[0]
	if checkNow && (r.Code != code || r.Log != log) {
		t.Errorf("CheckTx = %d %q, FinalizeBlock = %d %q: want the same verdict", code, log, r.Code, r.Log)
	}
	commit(t, app)
	return r.Code, r.Log
}

// pkiValidNow reports whether every certificate of the PKI is valid at
// the wall clock's time, for CheckTx (which checks at that time).
func pkiValidNow(t testing.TB, p *vectorPKI) bool {
	t.Helper()
	now := time.Now()
	for _, s := range []string{p.Root, p.NewOrgCA, p.Stray.Cert, p.Outsider.Cert} {
		if c := mustPEM(t, s); now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return false
		}
	}
	for _, m := range p.Members {
		for _, s := range []string{m.OrgCA, m.Node.Cert, m.GovCert} {
			if c := mustPEM(t, s); now.Before(c.NotBefore) || now.After(c.NotAfter) {
				return false
			}
		}
	}
	return true
}

// vectorFiles lists the committed vectors by name.
func vectorFiles(t testing.TB) map[string]*txVector {
	t.Helper()
	out := map[string]*txVector{}
	for _, dir := range []string{"accept", "refuse"} {
		paths, err := filepath.Glob(filepath.Join(txVectorDir, dir, "*.json"))
		check(t, err)
		for _, path := range paths {
			b, err := os.ReadFile(path)
			check(t, err)
			var v txVector
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if want := strings.TrimSuffix(filepath.Base(path), ".json"); v.Name != want || (v.Code == CodeOK) != (dir == "accept") {
				t.Fatalf("%s: name %q, code %d: want name %q, in accept/ only with code 0", path, v.Name, v.Code, want)
			}
			out[v.Name] = &v
		}
	}
	if len(out) == 0 {
		t.Fatalf("no vectors in %s", txVectorDir)
	}
	return out
}

func vectorBytes(t testing.TB, v *txVector) []byte {
	t.Helper()
	b, err := hex.DecodeString(v.Tx)
	if err != nil || len(b) != v.Length {
		t.Fatalf("%s: tx of %d bytes (%v), length says %d", v.Name, len(b), err, v.Length)
	}
	return b
}

// TestTxVectors runs every vector from the files alone, as another
// implementation would: DecodeTx and the readable form, the encoding
// again, and the chain's verdict (CheckTx while the PKI is valid at the
// wall clock's time, and FinalizeBlock at the vector's time).
func TestTxVectors(t *testing.T) {
	p := loadVectorPKI(t)
	vs := vectorFiles(t)
	checkNow := pkiValidNow(t, p)
	if !checkNow {
		t.Log("a certificate of pki.json is not valid now: CheckTx is not run (FinalizeBlock is, at each vector's time)")
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range vs {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		v := vs[name]
		t.Run(name, func(t *testing.T) {
			raw := vectorBytes(t, v)
			tx, err := DecodeTx(raw)
			switch {
			case err != nil && v.Decoded != nil:
				t.Fatalf("DecodeTx() = %v, want %s", err, v.Decoded)
			case err != nil && (v.Code != CodeMalformed || err.Error() != v.Log):
				t.Fatalf("DecodeTx() = %v, want code %d %q", err, v.Code, v.Log)
			case err == nil && v.Decoded == nil:
				t.Fatalf("DecodeTx() = nil error, want %q", v.Log)
			case err == nil:
				got, err := json.Marshal(toJSON(tx))
				check(t, err)
				var want bytes.Buffer
				check(t, json.Compact(&want, v.Decoded))
				if !bytes.Equal(got, want.Bytes()) {
					t.Errorf("DecodeTx() reads\n%s\nwant\n%s", got, want.Bytes())
				}
				if !bytes.Equal(tx.Encode(), raw) {
					t.Errorf("DecodeTx(tx).Encode() differs from tx")
				}
			}
			var before [][]byte
			for _, b := range v.Before {
				bv, ok := vs[b]
				if !ok || bv.Code != CodeOK {
					t.Fatalf("before: %q is no accepted vector", b)
				}
				before = append(before, vectorBytes(t, bv))
			}
			if v.Height != int64(len(before))+1 {
				t.Fatalf("height %d, want %d", v.Height, len(before)+1)
			}
			code, log := runVector(t, p, v.StateVersion, before, raw, v.Time, checkNow && v.Time.Equal(p.Time))
			if code != v.Code || log != v.Log {
				t.Errorf("the chain's verdict = %d %q, want %d %q", code, log, v.Code, v.Log)
			}
		})
	}
}

// TestTxVectorsRegenerate writes the vectors with -update-vectors;
// without it, it rebuilds them from pki.json and requires the committed
// files.
func TestTxVectorsRegenerate(t *testing.T) {
	pkiPath := filepath.Join(txVectorDir, "pki.json")
	if _, err := os.Stat(pkiPath); os.IsNotExist(err) && *updateVectors {
		check(t, os.MkdirAll(txVectorDir, 0o755))
		check(t, os.WriteFile(pkiPath, marshalVector(t, newVectorPKI(t)), 0o644))
	}
	p := loadVectorPKI(t)
	files := buildTxVectors(t, p)
	if *updateVectors {
		for _, dir := range []string{"accept", "refuse"} {
			check(t, os.RemoveAll(filepath.Join(txVectorDir, dir)))
			check(t, os.MkdirAll(filepath.Join(txVectorDir, dir), 0o755))
		}
	}
	for name, want := range files {
		path := filepath.Join(txVectorDir, filepath.FromSlash(name))
		if *updateVectors {
			check(t, os.WriteFile(path, want, 0o644))
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the generator builds (%v); run go test ./anchor -run TestTxVectors -update-vectors", path, err)
		}
	}
	check(t, filepath.WalkDir(txVectorDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(txVectorDir, path)
		if _, ok := files[filepath.ToSlash(rel)]; !ok && rel != "pki.json" && rel != "README.md" {
			t.Errorf("%s is not made by the generator", path)
		}
		return nil
	}))
}

func marshalVector(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	check(t, enc.Encode(v))
	return b.Bytes()
}

// buildTxVectors makes every vector file from the PKI, running each on a
// fresh chain for its verdict, which must have the code its case wants.
func buildTxVectors(t *testing.T, p *vectorPKI) map[string][]byte {
	k := loadVectorKeys(t, p)
	cases := txVectorCases()
	built := map[string][]byte{}
	files := map[string][]byte{}
	for _, c := range cases {
		if _, dup := built[c.name]; dup {
			t.Fatalf("two vectors named %s", c.name)
		}
		seed := sha256.Sum256([]byte(c.name))
		cryptotest.SetGlobalRandom(t, binary.BigEndian.Uint64(seed[:])) // the governance signatures
		raw := keepGovSignature(t, p, c.name, c.build(t, k))
		built[c.name] = raw
		at := p.Time
		if !c.at.IsZero() {
			at = c.at
		}
		v := txVector{Name: c.name, About: c.about, StateVersion: c.state, Before: c.before, Height: int64(len(c.before)) + 1,
			Time: at, Length: len(raw), Tx: hex.EncodeToString(raw)}
		if tx, err := DecodeTx(raw); err == nil {
			v.Decoded = marshalVector(t, toJSON(tx))
		}
		var before [][]byte
		for _, b := range c.before {
			if built[b] == nil {
				t.Fatalf("%s: before %s, which is not an earlier vector", c.name, b)
			}
			before = append(before, built[b])
		}
		t.Run(c.name, func(t *testing.T) {
			v.Code, v.Log = runVector(t, p, c.state, before, raw, at, false)
		})
		if v.Code != c.code {
			t.Errorf("%s: the chain's verdict is %d %q, the case wants code %d", c.name, v.Code, v.Log, c.code)
		}
		dir := "refuse"
		if c.code == CodeOK {
			dir = "accept"
		}
		files[dir+"/"+c.name+".json"] = marshalVector(t, v)
	}
	return files
}

// keepGovSignature returns the committed bytes of a governance vector
// instead of raw when they differ only in a signature that verifies: an
// ECDSA signature is drawn at random, and another Go release may draw it
// otherwise under SetGlobalRandom.
func keepGovSignature(t *testing.T, p *vectorPKI, name string, raw []byte) []byte {
	if len(raw) < 6 || raw[4] != TxVersion6 && raw[4] != TxVersion9 && raw[4] != TxVersion10 {
		return raw
	}
	b, err := os.ReadFile(filepath.Join(txVectorDir, "accept", name+".json"))
	if err != nil {
		b, err = os.ReadFile(filepath.Join(txVectorDir, "refuse", name+".json"))
	}
	if err != nil {
		return raw
	}
	var v txVector
	if json.Unmarshal(b, &v) != nil {
		return raw
	}
	old, err := hex.DecodeString(v.Tx)
	if err != nil || len(old) != len(raw) || !bytes.Equal(old[:len(old)-64], raw[:len(raw)-64]) {
		return raw
	}
	tx, err := DecodeTx(old)
	if err != nil || NewVerifier(p.ChainID, mustPEM(t, p.Root)).Verify(tx, p.Time) != nil {
		return raw
	}
	return old
}

// vectorCase builds one vector: run on a fresh chain at state version
// state after the vectors before, at time at (the PKI's if zero), the
// chain must answer code.
type vectorCase struct {
	name, about string
	state       int
	before      []string
	at          time.Time
	code        uint32
	build       func(t testing.TB, k *vectorKeys) []byte
}

// resign signs a node-signed transaction's bytes up to its signature
// again, so that a tampered vector has nothing wrong but what it shows.
func resign(k *vectorKeys, n *testNode, raw []byte) []byte {
	body := raw[:len(raw)-ed25519.SignatureSize]
	m := append(append([]byte(SignaturePrefix), k.pki.ChainID...), 0)
	return append(slices.Clone(body), ed25519.Sign(n.key, append(m, body...))...)
}

// resignGov is resign for a governance transaction (low-s ECDSA, r ‖ s).
func resignGov(t testing.TB, k *vectorKeys, m *govMember, raw []byte) []byte {
	t.Helper()
	body := raw[:len(raw)-64]
	digest := sha256.Sum256(append(append(append([]byte(GovSignaturePrefix), k.pki.ChainID...), 0), body...))
	der, err := m.gov.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	check(t, err)
	var sig struct{ R, S *big.Int }
	_, err = asn1.Unmarshal(der, &sig)
	check(t, err)
	if n := elliptic.P256().Params().N; sig.S.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sig.S.Sub(n, sig.S)
	}
	out := slices.Clone(body)
	out = append(out, sig.R.FillBytes(make([]byte, 32))...)
	return append(out, sig.S.FillBytes(make([]byte, 32))...)
}

// signUnchecked signs t without checking its fields, for a vector the
// encoder refuses to make.
func signUnchecked(k *vectorKeys, n *testNode, t *Tx) []byte {
	t.NodeCert, t.OrgCA = n.cert, n.org.Cert
	return append(t.appendBody(nil), ed25519.Sign(n.key, t.signedMessage(k.pki.ChainID))...)
}

// must(t)(b, err) is b, failing t on err.
func must(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		check(t, err)
		return b
	}
}

// TestTxVectorsCoverKinds requires a vector of every (version, kind) that
// DecodeTx's kind byte lets through, found by trying every pair, and an
// accepted proposal of every governance action.
func TestTxVectorsCoverKinds(t *testing.T) {
	have := map[[2]byte]bool{}
	actions := map[uint8]bool{}
	for _, v := range vectorFiles(t) {
		raw := vectorBytes(t, v)
		if len(raw) < 6 || string(raw[:4]) != TxMagic {
			continue
		}
		kind := raw[5]
		if raw[4] == TxVersion {
			kind = KindBatch
		}
		have[[2]byte{raw[4], kind}] = true
		if tx, err := DecodeTx(raw); err == nil && v.Code == CodeOK && tx.Proposal != nil {
			actions[tx.Proposal.Action] = true
		}
	}
	for version := range 256 {
		for kind := range 256 {
			probe := append([]byte(TxMagic), byte(version), byte(kind), 0, 0, 0, 0)
			_, err := DecodeTx(probe)
			if msg := fmt.Sprint(err); strings.Contains(msg, "unknown version") || strings.Contains(msg, "unknown kind") {
				continue
			}
			k := byte(kind)
			if version == TxVersion {
				k = KindBatch // version 1 has no kind byte
			}
			if !have[[2]byte{byte(version), k}] {
				t.Errorf("DecodeTx reads version %d, kind %d, but no vector in %s has them", version, k, txVectorDir)
			}
		}
	}
	for a := range actionNames {
		if !actions[a] {
			t.Errorf("no accepted vector proposes governance action %d (%s)", a, actionNames[a])
		}
	}
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTxVectorsDocumented: docs/chain-transactions.md names every vector
// (as `name`).
func TestTxVectorsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "chain-transactions.md"))
	check(t, err)
	for name := range vectorFiles(t) {
		if !bytes.Contains(doc, []byte("`"+name+"`")) {
			t.Errorf("docs/chain-transactions.md does not name vector %s", name)
		}
	}
}
