package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/testenv"
)

// TestGovKeyInToken makes a governance key in a real PKCS#11 token
// (SoftHSM2) with governance-cert, which certifies it under the member's
// organization CA; a vote and a proposal signed through the token then
// decode (anchor.DecodeTx, re-encoding to the same bytes) and verify as the
// chain verifies them (anchor.Verifier), and a flipped signature bit does
// not.
func TestGovKeyInToken(t *testing.T) {
	sh := testenv.SoftHSM(t)
	dir := t.TempDir()
	now := time.Now()
	root, org, caPath, caKeyPath := courtCAFiles(t, dir, now)
	t.Setenv("CUSTOS_TEST_GOV_PIN", sh.PIN)
	uri := "pkcs11:token=" + sh.Label + ";object=governance?module-path=" + sh.Module
	ref := &govKeyRef{key: uri, pinEnv: "CUSTOS_TEST_GOV_PIN"}
	certPath := filepath.Join(dir, "governance.pem")
	var out strings.Builder
	if err := issueGovernanceCert(&out, ref, caPath, caKeyPath, "", certPath, now); err != nil {
		t.Fatalf("issueGovernanceCert(%s) = %v", uri, err)
	}
	if !strings.Contains(out.String(), "made a new governance key") {
		t.Errorf("issueGovernanceCert printed %q, want a new key made in the token", out.String())
	}
	b, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := certs.ParsePEM(b)
	if err != nil || len(chain) != 2 || !chain[1].Equal(org.Cert) || chain[0].Subject.CommonName != "Test Court governance" {
		t.Fatalf("%s: %v, %d certificates; want the governance certificate then the organization CA", certPath, err, len(chain))
	}
	if err := certs.CheckGovernance(chain[0], org.Cert, root.Cert, now); err != nil {
		t.Fatalf("CheckGovernance(the token key's certificate) = %v", err)
	}
	// A second certificate for the same key: the token's key is reused.
	out.Reset()
	if err := issueGovernanceCert(&out, ref, caPath, caKeyPath, "", filepath.Join(dir, "again.pem"), now); err != nil || strings.Contains(out.String(), "made a new") {
		t.Errorf("issueGovernanceCert again = %v, %q; want the token's key reused", err, out.String())
	}

	k, err := ref.open(false)
	if err != nil {
		t.Fatal(err)
	}
	defer k.close()
	if _, ok := k.Signer.(interface{ Delete() error }); !ok || !certs.SameKey(chain[0], k) {
		t.Fatalf("ref.open() = %T, want the token's key of the certificate", k.Signer)
	}
	const chainID = "custos-test"
	member := strings.Repeat("ab", 32)
	vote, err := anchor.NewVoteTx(chainID, chain[0], chain[1], k, member, "power-1", true)
	if err != nil {
		t.Fatal(err)
	}
	prop, err := anchor.NewProposeTx(chainID, chain[0], chain[1], k, member,
		anchor.Proposal{ID: "power-1", Expires: 100, Action: anchor.ActPower, Target: [32]byte{1}, Power: 20})
	if err != nil {
		t.Fatal(err)
	}
	v := anchor.NewVerifier(chainID, root.Cert)
	for name, raw := range map[string][]byte{"vote": vote, "proposal": prop} {
		tx, err := anchor.DecodeTx(raw)
		if err != nil {
			t.Fatalf("DecodeTx(%s signed in the token) = %v", name, err)
		}
		if !bytes.Equal(tx.Encode(), raw) {
			t.Errorf("DecodeTx(%s).Encode() differs from the signed bytes", name)
		}
		if err := v.Verify(tx, now); err != nil {
			t.Errorf("Verify(%s signed in the token) = %v", name, err)
		}
		bad := bytes.Clone(raw)
		bad[len(bad)-1] ^= 1
		if tx, err := anchor.DecodeTx(bad); err == nil {
			if err := v.Verify(tx, now); !errors.Is(err, anchor.ErrBadSignature) {
				t.Errorf("Verify(%s with a flipped signature bit) = %v, want ErrBadSignature", name, err)
			}
		}
	}
	if err := anchor.NewVerifier("custos-other", root.Cert).Verify(mustDecode(t, vote), now); !errors.Is(err, anchor.ErrBadSignature) {
		t.Errorf("Verify(vote) on another chain = %v, want ErrBadSignature", err)
	}
}

func mustDecode(t *testing.T, raw []byte) *anchor.Tx {
	t.Helper()
	tx, err := anchor.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestGovKeyRefusals: the PIN of a token's key comes from exactly one of
// --pin-env and --pin-file, never from the URI, and the PIN flags are
// refused for a key file; each is a usage error (exit status 2) before any
// token is opened.
func TestGovKeyRefusals(t *testing.T) {
	const uri = "pkcs11:token=t;object=governance?module-path=/nonexistent/libpkcs11.so"
	for _, c := range []struct {
		name string
		ref  govKeyRef
		want string
	}{
		{"no PIN", govKeyRef{key: uri}, "exactly one of --pin-env and --pin-file"},
		{"both PINs", govKeyRef{key: uri, pinEnv: "X", pinFile: "/x"}, "exactly one of --pin-env and --pin-file"},
		{"PIN in the URI", govKeyRef{key: uri + "&pin-value=1234", pinEnv: "X"}, "pin-value is refused"},
		{"PIN flag for a file", govKeyRef{key: "governance.key", pinEnv: "X"}, "are for a key in a PKCS#11 token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.ref.open(false)
			var ee exitError
			if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), c.want) {
				t.Errorf("open(%+v) = %v, want a usage error saying %q", c.ref, err, c.want)
			}
		})
	}
}

// courtCAFiles makes a test root and a court's organization CA under it,
// and writes the CA's certificate and key as PEM into dir (org-ca.pem and
// org-ca.key), as the governance and PKI commands take them.
func courtCAFiles(t *testing.T, dir string, now time.Time) (root, org *certs.Authority, caPath, caKeyPath string) {
	t.Helper()
	root, err := certs.NewRoot("Test Root", now)
	if err != nil {
		t.Fatal(err)
	}
	if org, err = root.NewOrgCA(certs.KindCourt, "Test Court", now); err != nil {
		t.Fatal(err)
	}
	caKey, err := certs.EncodeKeyPEM(org.Signer)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "org-ca.key")
	if err := os.WriteFile(keyPath, caKey, 0o600); err != nil { // a private key, its owner's alone
		t.Fatal(err)
	}
	return root, org, writeFile(t, dir, "org-ca.pem", certs.EncodePEM(org.Cert)), keyPath
}

// TestGovKeyFileMode: a governance key or an organization CA key in a file
// that other users may read is refused before it is used, as ssh refuses an
// unprotected private key and custos refuses a readable profile file; chmod
// 600 makes it usable. A key the command makes is written 0600.
func TestGovKeyFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "governance.key")
	made, err := openKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	made.close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("a new key file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if k, err := openKeyFile(path, false); err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			if k != nil {
				k.close()
			}
			t.Errorf("a key file of mode %04o: %v; want it refused, saying chmod 600", mode, err)
		}
		if _, err := readPrivateFile(path); err == nil {
			t.Errorf("readPrivateFile of mode %04o: no error", mode)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := openKeyFile(path, false)
	if err != nil {
		t.Fatalf("the key file at 0600: %v", err)
	}
	k.close()
}
