package main

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// TestDevNotary checks the development notary's document-signing
// certificate: issued once under the development organization CA, loaded
// unchanged afterwards, and issued anew when a crash left only its key.
func TestDevNotary(t *testing.T) {
	dir := t.TempDir()
	dev, err := certs.LoadOrCreateDev(dir, "测试公证处", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first, err := devNotary(dir, dev.Org, "张三")
	if err != nil {
		t.Fatal(err)
	}
	if first.Cert.Subject.CommonName != "张三" {
		t.Errorf("CN = %q, want 张三", first.Cert.Subject.CommonName)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(dev.Root.Cert)
	for _, c := range first.Chain {
		inter.AddCert(c)
	}
	if _, err := first.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Errorf("notary certificate does not chain to the development root: %v", err)
	}
	again, err := devNotary(dir, dev.Org, "another name")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(first.Cert) || !certs.SameKey(again.Cert, again.Signer) {
		t.Error("second start issued a new certificate instead of loading the first")
	}
	if len(again.Chain) != len(first.Chain) {
		t.Errorf("loaded chain has %d certificates, issued one %d", len(again.Chain), len(first.Chain))
	}

	// A crash between the key and the certificate leaves the key alone.
	if err := os.Remove(filepath.Join(dir, "notary.pem")); err != nil {
		t.Fatal(err)
	}
	redo, err := devNotary(dir, dev.Org, "李四")
	if err != nil {
		t.Fatal(err)
	}
	if redo.Cert.Equal(first.Cert) || redo.Cert.Subject.CommonName != "李四" || !certs.SameKey(redo.Cert, redo.Signer) {
		t.Error("a key without its certificate was not replaced by a fresh pair")
	}
}
