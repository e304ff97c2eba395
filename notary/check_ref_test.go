package notary

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/rfc3161"
)

// refCheck is Check as it was before checkSignature parsed the token once:
// the reference the current code must agree with.
func refCheck(reply []byte, h crypto.Hash, digest []byte, roots *x509.CertPool, intermediates []*x509.Certificate) (*timestamp.Timestamp, error) {
	token, err := checkStatus(reply)
	if err != nil {
		return nil, err
	}
	ts, signer, err := refCheckSignature(token, intermediates)
	if err != nil {
		return nil, err
	}
	if err := checkImprint(ts, h, digest); err != nil {
		return nil, err
	}
	if err := checkChain(signer, ts, roots, intermediates); err != nil {
		return nil, err
	}
	return ts, nil
}

// refCheckSignature is the former checkSignature: pkcs7.Parse, then
// timestamp.Parse, which parses the token a second time.
func refCheckSignature(token []byte, intermediates []*x509.Certificate) (*timestamp.Timestamp, *x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: token: %w", ErrBadReply, err)
	}
	if err := checkContentType(token, p7.UnmarshalSignedAttribute); err != nil {
		return nil, nil, err
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: token: %w", ErrBadReply, err)
	}
	if len(p7.Certificates) == 0 {
		p7.Certificates = intermediates
		if err := p7.Verify(); err != nil {
			return nil, nil, fmt.Errorf("%w: signature: %w", ErrBadReply, err)
		}
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, nil, fmt.Errorf("%w: token has no single signer with a known certificate", ErrBadReply)
	}
	if err := checkSigningCert(p7.UnmarshalSignedAttribute, signer); err != nil {
		return nil, nil, err
	}
	return ts, signer, nil
}

// sameAsRef fails unless got/gotErr (Check or Checker.Check) is what the
// reference gave: the same error text and sentinels, or an equal token.
func sameAsRef(t *testing.T, name string, got *timestamp.Timestamp, gotErr error, want *timestamp.Timestamp, wantErr error) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && errText(gotErr) != errText(wantErr)) {
		t.Fatalf("%s: error %v, want %v (reference)", name, gotErr, wantErr)
	}
	for _, sentinel := range []error{ErrBadReply, ErrMismatch, ErrUntrusted} {
		if errors.Is(gotErr, sentinel) != errors.Is(wantErr, sentinel) {
			t.Fatalf("%s: error %v, want %v (reference)", name, gotErr, wantErr)
		}
	}
	if gotErr != nil {
		return
	}
	// Certificates are distinct but equal objects: compare their DER.
	g, w := *got, *want
	if len(g.Certificates) != len(w.Certificates) || (g.Certificates == nil) != (w.Certificates == nil) {
		t.Fatalf("%s: %d certificates, want %d (nil %v, want nil %v)", name, len(g.Certificates), len(w.Certificates), g.Certificates == nil, w.Certificates == nil)
	}
	for i := range g.Certificates {
		if !bytes.Equal(g.Certificates[i].Raw, w.Certificates[i].Raw) {
			t.Fatalf("%s: certificate %d differs from the reference's", name, i)
		}
	}
	g.Certificates, w.Certificates = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: token\n%+v\nwant (reference)\n%+v", name, g, w)
	}
}

// pointer is a pointer value that encoding/asn1 prints in its structure
// errors (a field's defaultValue), which differs between two parsers.
var pointer = regexp.MustCompile(`0x[0-9a-f]{6,}`)

func errText(err error) string { return pointer.ReplaceAllString(err.Error(), "0x...") }

