package receipt

// The vector of docs/receipt.md §3.1 check 1 (added in session 17): a
// receipt over MaxSize (64 MiB) that breaks no other check. Its file would
// be 64 MiB, so it is committed as a template and an expand rule in
// vectors.json (docs/receipt.md §7): the receipt's bytes are the file's
// first `at` bytes, then `repeat` written `times` times, then the rest of
// the file. The generator cuts the rule out of the receipt it builds;
// runners put it back.

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/cms"
)

// vectorExpand is a vector's expand rule.
type vectorExpand struct {
	At     int    `json:"at"`
	Repeat string `json:"repeat"`
	Times  int    `json:"times"`
}

// expand is the receipt a template stands for under e.
func (e *vectorExpand) expand(template []byte) []byte {
	if e == nil {
		return template
	}
	out := make([]byte, 0, len(template)+len(e.Repeat)*e.Times)
	out = append(out, template[:e.At]...)
	out = append(out, strings.Repeat(e.Repeat, e.Times)...)
	return append(out, template[e.At:]...)
}

// cutRun makes b (over MaxSize) a template and its rule: it cuts out the
// longest run of one byte, leaving 0 to 3 of it, so that the template's
// run is 2 bytes shorter modulo 4 than b's. The run lies in a base64
// string, so the template alone is refused at step format (§3.1 check 4:
// not canonical base64) by a runner that does not expand it.
func cutRun(t testing.TB, b []byte) ([]byte, *vectorExpand) {
	t.Helper()
	start, n := 0, 0
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] == b[i] {
			j++
		}
		if j-i > n {
			start, n = i, j-i
		}
		i = j
	}
	times := n - (n+2)%4
	if times <= 0 {
		t.Fatalf("no run of one byte to cut (longest %d)", n)
	}
	e := &vectorExpand{At: start, Repeat: string(b[start]), Times: times}
	tmpl := append(bytes.Clone(b[:start]), b[start+times:]...)
	if !bytes.Equal(e.expand(tmpl), b) {
		t.Fatal("cutRun: the template does not expand to the receipt")
	}
	return tmpl, e
}

// oversizeReceipt is a valid version-1 receipt of the smallest length
// over MaxSize that its construction allows: its token is inputs.json's
// reply with a PKIStatusInfo statusString (RFC 3161 §2.4.2: free text, here
// NUL characters, base64 "A…") long enough, the created event lists that
// reply's SHA-256, and the rest is rebuilt around it. The token's CMS
// signature covers the TSTInfo, not the status, so every check but 1
// holds (TestRuleVectors verifies it with the bound lifted).
func oversizeReceipt(t testing.TB, b *vectorBase) []byte {
	t.Helper()
	reply, err := base64.StdEncoding.DecodeString(b.inputs.Token)
	check(t, err)
	status, token, err := cms.SplitResponse(reply)
	if err != nil || !bytes.Equal(status, []byte{0x30, 0x03, 0x02, 0x01, 0x00}) {
		t.Fatalf("inputs.json's token: status %x, %v; want granted without a statusString", status, err)
	}
	padded := func(n int) []byte {
		free := derTLV(0x30, derTLV(0x0c, make([]byte, n))) // PKIFreeText: one UTF8String
		st := derTLV(0x30, append([]byte{0x02, 0x01, 0x00}, free...))
		return derTLV(0x30, append(st, token...))
	}
	// Every DER length above 2^24 takes 5 bytes, so over that the reply is
	// a constant k longer than its statusString.
	const above = 1 << 24
	k := len(padded(above)) - above
	small := encode(t, b.receipt(t, receiptOpts{token: base64.StdEncoding.EncodeToString(padded(above))}))
	base := len(small) - base64.StdEncoding.EncodedLen(above+k)
	groups := (MaxSize-base)/4 + 1 // the fewest base64 groups that take the receipt over MaxSize
	r := encode(t, b.receipt(t, receiptOpts{token: base64.StdEncoding.EncodeToString(padded(3*groups - k))}))
	if len(r) <= MaxSize || len(r) > MaxSize+4 {
		t.Fatalf("the oversize receipt has %d bytes, want %d to %d", len(r), MaxSize+1, MaxSize+4)
	}
	return r
}

// derTLV is a DER tag, length and content.
func derTLV(tag byte, content []byte) []byte {
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	default:
		var l []byte
		for ; n > 0; n >>= 8 {
			l = append([]byte{byte(n)}, l...)
		}
		out = append(append(out, 0x80|byte(len(l))), l...)
	}
	return append(out, content...)
}
