package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/internal/testenv"
)

// TestHSMKeys keeps the TSA's and the notary's keys in a real PKCS#11
// token (SoftHSM2): the TSA key is made with the vendor-neutral pkcs11-tool,
// the notary key by `custos pki request`; an outside CA (openssl) issues
// both certificates from the requests, `custos pki install` installs them,
// and a real `custos serve` signs an RFC 3161 token and a notarial
// certificate with the token's keys. openssl ts -verify and pdfsig, told
// to trust only the outside CA, accept them.
func TestHSMKeys(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tool := testenv.LookBinary(t, "pkcs11-tool")
	tmp := t.TempDir()
	data := t.TempDir()
	pinFile := filepath.Join(tmp, "pin")
	if err := os.WriteFile(pinFile, []byte(sh.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := writeFile(t, tmp, "custos.toml", []byte(fmt.Sprintf(
		"org = \"杭州市互联网公证处\"\n[pkcs11]\nmodule = %q\ntoken_label = %q\npin_file = %q\ntsa_key = \"custos-tsa\"\ntsa_key_id = \"0a01\"\nnotary_key = \"custos-notary\"\n",
		sh.Module, sh.Label, pinFile)))
	if out, err := exec.Command(tool, "--module", sh.Module, "--token-label", sh.Label, "--login", "--pin", sh.PIN,
		"--keypairgen", "--key-type", "EC:prime256v1", "--label", "custos-tsa", "--id", "0a01").CombinedOutput(); err != nil {
		t.Fatalf("pkcs11-tool --keypairgen: %v\n%s", err, out)
	}

	caKey, caPEM := filepath.Join(tmp, "ca.key"), filepath.Join(tmp, "ca.pem")
	if out, err := openssl(t, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", caKey, "-out", caPEM, "-subj", "/C=CN/O=Outside CA/CN=Outside Test Root", "-days", "30",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"); err != nil {
		t.Fatalf("openssl req -x509: %v\n%s", err, out)
	}
	for _, purpose := range []string{certs.PurposeTSA, certs.PurposeNotary} {
		cn := map[string]string{certs.PurposeTSA: "杭州市互联网公证处 TSA", certs.PurposeNotary: "张三"}[purpose]
		csr := filepath.Join(tmp, purpose+".csr")
		_, out, err := custosOutErr(t, nil, "pki", "request", "--config", config, "--data", data, "--for", purpose, "--cn", cn, "--country", "CN", "-o", csr)
		wantKey := map[string]string{certs.PurposeTSA: "reused the key in the PKCS#11 token", certs.PurposeNotary: "made a new key in the PKCS#11 token"}[purpose]
		if err != nil || !strings.Contains(out, wantKey) {
			t.Fatalf("custos pki request --for %s = %v\n%s\nwant %q", purpose, err, out, wantKey)
		}
		if text, err := openssl(t, "req", "-in", csr, "-noout", "-verify", "-text"); err != nil || (purpose == certs.PurposeTSA && !strings.Contains(text, "X509v3 Extended Key Usage: critical\n                    Time Stamping")) {
			t.Fatalf("openssl req -verify %s: %v\n%s", csr, err, text)
		}
		leaf := filepath.Join(tmp, purpose+".pem")
		if out, err := openssl(t, "x509", "-req", "-in", csr, "-CA", caPEM, "-CAkey", caKey, "-CAcreateserial",
			"-days", "10", "-copy_extensions", "copyall", "-out", leaf); err != nil {
			t.Fatalf("openssl x509 -req: %v\n%s", err, out)
		}
		leafPEM, _ := os.ReadFile(leaf)
		rootPEM, _ := os.ReadFile(caPEM)
		if out, err := runCustos(t, "pki", "install", "--config", config, "--data", data, "--for", purpose, leaf); err == nil {
			t.Fatalf("custos pki install of a chain without its root succeeded:\n%s", out)
		}
		chain := writeFile(t, tmp, purpose+"-chain.pem", append(leafPEM, rootPEM...))
		if out, err := runCustos(t, "pki", "install", "--config", config, "--data", data, "--for", purpose, chain); err != nil {
			t.Fatalf("custos pki install --for %s: %v\n%s", purpose, err, out)
		}
	}
	// A TSA certificate offered for the notary is refused: wrong purpose and key.
	if out, err := runCustos(t, "pki", "install", "--config", config, "--data", data, "--for", "notary", filepath.Join(tmp, "tsa-chain.pem")); err == nil {
		t.Fatalf("custos pki install --for notary of the TSA's certificate succeeded:\n%s", out)
	}
	if matches, _ := filepath.Glob(filepath.Join(data, "pki", "issued", "*.key")); len(matches) != 0 {
		t.Fatalf("key files %v written, but the keys are in the token", matches)
	}
	// The key custos made in the token can never be read out of it.
	objects, err := exec.Command(tool, "--module", sh.Module, "--token-label", sh.Label, "--login", "--pin", sh.PIN,
		"--list-objects", "--type", "privkey", "--label", "custos-notary").CombinedOutput()
	if err != nil || !strings.Contains(string(objects), "sensitive, always sensitive, never extractable") {
		t.Fatalf("pkcs11-tool --list-objects: the notary's private key is not sensitive and never extractable (%v):\n%s", err, objects)
	}

	n := startServe(t, data, []string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--config", config})
	t.Run("TSA token verifies with openssl against the outside CA", func(t *testing.T) {
		file := writeFile(t, tmp, "doc.bin", randomBytes(t, 1000))
		query, reply := stampWithOpenSSL(t, n, tmp, file)
		out, err := openssl(t, "ts", "-verify", "-in", writeFile(t, tmp, "r.tsr", reply), "-queryfile", query, "-CAfile", caPEM)
		if err != nil || !strings.Contains(out, "Verification: OK") {
			t.Errorf("openssl ts -verify = %v\n%s", err, out)
		}
	})
	t.Run("notarial certificate verifies with pdfsig against the outside CA", func(t *testing.T) {
		ev := n.upload(n.Token, []byte("直播录像的截图。\n"), "Content-Type", "text/plain; charset=utf-8")
		status, _, body := n.call("POST", "/api/v1/certificates", n.Token, jsonBody(map[string]any{"evidence": []string{ev.ID}}), "Content-Type", "application/json")
		if status != http.StatusCreated {
			t.Fatalf("POST /api/v1/certificates = %d %s", status, body)
		}
		var cert certificates.Certificate
		if err := json.Unmarshal(body, &cert); err != nil {
			t.Fatal(err)
		}
		status, _, signed := n.call("GET", "/api/v1/certificates/"+cert.ID+".pdf", n.Token, nil)
		if status != 200 {
			t.Fatalf("GET .pdf = %d", status)
		}
		receipt := filepath.Join(tmp, "receipt.json")
		if out, err := runCustos(t, "receipt", ev.ID, "--server", n.URL, "--token", n.Token, "--wait", "30s", "-o", receipt); err != nil {
			t.Fatalf("custos receipt: %v\n%s", err, out)
		}
		evFile := writeFile(t, tmp, "evidence.txt", []byte("直播录像的截图。\n"))
		// The trust bundle the node serves carries the outside TSA root in tsa_roots_pem.
		if out, err := runCustos(t, "verify", "--receipt", receipt, "--file", evFile, "--trust", n.trustFile(t, tmp)); err != nil || !strings.Contains(out, "VALID") {
			t.Errorf("custos verify of a receipt stamped by the token's TSA key: %v\n%s", err, out)
		}
		rootPEM, _ := os.ReadFile(caPEM)
		out := checkPdfsig(t, pdfsigDB(t, t.TempDir(), rootPEM), writeFile(t, tmp, "certificate.pdf", signed), true)
		if !strings.Contains(out, "Signer Certificate Common Name: 张三") {
			t.Errorf("pdfsig names another signer:\n%s", out)
		}
		// custos verify --pdf: the outside CA given by --roots, not the consortium's root.
		pdfFile := filepath.Join(tmp, "certificate.pdf")
		if out, err := runCustos(t, "verify", "--pdf", pdfFile, "--roots", caPEM); err != nil || !strings.Contains(out, "VALID 有效") || !strings.Contains(out, "Outside Test Root") {
			t.Errorf("custos verify --pdf --roots OUTSIDE-CA = %v\n%s", err, out)
		}
		if out, err := runCustos(t, "verify", "--pdf", pdfFile, "--trust", n.trustFile(t, tmp)); exitCode(err) != 1 {
			t.Errorf("custos verify --pdf under the consortium root alone = %v, want INVALID (exit status 1)\n%s", err, out)
		}
	})
}

// stampWithOpenSSL asks the node's public TSA, over HTTP, to stamp file
// with a query made by openssl (certificates requested), and returns the
// query's path and the reply.
func stampWithOpenSSL(t *testing.T, n *proc, tmp, file string) (query string, reply []byte) {
	t.Helper()
	query = filepath.Join(tmp, "q.tsq")
	if out, err := openssl(t, "ts", "-query", "-data", file, "-sha256", "-cert", "-out", query); err != nil {
		t.Fatalf("openssl ts -query: %v\n%s", err, out)
	}
	q, _ := os.ReadFile(query)
	status, h, reply := n.call("POST", "/tsa", "", bytes.NewReader(q), "Content-Type", "application/timestamp-query")
	if status != 200 || h.Get("Content-Type") != "application/timestamp-reply" {
		t.Fatalf("POST /tsa = %d %q %s", status, h.Get("Content-Type"), reply)
	}
	return query, reply
}

// TestPKIFileKey requests and installs a notary certificate whose key is a
// file (no [pkcs11]): the key is written 0600 in pki/issued, and the node's
// PKI then signs documents with the installed certificate.
func TestPKIFileKey(t *testing.T) {
	tmp, data := t.TempDir(), t.TempDir()
	csr := filepath.Join(tmp, "notary.csr")
	if _, out, err := custosOutErr(t, nil, "pki", "request", "--data", data, "--for", "notary", "--cn", "李四", "-o", csr); err != nil || !strings.Contains(out, "made a new key") {
		t.Fatalf("custos pki request: %v\n%s", err, out)
	}
	keyPath := filepath.Join(data, "pki", "issued", "notary.key")
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", keyPath, err, fi)
	}
	if _, out, err := custosOutErr(t, nil, "pki", "request", "--data", data, "--for", "notary", "--cn", "李四", "-o", csr); err != nil || !strings.Contains(out, "reused the key") {
		t.Fatalf("custos pki request again: %v\n%s; want the key reused", err, out)
	}
	caKey, caPEM, leaf := filepath.Join(tmp, "ca.key"), filepath.Join(tmp, "ca.pem"), filepath.Join(tmp, "notary.pem")
	if out, err := openssl(t, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", caKey, "-out", caPEM, "-subj", "/CN=Outside Test Root", "-days", "30"); err != nil {
		t.Fatalf("openssl req -x509: %v\n%s", err, out)
	}
	if out, err := openssl(t, "x509", "-req", "-in", csr, "-CA", caPEM, "-CAkey", caKey, "-CAcreateserial",
		"-days", "10", "-copy_extensions", "copyall", "-out", leaf); err != nil {
		t.Fatalf("openssl x509 -req: %v\n%s", err, out)
	}
	leafPEM, _ := os.ReadFile(leaf)
	rootPEM, _ := os.ReadFile(caPEM)
	chain := writeFile(t, tmp, "chain.pem", append(leafPEM, rootPEM...))
	if out, err := runCustos(t, "pki", "install", "--data", data, "--for", "tsa", chain); err == nil {
		t.Fatalf("custos pki install --for tsa of a notary certificate succeeded:\n%s", out)
	}
	if out, err := runCustos(t, "pki", "install", "--data", data, "--for", "notary", chain); err != nil {
		t.Fatalf("custos pki install: %v\n%s", err, out)
	}
	cfg := defaultConfig()
	cfg.Data = data
	p, err := loadPKI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Notary.Cert.Subject.CommonName != "李四" || len(p.Notary.Chain) != 1 || !certs.SameKey(p.Notary.Cert, p.Notary.Signer) {
		t.Errorf("loadPKI: notary %q with %d issuers; want the installed 李四 under the outside root", p.Notary.Cert.Subject, len(p.Notary.Chain))
	}
	if p.TSA.Cert.Issuer.CommonName == "Outside Test Root" {
		t.Errorf("loadPKI: the TSA changed too")
	}
}
