package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

func TestStampCheck(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	tsa := newTestTSA(t, p, nil)
	other := newTestPKI(t, now)
	digest := digestOf("evidence")
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest)
	if err != nil {
		t.Fatalf("Stamp() = %v", err)
	}
	tampered := bytes.Clone(tok.Reply)
	tampered[len(tampered)-3] ^= 0x01 // inside the signature
	tests := []struct {
		name    string
		reply   []byte
		hash    crypto.Hash
		digest  []byte
		roots   *x509.CertPool
		wantErr error
	}{
		{"good", tok.Reply, crypto.SHA256, digest, p.roots, nil},
		{"other digest", tok.Reply, crypto.SHA256, digestOf("other"), p.roots, ErrMismatch},
		{"other hash", tok.Reply, crypto.SHA512, hashOf(crypto.SHA512, "evidence"), p.roots, ErrMismatch},
		{"other root", tok.Reply, crypto.SHA256, digest, other.roots, ErrUntrusted},
		{"no roots", tok.Reply, crypto.SHA256, digest, nil, ErrUntrusted},
		{"tampered signature", tampered, crypto.SHA256, digest, p.roots, ErrBadReply},
		{"truncated", tok.Reply[:len(tok.Reply)-1], crypto.SHA256, digest, p.roots, ErrBadReply},
		{"trailing byte", append(bytes.Clone(tok.Reply), 0), crypto.SHA256, digest, p.roots, ErrBadReply},
		{"garbage", []byte("not a reply"), crypto.SHA256, digest, p.roots, ErrBadReply},
		{"rejection", tsa.reject(timestamp.BadAlgorithm), crypto.SHA256, digest, p.roots, ErrBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := Check(tt.reply, tt.hash, tt.digest, tt.roots, nil)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Check() = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (!ts.Time.Equal(tok.Time) || ts.SerialNumber.String() != tok.Serial) {
				t.Errorf("Check() = time %v serial %v, want %v %v", ts.Time, ts.SerialNumber, tok.Time, tok.Serial)
			}
		})
	}
}

func TestStampToken(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		t.Run(h.String(), func(t *testing.T) {
			digest := hashOf(h, "evidence")
			before := time.Now().Truncate(time.Second)
			tok, err := tsa.Stamp(context.Background(), h, digest)
			if err != nil {
				t.Fatalf("Stamp() = %v", err)
			}
			// digitorus parses the reply and verifies its embedded signature.
			ts, err := timestamp.ParseResponse(tok.Reply)
			if err != nil {
				t.Fatalf("timestamp.ParseResponse() = %v", err)
			}
			if ts.HashAlgorithm != h || !bytes.Equal(ts.HashedMessage, digest) {
				t.Errorf("imprint = %v %x, want %v %x", ts.HashAlgorithm, ts.HashedMessage, h, digest)
			}
			if !ts.Policy.Equal(DefaultPolicy) {
				t.Errorf("policy = %v, want %v", ts.Policy, DefaultPolicy)
			}
			if ts.Accuracy != time.Second {
				t.Errorf("accuracy = %v, want 1s", ts.Accuracy)
			}
			if len(ts.Certificates) != 3 || !ts.Certificates[0].Equal(p.tsa.Cert) {
				t.Errorf("embedded %d certificates, want TSA, org CA and root", len(ts.Certificates))
			}
			if tok.TSA != "Test TSA" || tok.URL != "" || tok.Serial != ts.SerialNumber.String() {
				t.Errorf("token = %q %q %q, want Test TSA, no URL, serial %v", tok.TSA, tok.URL, tok.Serial, ts.SerialNumber)
			}
			if !tok.Time.Equal(ts.Time) || tok.Time.Before(before) || tok.Time.After(time.Now()) || tok.Time.Location() != time.UTC {
				t.Errorf("token time = %v (genTime %v), want now in UTC", tok.Time, ts.Time)
			}
			if _, err := Check(tok.Reply, h, digest, p.roots, nil); err != nil {
				t.Errorf("Check() = %v", err)
			}
		})
	}
}

