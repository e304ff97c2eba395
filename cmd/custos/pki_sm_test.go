package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
)

// pkiRequestSM: on a member of an sm consortium (cfg, its custos.toml),
// `custos pki request --for tsa` makes an SM2 key and a request signed SM2
// with SM3, which OpenSSL verifies with the default user ID of GM/T 0009;
// an outside SM2 CA (OpenSSL) grants it, and `custos pki install` checks
// the SM2 chain and installs it. A chain whose root is not the leaf's
// issuer is refused.
func pkiRequestSM(t *testing.T, cfg string) {
	tmp := t.TempDir()
	csr := filepath.Join(tmp, "tsa.csr")
	if _, out, err := custosOutErr(t, nil, "pki", "request", "--config", cfg, "--for", "tsa", "--cn", "北京互联网法院 TSA", "--country", "CN", "-o", csr); err != nil || !strings.Contains(out, "made a new key") {
		t.Fatalf("custos pki request on an sm member: %v\n%s", err, out)
	}
	block, _ := pem.Decode(mustRead(t, csr))
	if block == nil {
		t.Fatalf("%s: no PEM", csr)
	}
	req, err := certs.ParseRequest(block.Bytes)
	if err != nil || certs.KeySuite(req.PublicKey) != certs.SuiteSM {
		t.Fatalf("the request: %v; want an SM2 key", err)
	}
	distid := []string{"-sigopt", "distid:1234567812345678", "-vfyopt", "distid:1234567812345678"}
	if out, err := openssl(t, "req", "-in", csr, "-noout", "-verify", "-vfyopt", "distid:1234567812345678"); err != nil || !strings.Contains(out, "verify OK") {
		t.Fatalf("openssl req -verify of the SM2 request: %v\n%s", err, out)
	}
	caKey, caPEM, leaf := filepath.Join(tmp, "ca.key"), filepath.Join(tmp, "ca.pem"), filepath.Join(tmp, "tsa.pem")
	if out, err := openssl(t, "req", "-x509", "-newkey", "sm2", "-nodes", "-sm3", "-sigopt", "distid:1234567812345678",
		"-keyout", caKey, "-out", caPEM, "-subj", "/CN=Outside SM2 Root", "-days", "30"); err != nil {
		t.Fatalf("openssl req -x509 (SM2): %v\n%s", err, out)
	}
	if out, err := openssl(t, append([]string{"x509", "-req", "-in", csr, "-CA", caPEM, "-CAkey", caKey, "-CAcreateserial",
		"-days", "10", "-copy_extensions", "copyall", "-sm3", "-out", leaf}, distid...)...); err != nil {
		t.Fatalf("openssl x509 -req (SM2): %v\n%s", err, out)
	}
	leafPEM, rootPEM := mustRead(t, leaf), mustRead(t, caPEM)
	cs, err := certs.ParsePEM(leafPEM)
	if err != nil || len(cs) != 1 || !sigAlgOID(t, cs[0]).Equal(oidSM2WithSM3) {
		t.Fatalf("the outside CA's certificate: %v, want one signed SM2-with-SM3", err)
	}
	// Another SM2 root in place of the issuer: refused.
	otherKey, otherPEM := filepath.Join(tmp, "other.key"), filepath.Join(tmp, "other.pem")
	if out, err := openssl(t, "req", "-x509", "-newkey", "sm2", "-nodes", "-sm3", "-sigopt", "distid:1234567812345678",
		"-keyout", otherKey, "-out", otherPEM, "-subj", "/CN=Outside SM2 Root", "-days", "30"); err != nil {
		t.Fatalf("openssl req -x509 (SM2): %v\n%s", err, out)
	}
	wrong := writeFile(t, tmp, "wrong-chain.pem", append(append([]byte(nil), leafPEM...), mustRead(t, otherPEM)...))
	if out, err := runCustos(t, "pki", "install", "--config", cfg, "--for", "tsa", wrong); err == nil {
		t.Fatalf("custos pki install of an SM2 chain under another root succeeded:\n%s", out)
	}
	chain := writeFile(t, tmp, "chain.pem", append(append([]byte(nil), leafPEM...), rootPEM...))
	if out, err := runCustos(t, "pki", "install", "--config", cfg, "--for", "tsa", chain); err != nil {
		t.Fatalf("custos pki install of the SM2 chain: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "pki", "issued", "tsa.pem")); err != nil {
		t.Errorf("the installed chain: %v", err)
	}
}
