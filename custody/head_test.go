package custody

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func testHead() *Head {
	return &Head{V: HeadVersion, Evidence: "mfrggzdfmztwq2lknnwg23tpoa", Count: 4,
		Root: strings.Repeat("ab", 32), Types: map[string]uint32{"created": 1, "viewed": 2, "downloaded": 1}}
}

func TestHeadEncoding(t *testing.T) {
	b, err := testHead().Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"evidence":"mfrggzdfmztwq2lknnwg23tpoa","count":4,"root":"` + strings.Repeat("ab", 32) +
		`","types":{"created":1,"downloaded":1,"viewed":2}}`
	if string(b) != want {
		t.Fatalf("Encode() = %s\nwant       %s", b, want)
	}
	h, err := DecodeHead(b)
	if err != nil || h.Count != 4 || h.Types["viewed"] != 2 {
		t.Fatalf("DecodeHead = %+v, %v", h, err)
	}
	bad := map[string]string{
		"white space":     strings.Replace(want, `"count":4`, `"count": 4`, 1),
		"types unsorted":  strings.Replace(want, `{"created":1,"downloaded":1,"viewed":2}`, `{"viewed":2,"created":1,"downloaded":1}`, 1),
		"counts mismatch": strings.Replace(want, `"count":4`, `"count":5`, 1),
		"zero type count": strings.Replace(want, `"downloaded":1,"viewed":2`, `"downloaded":0,"viewed":3`, 1),
		"version 2":       strings.Replace(want, `"v":1`, `"v":2`, 1),
		"unknown field":   strings.Replace(want, `}}`, `},"x":1}`, 1),
		"trailing":        want + " ",
		"upper hex root":  strings.Replace(want, strings.Repeat("ab", 32), strings.Repeat("AB", 32), 1),
		"no events":       `{"v":1,"evidence":"mfrggzdfmztwq2lknnwg23tpoa","count":0,"root":"` + strings.Repeat("ab", 32) + `","types":{}}`,
	}
	for name, s := range bad {
		if _, err := DecodeHead([]byte(s)); !errors.Is(err, ErrBadHead) {
			t.Errorf("%s: DecodeHead = %v, want ErrBadHead", name, err)
		}
	}
}

func TestHeadKey(t *testing.T) {
	a, b := HeadKey("mfrggzdfmztwq2lknnwg23tpoa"), HeadKey("mfrggzdfmztwq2lknnwg23tpob")
	if a == b || bytes.Contains(a[:], []byte("mfrggz")) {
		t.Errorf("HeadKey: %x %x", a, b)
	}
}

func FuzzDecodeHead(f *testing.F) {
	b, _ := testHead().Encode()
	f.Add(b)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHead(b)
		if err != nil {
			if !errors.Is(err, ErrBadHead) {
				t.Fatalf("DecodeHead = %v, want ErrBadHead", err)
			}
			return
		}
		again, err := h.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("DecodeHead(b).Encode() = %s, %v; want %s", again, err, b)
		}
	})
}