// TestSignedAttributesDER shows that the signed attributes are in DER SET
// OF order: pkcs7 re-encodes them with encoding/asn1, which sorts, before
// checking the signature, so any other order would fail.
func TestSignedAttributesDER(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tok, err := newTestTSA(t, p, nil).Stamp(context.Background(), crypto.SHA256, digestOf("x"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := checkStatus(tok.Reply)
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := p7.VerifyWithChainAtTime(p.roots, tok.Time); err != nil {
		t.Errorf("pkcs7 VerifyWithChainAtTime() = %v", err)
	}
}

func TestStampErrors(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		hash    crypto.Hash
		digest  []byte
		wantErr error
	}{
		{"SHA-1", context.Background(), crypto.SHA1, make([]byte, 20), ErrUnsupportedHash},
		{"short", context.Background(), crypto.SHA256, make([]byte, 31), ErrDigestSize},
		{"long", context.Background(), crypto.SHA256, make([]byte, 33), ErrDigestSize},
		{"SHA-384 size for SHA-512", context.Background(), crypto.SHA512, make([]byte, 48), ErrDigestSize},
		{"canceled", canceled, crypto.SHA256, make([]byte, 32), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tsa.Stamp(tt.ctx, tt.hash, tt.digest); !errors.Is(err, tt.wantErr) {
				t.Errorf("Stamp() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestCheckAfterExpiry stamps with a TSA certificate valid for one hour and
// checks the token a year later: the chain is evaluated at genTime.
func TestCheckAfterExpiry(t *testing.T) {
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	p := newTestPKI(t, start.Add(-time.Hour))
	leaf := shortLivedTSA(t, p, start, start.Add(time.Hour))
	stampAt := start.Add(30 * time.Minute)
	tsa, err := NewTSA(TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer, Now: fixedClock(stampAt)})
	if err != nil {
		t.Fatal(err)
	}
	digest := digestOf("old evidence")
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest)
	if err != nil {
		t.Fatalf("Stamp() = %v", err)
	}
	later := start.Add(365 * 24 * time.Hour)
	inter := x509.NewCertPool()
	inter.AddCert(p.org.Cert)
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: p.roots, Intermediates: inter, CurrentTime: later,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err == nil {
		t.Fatalf("the TSA certificate still verifies a year later; the test proves nothing")
	}
	if _, err := Check(tok.Reply, crypto.SHA256, digest, p.roots, nil); err != nil {
		t.Errorf("Check() after certificate expiry = %v, want nil", err)
	}

	// The TSA itself refuses to stamp once its certificate has expired.
	expired, err := NewTSA(TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer, Now: fixedClock(later)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := expired.Stamp(context.Background(), crypto.SHA256, digest); !errors.Is(err, ErrCertValidity) {
		t.Errorf("Stamp() with an expired certificate = %v, want ErrCertValidity", err)
	}
	reply, err := expired.Respond(mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest}))
	if err != nil {
		t.Fatal(err)
	}
	wantRejection(t, reply, timestamp.SystemFailure)
}

func TestNewTSA(t *testing.T) {
	p := newTestPKI(t, time.Now())
	other := newTestPKI(t, time.Now())
	tests := []struct {
		name string
		cfg  TSAConfig
		ok   bool
	}{
		{"good", TSAConfig{Cert: p.tsa.Cert, Chain: p.tsa.Chain, Signer: p.tsa.Signer}, true},
		{"no chain", TSAConfig{Cert: p.tsa.Cert, Signer: p.tsa.Signer}, true},
		{"custom policy", TSAConfig{Cert: p.tsa.Cert, Signer: p.tsa.Signer, Policy: asn1.ObjectIdentifier{1, 2, 3}, Accuracy: 1500 * time.Millisecond}, true},
		{"no signer", TSAConfig{Cert: p.tsa.Cert}, false},
		{"other key", TSAConfig{Cert: p.tsa.Cert, Signer: other.tsa.Signer}, false},
		{"CA certificate", TSAConfig{Cert: p.org.Cert, Signer: p.org.Signer}, false},
		{"foreign chain", TSAConfig{Cert: p.tsa.Cert, Chain: other.tsa.Chain, Signer: p.tsa.Signer}, false},
		{"negative accuracy", TSAConfig{Cert: p.tsa.Cert, Signer: p.tsa.Signer, Accuracy: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTSA(tt.cfg)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Errorf("NewTSA() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestAccuracyAndPrecision(t *testing.T) {
	p := newTestPKI(t, time.Now())
	at := time.Now().Truncate(time.Second).Add(123456789 * time.Nanosecond)
	tests := []struct {
		acc      time.Duration
		wantTime time.Time
	}{
		{time.Second, at.Truncate(time.Second)},
		{2500 * time.Millisecond, at.Truncate(time.Second)},
		{10 * time.Millisecond, at.Truncate(time.Millisecond)},
		{250 * time.Microsecond, at.Truncate(time.Microsecond)},
	}
	for _, tt := range tests {
		t.Run(tt.acc.String(), func(t *testing.T) {
			tsa, err := NewTSA(TSAConfig{Cert: p.tsa.Cert, Signer: p.tsa.Signer, Accuracy: tt.acc, Now: fixedClock(at)})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digestOf("x"))
			if err != nil {
				t.Fatal(err)
			}
			ts, err := timestamp.ParseResponse(tok.Reply)
			if err != nil {
				t.Fatal(err)
			}
			if ts.Accuracy != tt.acc {
				t.Errorf("accuracy = %v, want %v", ts.Accuracy, tt.acc)
			}
			if !ts.Time.Equal(tt.wantTime) || !tok.Time.Equal(tt.wantTime) {
				t.Errorf("genTime = %v, token %v, want %v", ts.Time, tok.Time, tt.wantTime)
			}
		})
	}
}

func TestStampConcurrent(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	var wg sync.WaitGroup
	serials := make([]string, 64)
	errs := make([]error, len(serials))
	for i := range serials {
		wg.Go(func() {
			d := digestOf(string(rune('a' + i)))
			tok, err := tsa.Stamp(context.Background(), crypto.SHA256, d)
			if err == nil {
				_, err = Check(tok.Reply, crypto.SHA256, d, p.roots, nil)
				serials[i] = tok.Serial
			}
			errs[i] = err
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if seen[serials[i]] {
			t.Errorf("serial %s issued twice", serials[i])
		}
		seen[serials[i]] = true
	}
}

// mustQuery encodes a TimeStampReq.
func mustQuery(t testing.TB, r timestamp.Request) []byte {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantRejection checks that reply is a rejection with failInfo info.
func wantRejection(t *testing.T, reply []byte, info timestamp.FailureInfo) {
	t.Helper()
	var resp struct{ Status statusInfo }
	if rest, err := asn1.Unmarshal(reply, &resp); err != nil || len(rest) != 0 {
		t.Fatalf("reply does not parse: %v", err)
	}
	if timestamp.Status(resp.Status.Status) != timestamp.Rejection {
		t.Fatalf("status = %v, want rejection", resp.Status.Status)
	}
	for i := 0; i < resp.Status.FailInfo.BitLength; i++ {
		if got := resp.Status.FailInfo.At(i) == 1; got != (i == int(info)) {
			t.Errorf("failInfo bit %d = %v, want only bit %d (%v)", i, got, info, info)
		}
	}
	if resp.Status.FailInfo.BitLength != int(info)+1 {
		t.Errorf("failInfo length %d, want %d (DER drops trailing zeros)", resp.Status.FailInfo.BitLength, int(info)+1)
	}
}

// opaqueSigner hides the key's type, as a signer held elsewhere would.
type opaqueSigner struct{ crypto.Signer }

// An in-process ECDSA key signs deterministically (RFC 6979): the same
// digest gives the same valid signature. Any other signer gets crypto/rand.
func TestDeterministicECDSA(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	if tsa.signRand != nil {
		t.Fatalf("signRand = %T for an *ecdsa.PrivateKey, want nil (RFC 6979)", tsa.signRand)
	}
	d := digestOf("same signed attributes")
	a, err := tsa.signer.Sign(tsa.signRand, d, tsa.signHash)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tsa.signer.Sign(tsa.signRand, d, tsa.signHash)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two signatures of one digest differ: the nonce is not deterministic")
	}
	if !ecdsa.VerifyASN1(p.tsa.Cert.PublicKey.(*ecdsa.PublicKey), d, a) {
		t.Error("the deterministic signature does not verify")
	}
	hidden, err := NewTSA(TSAConfig{Cert: p.tsa.Cert, Chain: p.tsa.Chain, Signer: opaqueSigner{p.tsa.Signer}})
	if err != nil {
		t.Fatal(err)
	}
	if hidden.signRand != rand.Reader {
		t.Errorf("signRand = %v for an opaque signer, want crypto/rand.Reader", hidden.signRand)
	}
	tok, err := hidden.Stamp(context.Background(), crypto.SHA256, digestOf("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkStatus(tok.Reply); err != nil {
		t.Fatal(err)
	}
}
