package main

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/receipt"
)

// oidSM2WithSM3 is the signature algorithm of the sm suite's certificates.
var oidSM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}

// TestConsortiumSM: `consortium init --crypto sm` writes a consortium
// whose TSA certificates are SM2 and whose trust bundle (version 3) names
// the sm suite; its four members start, a file gets a receipt, and
// `custos verify --trust` says VALID, and INVALID for a tampered receipt;
// the /verify page in Chromium says the same; the notary member signs a
// certificate PDF; and the README's consortium tour runs on these members
// (the peer API between sm members included).
func TestConsortiumSM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node consortium")
	}
	t.Parallel() // see parallelNote
	out := filepath.Join(t.TempDir(), "consortium")
	apiBase, p2pBase, peerBase := freePortRun(t, 4), freePortRun(t, 4), freePortRun(t, 4)
	if stdout, err := runCustos(t, "consortium", "init", "--out", out, "--crypto", "sm",
		"--org", "court:Hangzhou Internet Court", "--org", "court:Beijing Internet Court",
		"--org", "notary:Qiantang Notary Office", "--org", "arbitration:杭州仲裁委员会",
		"--api-port", fmt.Sprint(apiBase), "--p2p-port", fmt.Sprint(p2pBase), "--peer-port", fmt.Sprint(peerBase)); err != nil {
		t.Fatalf("consortium init --crypto sm: %v\n%s", err, stdout)
	}
	trust := filepath.Join(out, "trust.json")
	tr, err := receipt.ParseTrust(mustRead(t, trust))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Version != receipt.TrustVersion3 || tr.Suites == nil || *tr.Suites != *receipt.SuitesOf(receipt.SuiteSM) {
		t.Fatalf("trust bundle: version %d, suites %+v; want version 3 naming sm", tr.Version, tr.Suites)
	}
	ms := consortiumMembers(out)
	for _, name := range []string{"tsa", "notary"} {
		cs, err := certs.ParsePEM(mustRead(t, filepath.Join(out, "qiantang-notary-office", "pki", name+".pem")))
		if err != nil || len(cs) != 1 || certs.KeySuite(cs[0].PublicKey) != certs.SuiteSM {
			t.Fatalf("%s.pem: %v, want one SM2 certificate", name, err)
		}
		if alg := sigAlgOID(t, cs[0]); !alg.Equal(oidSM2WithSM3) {
			t.Errorf("%s.pem signed with %v, want SM2-with-SM3 %v", name, alg, oidSM2WithSM3)
		}
	}
	// The court's node serves the browser verifier built from web/wasm
	// (checked below in Chromium), when there is one.
	webBin.Do(func() { webBin.path, webBin.err = buildWebNode() })
	if webBin.err != nil {
		t.Fatal(webBin.err)
	}
	for i, m := range ms {
		if i == 0 && webBin.path != "" {
			m.startBin(t, webBin.path)
		} else {
			m.start(t)
		}
	}
	entry := ms[0].p
	// The bundle the node serves names the suite too, and its TSA
	// certificate is SM2.
	status, _, b := entry.call("GET", "/api/v1/trust", "", nil)
	served, err := receipt.ParseTrust(b)
	if status != 200 || err != nil || served.Suites == nil || served.Suites.Tokens != receipt.SuiteSM {
		t.Fatalf("GET /api/v1/trust = %d %v\n%s", status, err, b)
	}
	chain, err := certs.ParsePEM([]byte(served.TSAChain))
	if err != nil || len(chain) == 0 || !sigAlgOID(t, chain[0]).Equal(oidSM2WithSM3) || certs.KeySuite(chain[0].PublicKey) != certs.SuiteSM {
		t.Fatalf("served TSA chain: %v, want an SM2 TSA certificate signed SM2-with-SM3", err)
	}
	if status, _, b := entry.call("GET", "/api/v1/trust?transitions=1", "", nil); status != 200 {
		t.Errorf("GET /api/v1/trust?transitions=1 = %d %s", status, b)
	} else if tv, err := receipt.ParseTrust(b); err != nil || tv.Suites == nil {
		t.Errorf("trust with transitions: %v\n%s", err, b)
	}

	data := randomBytes(t, 3000)
	v := entry.upload(consortiumToken, data)
	status, rcpt := receiptOf(t, entry, v.ID, 30*time.Second)
	if status != 200 {
		t.Fatalf("receipt = %d %s", status, rcpt)
	}
	dir := t.TempDir()
	outText, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rcpt), "--file", writeFile(t, dir, "f", data), "--trust", trust)
	if err != nil || !bytes.Contains([]byte(outText), []byte("VALID")) {
		t.Fatalf("custos verify of an sm receipt: %v\n%s", err, outText)
	}
	// Tampered: another evidence digest in the receipt.
	bad := bytes.Replace(rcpt, []byte(v.SHA256), []byte(fmt.Sprintf("%064x", 1)), 1)
	if bytes.Equal(bad, rcpt) {
		t.Fatal("could not tamper with the receipt")
	}
	if outText, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "bad.json", bad), "--trust", trust); exitCode(err) != 1 {
		t.Errorf("custos verify of a tampered sm receipt: exit %d, want 1\n%s", exitCode(err), outText)
	}
	if webBin.path != "" {
		t.Run("verify page", func(t *testing.T) { verifyPageSM(t, entry.URL, dir, rcpt, data) })
	}

	// The notary member issues a certificate PDF, signed SM2; custos
	// verify --pdf accepts it against the bundle.
	notary := ms[2].p
	nv := notary.upload(consortiumToken, []byte("直播录像的截图，第一页。\n"), "Content-Type", "text/plain; charset=utf-8")
	status, _, body := notary.call("POST", "/api/v1/certificates", consortiumToken, jsonBody(map[string]any{"evidence": []string{nv.ID}}), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/certificates at the notary member = %d %s", status, body)
	}
	var cert certificates.Certificate
	mustJSON(t, body, &cert)
	status, _, signed := notary.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", consortiumToken, nil)
	if status != 200 {
		t.Fatalf("GET certificate PDF = %d", status)
	}
	checkVerifyPDF(t, writeFile(t, dir, "certificate.pdf", signed), trust, true)

	t.Run("README consortium tour", func(t *testing.T) { runTourSM(t, out, ms) })
	// Last: it writes the Beijing member's pki/issued (read at its next
	// start only).
	t.Run("pki request and install", func(t *testing.T) { pkiRequestSM(t, ms[1].cfg) })
	t.Run("join", func(t *testing.T) { joinSM(t, out, ms) })
}

