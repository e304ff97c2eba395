package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testPKI builds root → org CA → TSA in memory.
func testPKI(t testing.TB) (*Authority, *Authority, *Leaf) {
	t.Helper()
	root, err := NewRoot("Test Root", testNow)
	if err != nil {
		t.Fatalf("NewRoot() = %v", err)
	}
	org, err := root.NewOrgCA(KindCourt, "Test Court", testNow)
	if err != nil {
		t.Fatalf("NewOrgCA() = %v", err)
	}
	tsa, err := org.IssueTSA("Test TSA", testNow)
	if err != nil {
		t.Fatalf("IssueTSA() = %v", err)
	}
	return root, org, tsa
}

func TestChainVerifies(t *testing.T) {
	root, org, tsa := testPKI(t)
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter := x509.NewCertPool()
	inter.AddCert(org.Cert)
	tests := []struct {
		name    string
		roots   *x509.CertPool
		inter   *x509.CertPool
		at      time.Time
		usage   x509.ExtKeyUsage
		wantErr bool
	}{
		{"now", roots, inter, testNow, x509.ExtKeyUsageTimeStamping, false},
		{"in four years", roots, inter, testNow.AddDate(4, 0, 0), x509.ExtKeyUsageTimeStamping, false},
		{"after TSA expiry", roots, inter, testNow.AddDate(6, 0, 0), x509.ExtKeyUsageTimeStamping, true},
		{"before issue", roots, inter, testNow.Add(-time.Hour), x509.ExtKeyUsageTimeStamping, true},
		{"missing intermediate", roots, x509.NewCertPool(), testNow, x509.ExtKeyUsageTimeStamping, true},
		{"other root", x509.NewCertPool(), inter, testNow, x509.ExtKeyUsageTimeStamping, true},
		{"wrong usage", roots, inter, testNow, x509.ExtKeyUsageServerAuth, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tsa.Cert.Verify(x509.VerifyOptions{
				Roots: tt.roots, Intermediates: tt.inter, CurrentTime: tt.at,
				KeyUsages: []x509.ExtKeyUsage{tt.usage},
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("Verify() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	if len(tsa.Chain) != 2 || tsa.Chain[0] != org.Cert || tsa.Chain[1] != root.Cert {
		t.Errorf("TSA chain = %v, want [org root]", tsa.Chain)
	}
}

func TestCertificateProfiles(t *testing.T) {
	root, org, tsa := testPKI(t)
	tests := []struct {
		name        string
		cert        *x509.Certificate
		isCA        bool
		maxPathLen  int
		keyUsage    x509.KeyUsage
		validity    time.Duration
		orgUnitKind string
	}{
		{"root", root.Cert, true, 1, x509.KeyUsageCertSign | x509.KeyUsageCRLSign, RootValidity, ""},
		{"org", org.Cert, true, 0, x509.KeyUsageCertSign | x509.KeyUsageCRLSign, OrgCAValidity, KindCourt},
		{"tsa", tsa.Cert, false, -1, x509.KeyUsageDigitalSignature, TSAValidity, KindCourt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cert
			if c.IsCA != tt.isCA {
				t.Errorf("IsCA = %v, want %v", c.IsCA, tt.isCA)
			}
			if tt.isCA && c.MaxPathLen != tt.maxPathLen {
				t.Errorf("MaxPathLen = %d, want %d", c.MaxPathLen, tt.maxPathLen)
			}
			if c.KeyUsage != tt.keyUsage {
				t.Errorf("KeyUsage = %b, want %b", c.KeyUsage, tt.keyUsage)
			}
			if got := c.NotAfter.Sub(testNow); got != tt.validity {
				t.Errorf("validity = %v, want %v", got, tt.validity)
			}
			if c.SerialNumber.BitLen() < 64 || c.SerialNumber.BitLen() > 128 {
				t.Errorf("serial has %d bits, want a random 128-bit value", c.SerialNumber.BitLen())
			}
			if tt.orgUnitKind != "" && (len(c.Subject.OrganizationalUnit) != 1 || c.Subject.OrganizationalUnit[0] != tt.orgUnitKind) {
				t.Errorf("OU = %v, want [%s]", c.Subject.OrganizationalUnit, tt.orgUnitKind)
			}
		})
	}
}

func TestTSAExtendedKeyUsageIsCritical(t *testing.T) {
	_, org, tsa := testPKI(t)
	var n int
	for _, ext := range tsa.Cert.Extensions {
		if ext.Id.Equal(OIDExtKeyUsage) {
			n++
			if !ext.Critical {
				t.Errorf("EKU extension critical = false, want true")
			}
		}
	}
	if n != 1 {
		t.Fatalf("TSA certificate has %d EKU extensions, want 1", n)
	}
	if len(tsa.Cert.ExtKeyUsage) != 1 || tsa.Cert.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		t.Errorf("parsed ExtKeyUsage = %v, want [timeStamping]", tsa.Cert.ExtKeyUsage)
	}
	if err := CheckTSA(tsa.Cert); err != nil {
		t.Errorf("CheckTSA(tsa) = %v, want nil", err)
	}
	if err := CheckTSA(org.Cert); !errors.Is(err, ErrNotTSA) {
		t.Errorf("CheckTSA(org CA) = %v, want ErrNotTSA", err)
	}
}

func TestIssuerRules(t *testing.T) {
	root, org, _ := testPKI(t)
	if _, err := root.NewOrgCA("bank", "X", testNow); !errors.Is(err, ErrKind) {
		t.Errorf("NewOrgCA(bank) = %v, want ErrKind", err)
	}
	if _, err := org.NewOrgCA(KindNotary, "X", testNow); !errors.Is(err, ErrNotCA) {
		t.Errorf("orgCA.NewOrgCA() = %v, want ErrNotCA", err)
	}
}

func TestPEM(t *testing.T) {
	root, org, _ := testPKI(t)
	good := EncodePEM(root.Cert, org.Cert)
	tests := []struct {
		name    string
		in      []byte
		want    int
		wantErr bool
	}{
		{"two", good, 2, false},
		{"trailing newlines", append(append([]byte{}, good...), "\n\n"...), 2, false},
		{"empty", nil, 0, true},
		{"trailing garbage", append(append([]byte{}, good...), "junk"...), 0, true},
		{"key block", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0, true},
		{"bad DER", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePEM(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePEM() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrPEM) {
				t.Errorf("ParsePEM() = %v, want ErrPEM", err)
			}
			if len(got) != tt.want {
				t.Errorf("ParsePEM() = %d certs, want %d", len(got), tt.want)
			}
		})
	}
}

func TestLoadOrCreateDev(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	created, err := LoadOrCreateDev(dir, "Demo Office", testNow)
	if err != nil {
		t.Fatalf("LoadOrCreateDev(create) = %v", err)
	}
	loaded, err := LoadOrCreateDev(dir, "Other Name", testNow.Add(time.Hour))
	if err != nil {
		t.Fatalf("LoadOrCreateDev(load) = %v", err)
	}
	pairs := []struct {
		name      string
		got, want *x509.Certificate
	}{
		{"root", loaded.Root.Cert, created.Root.Cert},
		{"org", loaded.Org.Cert, created.Org.Cert},
		{"tsa", loaded.TSA.Cert, created.TSA.Cert},
	}
	for _, p := range pairs {
		if !bytes.Equal(p.got.Raw, p.want.Raw) {
			t.Errorf("reloaded %s certificate differs", p.name)
		}
	}
	if !SameKey(created.TSA.Cert, loaded.TSA.Signer) {
		t.Errorf("reloaded TSA key does not match the created certificate")
	}
	if got := loaded.Org.Cert.Subject.Organization; len(got) != 1 || got[0] != "Demo Office" {
		t.Errorf("org O = %v, want [Demo Office]", got)
	}
	if len(loaded.TSA.Chain) != 2 {
		t.Errorf("TSA chain length = %d, want 2", len(loaded.TSA.Chain))
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v (%v), want 0700", st.Mode().Perm(), err)
	}
	for _, name := range devFiles {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		want := os.FileMode(0o644)
		if filepath.Ext(name) == ".key" {
			want = 0o600
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", name, st.Mode().Perm(), want)
		}
	}
	for _, leftover := range []string{stagingDir, readyDir} {
		if _, err := os.Stat(filepath.Join(dir, leftover)); err == nil {
			t.Errorf("%s left behind", leftover)
		}
	}
}

func TestLoadOrCreateDevDamaged(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr error
	}{
		{"truncated key", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "tsa.key")
			b, _ := os.ReadFile(path)
			if err := os.WriteFile(path, b[:len(b)/2], 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrKey},
		{"swapped key", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "root.key"))
			if err := os.WriteFile(filepath.Join(dir, "tsa.key"), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, ErrKey},
		{"missing file", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "org-ca.key")); err != nil {
				t.Fatal(err)
			}
		}, ErrIncomplete},
		{"foreign org CA", func(t *testing.T, dir string) {
			other, err := LoadOrCreateDev(t.TempDir(), "Other", testNow)
			if err != nil {
				t.Fatal(err)
			}
			key, _ := EncodeKeyPEM(other.Org.Signer)
			_ = os.WriteFile(filepath.Join(dir, "org-ca.pem"), EncodePEM(other.Org.Cert), 0o644)
			_ = os.WriteFile(filepath.Join(dir, "org-ca.key"), key, 0o600)
		}, ErrChain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreateDev(dir, "Office", testNow); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)
			if _, err := LoadOrCreateDev(dir, "Office", testNow); !errors.Is(err, tt.wantErr) {
				t.Errorf("LoadOrCreateDev() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestLoadOrCreateDevCrash simulates crashes at both points of creation.
func TestLoadOrCreateDevCrash(t *testing.T) {
	t.Run("staging discarded", func(t *testing.T) {
		dir := t.TempDir()
		staging := filepath.Join(dir, stagingDir)
		if err := os.Mkdir(staging, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(staging, "root.pem"), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateDev(dir, "Office", testNow); err != nil {
			t.Fatalf("LoadOrCreateDev() after crash in staging = %v", err)
		}
		if _, err := os.Stat(staging); err == nil {
			t.Errorf("staging directory not removed")
		}
	})
	t.Run("ready rolled forward", func(t *testing.T) {
		src := t.TempDir()
		want, err := LoadOrCreateDev(src, "Office", testNow)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		ready := filepath.Join(dir, readyDir)
		if err := os.Mkdir(ready, 0o700); err != nil {
			t.Fatal(err)
		}
		// Crash midway through the move: half the files already in dir.
		for i, name := range devFiles {
			dst := filepath.Join(ready, name)
			if i < 3 {
				dst = filepath.Join(dir, name)
			}
			b, _ := os.ReadFile(filepath.Join(src, name))
			if err := os.WriteFile(dst, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		got, err := LoadOrCreateDev(dir, "Office", testNow)
		if err != nil {
			t.Fatalf("LoadOrCreateDev() after crash in move = %v", err)
		}
		if !bytes.Equal(got.TSA.Cert.Raw, want.TSA.Cert.Raw) || !bytes.Equal(got.Root.Cert.Raw, want.Root.Cert.Raw) {
			t.Errorf("rolled-forward PKI differs from the one being created")
		}
	})
}
