package receipt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good, err := os.ReadFile(goldenReceipt)
	check(t, err)
	s := string(good)
	tests := []struct {
		name string
		in   string
	}{
		{"white space", strings.Replace(s, `{"version":1,`, `{"version": 1,`, 1)},
		{"trailing newline", s + "\n"},
		{"trailing data", s + "{}"},
		{"unknown field", strings.Replace(s, `{"version":1,`, `{"version":1,"x":1,`, 1)},
		{"duplicate field", strings.Replace(s, `{"version":1,`, `{"version":1,"version":1,`, 1)},
		{"key case", strings.Replace(s, `{"version":1,`, `{"Version":1,`, 1)},
		{"version 2", strings.Replace(s, `{"version":1,`, `{"version":2,`, 1)},
		{"null proof", strings.Replace(s, `"proof":[`, `"proof":null,"x":[`, 1)},
		{"uppercase hex", strings.Replace(s, `"root":"`, `"root":"A`, 1)},
		{"escaped slash", strings.Replace(s, `text/plain`, `text\/plain`, 1)},
		{"base64 line break", strings.Replace(s, `"timestamps":["`, `"timestamps":["\n`, 1)},
		{"no events", s[:strings.Index(s, `"events":[`)] + `"events":[],` + s[strings.Index(s, `"checkpoint":`):]},
		{"not JSON", "receipt"},
		{"empty", ""},
	}
	if _, err := Parse(good); err != nil {
		t.Fatalf("Parse(golden) = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.in)); !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(%s) = %v, want ErrMalformed", tt.name, err)
			}
		})
	}
}

func TestEncodeEmptyProof(t *testing.T) {
	r, _, _ := golden(t)
	r.Events[0].Proof = nil
	b, err := r.Encode()
	check(t, err)
	if !bytes.Contains(b, []byte(`"proof":[]`)) || bytes.Contains(b, []byte("null")) {
		t.Errorf("Encode() with a nil proof = %s, want \"proof\":[]", b)
	}
}

func TestParseTrust(t *testing.T) {
	good, err := os.ReadFile(goldenTrust)
	check(t, err)
	if _, err := ParseTrust(good); err != nil {
		t.Fatalf("ParseTrust(golden) = %v", err)
	}
	s := string(good)
	_, tr, _ := golden(t)
	key := tr.Validators[1].PubKey
	tests := []struct {
		name string
		in   string
	}{
		{"unknown field", strings.Replace(s, `"version": 1,`, `"version": 1, "x": 1,`, 1)},
		{"trailing data", s + "{}"},
		{"version 2", strings.Replace(s, `"version": 1,`, `"version": 2,`, 1)},
		{"no chain ID", strings.Replace(s, `"chain_id": "custos-test-1"`, `"chain_id": ""`, 1)},
		{"no validators", s[:strings.Index(s, `"validators": [`)] + `"validators": [],` + s[strings.Index(s, `"tsa_chain_pem"`):]},
		{"short key", strings.Replace(s, key, key[:40], 1)},
		{"duplicate key", strings.Replace(s, tr.Validators[2].PubKey, key, 1)},
		{"zero power", strings.Replace(s, `"power": 10`, `"power": 0`, 1)},
		{"bad root", strings.Replace(s, `"root_pem": "-----BEGIN CERTIFICATE-----\nMII`, `"root_pem": "-----BEGIN CERTIFICATE-----\nXII`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in == s {
				t.Fatal("the edit changed nothing")
			}
			if _, err := ParseTrust([]byte(tt.in)); !errors.Is(err, ErrBadTrust) {
				t.Errorf("ParseTrust(%s) = %v, want ErrBadTrust", tt.name, err)
			}
		})
	}
}

// FuzzParse: Parse never panics, and whatever it accepts re-encodes to the
// same bytes.
func FuzzParse(f *testing.F) {
	good, err := os.ReadFile(goldenReceipt)
	check(f, err)
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	v5, err := os.ReadFile(filepath.Join(vectorDir, "valid", "v5-evidence-record.json")) // with evidence_record
	check(f, err)
	f.Add(v5)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		again, err := r.Encode()
		if err != nil {
			t.Fatalf("Parse accepted %q but Encode failed: %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("Parse(%q).Encode() = %q", b, again)
		}
	})
}