// verifyPageSM checks an sm receipt in the /verify page of an sm member's
// node, in headless Chromium, with the real WebAssembly verifier: VALID
// with every step passed (the SM2 time-stamp token and certificates
// included), INVALID at the digest for a tampered file and at the
// time-stamp for a token whose SM2 signature is altered.
func verifyPageSM(t *testing.T, url, dir string, rcpt, data []byte) {
	t.Helper()
	ctx := newBrowser(t, testenv.LookBinary(t, "chromium"))
	openPage(t, ctx, url+"/verify?lang=en", true)
	good, rp := writeFile(t, dir, "sm-exhibit.txt", data), writeFile(t, dir, "sm-receipt.json", rcpt)
	if got := verifyInPage(t, ctx, rp, good); got != "valid|" {
		t.Fatalf("/verify of an sm receipt = %q, want valid", got)
	}
	want := "format=pass digest=pass custody=pass completeness=pass timestamp=pass inclusion=pass checkpoint=pass"
	if r, err := receipt.Parse(rcpt); err == nil && r.Version == receipt.Version5 {
		want += " evidence-record=pass" // its SM2-time-stamped evidence record, embedded
	}
	if steps := pageSteps(t, ctx); steps != want {
		t.Errorf("/verify steps of an sm receipt = %q, want all passed: %q", steps, want)
	}
	tampered := append([]byte(nil), data...)
	tampered[0] ^= 0x20
	if got := verifyInPage(t, ctx, rp, writeFile(t, dir, "sm-exhibit-altered.txt", tampered)); got != "invalid|digest" {
		t.Errorf("/verify of an sm receipt with a tampered file = %q, want invalid|digest", got)
	}
	openPage(t, ctx, url+"/verify?lang=en", true)
	if got := verifyInPage(t, ctx, writeFile(t, dir, "sm-receipt-token.json", alterTokenSignature(t, rcpt)), good); got != "invalid|timestamp" {
		t.Errorf("/verify of an sm receipt whose SM2 token signature is altered = %q, want invalid|timestamp", got)
	}
}

// runTourSM runs the README's consortium tour, but its first block (which
// makes and starts a consortium), on the started members of the sm
// consortium in out: the blocks' API ports are the members', and their
// operator key the chosen bootstrap token, which the tour would otherwise
// read from the file a node writes when it generates one.
func runTourSM(t *testing.T, out string, ms []*member) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := markedBlocks(string(b), consortiumTour)
	if err != nil || len(blocks) < 5 {
		t.Fatalf("the README's consortium tour: %d blocks, %v", len(blocks), err)
	}
	blocks = blocks[1:]
	const adminLine = `cat "consortium/$1/data/bootstrap-token"`
	if !strings.Contains(blocks[0].Text, adminLine) {
		t.Fatalf("the tour's second block no longer reads the operator key with %s:\n%s", adminLine, blocks[0].Text)
	}
	pairs := []string{adminLine, "echo " + consortiumToken}
	for i, m := range ms {
		pairs = append(pairs, fmt.Sprintf("http://127.0.0.1:%d", 8081+i), m.p.URL)
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{filepath.Join(root, "bin", "custos"): custosBin, filepath.Join(root, "consortium"): out} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	script := tourScript(t, blocks, t.TempDir(), strings.NewReplacer(pairs...).Replace)
	checkConsortiumTour(t, runTour(t, root, script, blocks, ""))
}

// sigAlgOID is the signatureAlgorithm OID of cert, as written.
func sigAlgOID(t *testing.T, cert *x509.Certificate) asn1.ObjectIdentifier {
	t.Helper()
	var c struct {
		TBS    asn1.RawValue
		SigAlg struct {
			Algorithm asn1.ObjectIdentifier
			Params    asn1.RawValue `asn1:"optional"`
		}
		Sig asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.Raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.SigAlg.Algorithm
}

// alterTokenSignature flips a bit in the last byte of the receipt's first
// time-stamp token: the end of its signer's signature (the last field of
// the last SignerInfo when, as here, it has no unsigned attributes), the
// SM2 signature's s in the sm suite.
func alterTokenSignature(t *testing.T, rcpt []byte) []byte {
	t.Helper()
	r, err := receipt.Parse(rcpt)
	if err != nil || len(r.Timestamps) == 0 {
		t.Fatalf("receipt: %v, %d time-stamp tokens", err, len(r.Timestamps))
	}
	tok, err := base64.StdEncoding.DecodeString(r.Timestamps[0])
	if err != nil {
		t.Fatal(err)
	}
	tok[len(tok)-1] ^= 0x01
	out := strings.Replace(string(rcpt), r.Timestamps[0], base64.StdEncoding.EncodeToString(tok), 1)
	if out == string(rcpt) {
		t.Fatal("the token is not in the receipt as written")
	}
	return []byte(out)
}
