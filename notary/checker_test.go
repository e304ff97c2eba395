package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/rfc3161"
)

// stamp issues a token over digest with tsa, failing the test on error.
func stamp(t testing.TB, tsa *TSA, digest []byte) []byte {
	t.Helper()
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest)
	if err != nil {
		t.Fatalf("Stamp() = %v", err)
	}
	return tok.Reply
}

// issue signs a certificate for a new P-256 key under parent, valid from
// notBefore to notAfter: a CA when ca is set, else a TSA certificate with
// the critical timeStamping extended key usage (RFC 3161 §2.3).
func issue(t testing.TB, parent *x509.Certificate, parentKey crypto.Signer, ca bool, notBefore, notAfter time.Time) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "Checker Test TSA"}, NotBefore: notBefore, NotAfter: notAfter}
	if ca {
		tmpl.Subject = pkix.Name{CommonName: "Checker Test CA", Organization: []string{"Checker Test"}, OrganizationalUnit: []string{certs.KindNotary}}
		tmpl.KeyUsage = x509.KeyUsageCertSign
		tmpl.BasicConstraintsValid, tmpl.IsCA, tmpl.MaxPathLenZero = true, true, true
	} else {
		eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{certs.OIDTimeStamping})
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtraExtensions = []pkix.Extension{{Id: certs.OIDExtKeyUsage, Critical: true, Value: eku}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// sameResult fails unless Checker.Check gave what Check gave.
func sameResult(t *testing.T, name string, ts *timestamp.Timestamp, err error, wantTS *timestamp.Timestamp, wantErr error) {
	t.Helper()
	if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%s: Checker.Check() = %v, want %v (as Check)", name, err, wantErr)
	}
	for _, sentinel := range []error{ErrBadReply, ErrMismatch, ErrUntrusted} {
		if errors.Is(err, sentinel) != errors.Is(wantErr, sentinel) {
			t.Fatalf("%s: Checker.Check() = %v, want %v (as Check)", name, err, wantErr)
		}
	}
	if err == nil && (!ts.Time.Equal(wantTS.Time) || ts.SerialNumber.Cmp(wantTS.SerialNumber) != 0 || !bytes.Equal(ts.RawToken, wantTS.RawToken)) {
		t.Fatalf("%s: Checker.Check() = time %v serial %v, want %v %v", name, ts.Time, ts.SerialNumber, wantTS.Time, wantTS.SerialNumber)
	}
}

// TestCheckerMatchesCheck checks that a Checker, cold and with the good
// token's chain cached, answers every reply exactly as Check does.
func TestCheckerMatchesCheck(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	tsa := newTestTSA(t, p, nil)
	other := newTestPKI(t, now)
	digest := digestOf("evidence")
	good := stamp(t, tsa, digest)
	tampered := bytes.Clone(good)
	tampered[len(tampered)-3] ^= 0x01 // inside the signature
	// A TSA that embeds only its own certificate: the chain needs the org
	// CA from intermediates.
	bare, err := NewTSA(TSAConfig{Cert: p.tsa.Cert, Signer: p.tsa.Signer})
	if err != nil {
		t.Fatal(err)
	}
	bareReply := stamp(t, bare, digest)
	tests := []struct {
		name          string
		reply         []byte
		hash          crypto.Hash
		digest        []byte
		intermediates []*x509.Certificate
	}{
		{"good", good, crypto.SHA256, digest, nil},
		{"good with intermediates", good, crypto.SHA256, digest, p.tsa.Chain},
		{"other digest", good, crypto.SHA256, digestOf("other"), nil},
		{"other hash", good, crypto.SHA512, hashOf(crypto.SHA512, "evidence"), nil},
		{"tampered signature", tampered, crypto.SHA256, digest, nil},
		{"truncated", good[:len(good)-1], crypto.SHA256, digest, nil},
		{"trailing byte", append(bytes.Clone(good), 0), crypto.SHA256, digest, nil},
		{"garbage", []byte("not a reply"), crypto.SHA256, digest, nil},
		{"rejection", tsa.reject(timestamp.BadAlgorithm), crypto.SHA256, digest, nil},
		{"other consortium", stamp(t, newTestTSA(t, other, nil), digest), crypto.SHA256, digest, nil},
		{"bare token, org CA given", bareReply, crypto.SHA256, digest, []*x509.Certificate{p.org.Cert}},
		{"bare token, org CA missing", bareReply, crypto.SHA256, digest, nil},
	}
	warm := rfc3161.NewChecker(p.roots)
	if _, err := warm.Check(good, crypto.SHA256, digest, nil); err != nil {
		t.Fatalf("Checker.Check(good) = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantTS, wantErr := Check(tt.reply, tt.hash, tt.digest, p.roots, tt.intermediates)
			cold := rfc3161.NewChecker(p.roots)
			for i, c := range []*rfc3161.Checker{cold, cold, warm} {
				ts, err := c.Check(tt.reply, tt.hash, tt.digest, tt.intermediates)
				sameResult(t, []string{"cold", "cold, again", "warm"}[i], ts, err, wantTS, wantErr)
			}
		})
	}
	if _, err := rfc3161.NewChecker(nil).Check(good, crypto.SHA256, digest, nil); !errors.Is(err, ErrUntrusted) {
		t.Errorf("rfc3161.NewChecker(nil).Check() = %v, want ErrUntrusted", err)
	}
}

