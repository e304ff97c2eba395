package ers

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/testenv"
)

// The test vector of docs/evidence-records.md: the record of the first of
// two items, time-stamped by a TSA whose token embeds no certificate, and
// the root, organization CA and TSA certificates that verify it.
var (
	vectorDir    = filepath.Join("testdata", "vector")
	vectorData   = [][]byte{[]byte("Custos evidence record test vector, item 0\n"), []byte("Custos evidence record test vector, item 1\n")}
	vectorTime   = t0.Add(time.Hour)
	vectorRecord = filepath.Join(vectorDir, "record.der")
	vectorCerts  = filepath.Join(vectorDir, "certs.pem") // root, organization CA, TSA
	vectorItem   = filepath.Join(vectorDir, "item.txt")
)

// TestVector checks the committed test vector: it decodes and encodes to
// the same bytes, verifies against the item's SHA-256 and the committed
// certificates at the time the document states, refuses another hash, and
// is the one printed in docs/evidence-records.md. With
// CUSTOS_UPDATE_GOLDEN=1 it makes a new vector first (new keys, so new
// bytes: update the document from the files).
func TestVector(t *testing.T) {
	if testenv.UpdateGolden() {
		writeVector(t)
	}
	der, err := os.ReadFile(vectorRecord)
	if err != nil {
		t.Fatal(err)
	}
	r := roundTrip(t, mustDecode(t, der))
	pem, err := os.ReadFile(vectorCerts)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := certs.ParsePEM(pem)
	if err != nil || len(cs) != 3 {
		t.Fatalf("certs.ParsePEM(%s) = %d certificates, %v; want 3", vectorCerts, len(cs), err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cs[0])
	opts := VerifyOptions{Roots: roots, Intermediates: cs[1:]}
	item, err := os.ReadFile(vectorItem)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(item)
	res, err := Verify(r, Hashes{crypto.SHA256: h[:]}, opts)
	if err != nil {
		t.Fatalf("Verify(vector) = %v", err)
	}
	if !res.Time.Equal(vectorTime) {
		t.Errorf("Verify(vector).Time = %v, want %v", res.Time, vectorTime)
	}
	other := sha256.Sum256([]byte("another item"))
	if _, err := Verify(r, Hashes{crypto.SHA256: other[:]}, opts); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(vector, another hash) = %v, want ErrMismatch", err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "evidence-records.md"))
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(doc)), "")
	for name, want := range map[string]string{
		"the record in base64":      base64.StdEncoding.EncodeToString(der),
		"the item's SHA-256 in hex": strings.ToLower(hexOf(h[:])),
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("docs/evidence-records.md does not show %s of %s: %s", name, vectorDir, want)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func mustDecode(t testing.TB, der []byte) *Record {
	t.Helper()
	r, err := Decode(der)
	if err != nil {
		t.Fatalf("Decode() = %v", err)
	}
	return r
}

// writeVector makes a new test vector in testdata/vector.
func writeVector(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "Test Vector TSA", t0)
	x.noCert = true
	b := build(t, x, vectorData)
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pem := certs.EncodePEM(p.root.Cert, p.org.Cert, x.leaf.Cert)
	for f, content := range map[string][]byte{vectorRecord: b.Record(0).Encode(), vectorCerts: pem, vectorItem: vectorData[0]} {
		if err := os.WriteFile(f, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(b.Record(0).Encode(), b.AppendRecord(nil, 0)) {
		t.Fatal("Record(0).Encode() differs from AppendRecord(nil, 0)")
	}
}