// TestCheckMatchesReference checks that Check and Checker.Check (cold and
// warm) give exactly what the two-parse reference gives, on good tokens and
// on every single-byte corruption of them, truncations included.
func TestCheckMatchesReference(t *testing.T) {
	now := time.Now()
	p := newTestPKI(t, now)
	tsa := newTestTSA(t, p, nil)
	other := newTestPKI(t, now)
	digest := digestOf("evidence")
	good := stamp(t, tsa, digest)
	bare, err := NewTSA(TSAConfig{Cert: p.tsa.Cert, Signer: p.tsa.Signer})
	if err != nil {
		t.Fatal(err)
	}
	bareReply := stamp(t, bare, digest)
	// certReq absent: a token without certificates, checked with the chain
	// from intermediates.
	noCerts, err := tsa.Respond(mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest}))
	if err != nil {
		t.Fatal(err)
	}
	withTSA := append([]*x509.Certificate{p.tsa.Cert}, p.tsa.Chain...)
	type input struct {
		name          string
		reply         []byte
		hash          crypto.Hash
		digest        []byte
		intermediates []*x509.Certificate
	}
	base := []input{
		{"good", good, crypto.SHA256, digest, nil},
		{"good with intermediates", good, crypto.SHA256, digest, p.tsa.Chain},
		{"other digest", good, crypto.SHA256, digestOf("other"), nil},
		{"other hash", good, crypto.SHA512, hashOf(crypto.SHA512, "evidence"), nil},
		{"garbage", []byte("not a reply"), crypto.SHA256, digest, nil},
		{"empty", nil, crypto.SHA256, digest, nil},
		{"rejection", tsa.reject(timestamp.BadAlgorithm), crypto.SHA256, digest, nil},
		{"other consortium", stamp(t, newTestTSA(t, other, nil), digest), crypto.SHA256, digest, nil},
		{"other consortium's chain given", good, crypto.SHA256, digest, other.tsa.Chain},
		{"bare token, org CA given", bareReply, crypto.SHA256, digest, []*x509.Certificate{p.org.Cert}},
		{"bare token, org CA missing", bareReply, crypto.SHA256, digest, nil},
		{"no certificates, TSA certificate and chain given", noCerts, crypto.SHA256, digest, withTSA},
		{"no certificates, TSA certificate only", noCerts, crypto.SHA256, digest, []*x509.Certificate{p.tsa.Cert}},
		{"no certificates, chain without the TSA certificate", noCerts, crypto.SHA256, digest, p.tsa.Chain},
		{"no certificates, org CA only", noCerts, crypto.SHA256, digest, []*x509.Certificate{p.org.Cert}},
		{"no certificates, none given", noCerts, crypto.SHA256, digest, nil},
		{"no certificates, other chain", noCerts, crypto.SHA256, digest, other.tsa.Chain},
	}
	// The good token with every constructed element inside it in BER's
	// indefinite-length form: not DER, so the pkcs7 path decides.
	ber := func(reply []byte) []byte {
		elems, err := splitSequence(reply)
		if err != nil {
			t.Fatal(err)
		}
		tok := elems[1].FullBytes
		var inner []byte
		for b := tok[2+lengthSize(len(elems[1].Bytes))-1:]; len(b) > 0; {
			n, _ := berElement(b, 0)
			inner = append(inner, toIndefinite(t, b[:n])...)
			b = b[n:]
		}
		return cms.TLV(cms.TagSequence, elems[0].FullBytes, cms.TLV(tok[0], inner))
	}
	berReply := ber(good)
	if token, err := checkStatus(berReply); err != nil || berIdentity(token) {
		t.Fatalf("BER reply: checkStatus() = %v, berIdentity = %v; want a token that is not DER", err, err == nil && berIdentity(token))
	}
	base = append(base, input{"BER token", berReply, crypto.SHA256, digest, nil}, input{"BER token without certificates", ber(noCerts), crypto.SHA256, digest, withTSA})
	inputs := append([]input(nil), base...)
	for _, in := range base[:1] {
		inputs = append(inputs, input{in.name + ", trailing byte", append(bytes.Clone(in.reply), 0), in.hash, in.digest, in.intermediates})
	}
	// Every byte of a token with and without certificates, flipped two
	// ways, and every truncation of the reply.
	for _, src := range []input{base[0], base[11]} {
		for i := range src.reply {
			for _, mask := range []byte{0x01, 0x80} {
				b := bytes.Clone(src.reply)
				b[i] ^= mask
				inputs = append(inputs, input{fmt.Sprintf("%s, byte %d ^ %#x", src.name, i, mask), b, src.hash, src.digest, src.intermediates})
			}
			inputs = append(inputs, input{fmt.Sprintf("%s, truncated to %d", src.name, i), src.reply[:i], src.hash, src.digest, src.intermediates})
		}
	}
	warm := rfc3161.NewChecker(p.roots)
	if _, err := warm.Check(good, crypto.SHA256, digest, nil); err != nil {
		t.Fatalf("Checker.Check(good) = %v", err)
	}
	// The DER fast path takes the good tokens (else this test would prove
	// nothing about it).
	for _, in := range []input{base[0], base[11]} {
		token, err := checkStatus(in.reply)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := checkSignatureDER(token, in.intermediates, nil); !ok {
			t.Fatalf("%s: checkSignatureDER() !ok, want the fast path", in.name)
		}
	}
	var accepted, rejected, fast int
	for _, in := range inputs {
		if token, err := checkStatus(in.reply); err == nil {
			if _, _, ok := checkSignatureDER(token, in.intermediates, nil); ok {
				fast++
			}
		}
		want, wantErr := refCheck(in.reply, in.hash, in.digest, p.roots, in.intermediates)
		if wantErr == nil {
			accepted++
		} else {
			rejected++
		}
		got, err := Check(in.reply, in.hash, in.digest, p.roots, in.intermediates)
		sameAsRef(t, in.name+" (Check)", got, err, want, wantErr)
		got, err = warm.Check(in.reply, in.hash, in.digest, in.intermediates)
		sameAsRef(t, in.name+" (warm Checker)", got, err, want, wantErr)
	}
	for _, in := range base {
		want, wantErr := refCheck(in.reply, in.hash, in.digest, p.roots, in.intermediates)
		got, err := rfc3161.NewChecker(p.roots).Check(in.reply, in.hash, in.digest, in.intermediates)
		sameAsRef(t, in.name+" (cold Checker)", got, err, want, wantErr)
	}
	t.Logf("%d inputs: %d accepted, %d rejected; fast path took %d", len(inputs), accepted, rejected, fast)
	if accepted < 5 || rejected < len(inputs)/2 {
		t.Fatalf("%d accepted, %d rejected: the table does not exercise both outcomes", accepted, rejected)
	}
}

// toIndefinite re-encodes the DER element b with every constructed element
// in indefinite-length form (X.690 §8.1.3.6).
func toIndefinite(t *testing.T, b []byte) []byte {
	var e asn1.RawValue
	if rest, err := asn1.Unmarshal(b, &e); err != nil || len(rest) != 0 {
		t.Fatalf("toIndefinite: %v", err)
	}
	if !e.IsCompound {
		return b
	}
	hdr := len(e.FullBytes) - len(e.Bytes)
	out := append([]byte(nil), b[:hdr-lengthSize(len(e.Bytes))]...)
	out = append(out, 0x80)
	for c := e.Bytes; len(c) > 0; {
		var child asn1.RawValue
		rest, err := asn1.Unmarshal(c, &child)
		if err != nil {
			t.Fatalf("toIndefinite: %v", err)
		}
		out = append(out, toIndefinite(t, child.FullBytes)...)
		c = rest
	}
	return append(out, 0, 0)
}

// lengthSize is the size of the DER length octets for n bytes of contents.
func lengthSize(n int) int { return cms.Size(n) - n - 1 }