// TestCheckerOtherSigner checks that a cached chain lets through no token
// of another signer, even one whose certificates carry the same names.
func TestCheckerOtherSigner(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	digest := digestOf("evidence")
	c := rfc3161.NewChecker(p.roots)
	if _, err := c.Check(stamp(t, newTestTSA(t, p, nil), digest), crypto.SHA256, digest, nil); err != nil {
		t.Fatalf("Checker.Check(good) = %v", err)
	}
	rogue := newTestPKI(t, now) // same names as p, other keys
	tests := []struct {
		name  string
		reply []byte
	}{
		{"same names, other root", stamp(t, newTestTSA(t, rogue, nil), digest)},
		{"other root's org CA and TSA, no root", func() []byte {
			tsa, err := NewTSA(TSAConfig{Cert: rogue.tsa.Cert, Chain: rogue.tsa.Chain[:1], Signer: rogue.tsa.Signer})
			if err != nil {
				t.Fatal(err)
			}
			return stamp(t, tsa, digest)
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, want := Check(tt.reply, crypto.SHA256, digest, p.roots, nil)
			if !errors.Is(want, ErrUntrusted) {
				t.Fatalf("Check() = %v, want ErrUntrusted; the test proves nothing", want)
			}
			if _, err := c.Check(tt.reply, crypto.SHA256, digest, nil); !errors.Is(err, ErrUntrusted) {
				t.Errorf("Checker.Check() = %v, want ErrUntrusted", err)
			}
		})
	}
}

// TestCheckerValidityWindow caches the chain of a TSA whose organization
// CA is valid for one hour, then checks a token the same TSA certificate
// (valid for two days) signed after that hour: the cached chain does not
// hold at its genTime, and the token is refused, as Check refuses it.
func TestCheckerValidityWindow(t *testing.T) {
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	p := newTestPKI(t, start.Add(-time.Hour))
	org, orgKey := issue(t, p.root.Cert, p.root.Signer, true, start, start.Add(time.Hour))
	cert, key := issue(t, org, orgKey, false, start, start.Add(48*time.Hour))
	tsaAt := func(at time.Time) *TSA {
		tsa, err := NewTSA(TSAConfig{Cert: cert, Signer: key, Now: fixedClock(at)}) // embeds only cert
		if err != nil {
			t.Fatal(err)
		}
		return tsa
	}
	inter := []*x509.Certificate{org}
	digest := digestOf("evidence")
	c := rfc3161.NewChecker(p.roots)
	tests := []struct {
		name    string
		at      time.Time
		wantErr error
	}{
		{"inside the window", start.Add(30 * time.Minute), nil},
		{"inside again (cached)", start.Add(59 * time.Minute), nil},
		{"after the org CA expired", start.Add(2 * time.Hour), ErrUntrusted},
		{"inside after a refusal", start.Add(10 * time.Minute), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := stamp(t, tsaAt(tt.at), digest)
			_, want := Check(reply, crypto.SHA256, digest, p.roots, inter)
			if !errors.Is(want, tt.wantErr) || (want == nil) != (tt.wantErr == nil) {
				t.Fatalf("Check() = %v, want %v; the test proves nothing", want, tt.wantErr)
			}
			_, err := c.Check(reply, crypto.SHA256, digest, inter)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Checker.Check() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestCheckerConcurrent checks tokens of two TSAs from many goroutines
// (run with -race).
func TestCheckerConcurrent(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	second, err := p.org.IssueTSA("Second TSA", now)
	if err != nil {
		t.Fatal(err)
	}
	tsa2, err := NewTSA(TSAConfig{Cert: second.Cert, Chain: second.Chain, Signer: second.Signer})
	if err != nil {
		t.Fatal(err)
	}
	digest := digestOf("evidence")
	replies := [][]byte{stamp(t, newTestTSA(t, p, nil), digest), stamp(t, tsa2, digest)}
	c := rfc3161.NewChecker(p.roots)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				if _, err := c.Check(replies[(g+i)%2], crypto.SHA256, digest, nil); err != nil {
					t.Errorf("Checker.Check() = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkCheck compares Check with a warm Checker on one token.
func BenchmarkCheck(b *testing.B) {
	p := newTestPKI(b, time.Now())
	digest := digestOf("bench")
	reply := stamp(b, newTestTSA(b, p, nil), digest)
	b.Run("Check", func(b *testing.B) {
		for b.Loop() {
			if _, err := Check(reply, crypto.SHA256, digest, p.roots, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Checker", func(b *testing.B) {
		c := rfc3161.NewChecker(p.roots)
		for b.Loop() {
			if _, err := c.Check(reply, crypto.SHA256, digest, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
