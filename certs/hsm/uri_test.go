package hsm_test

import (
	"bytes"
	"testing"

	"github.com/custos-project/custos/certs/hsm"
)

func TestParseURI(t *testing.T) {
	const mod = "module-path=/usr/lib/softhsm/libsofthsm2.so"
	tests := []struct {
		name, uri  string
		token, key string
		slot       int // -1: none
		id         []byte
		wantErr    bool
	}{
		{name: "token and object", uri: "pkcs11:token=custos-gov;object=governance?" + mod, token: "custos-gov", key: "governance", slot: -1},
		{name: "percent-encoded", uri: "pkcs11:token=Court%20Token;object=%E6%B2%BB%E7%90%86;id=%0a%01;type=private?" + mod,
			token: "Court Token", key: "治理", id: []byte{0x0a, 0x01}, slot: -1},
		{name: "slot and id", uri: "pkcs11:slot-id=3;id=%01?" + mod + "&x-vendor=1", id: []byte{1}, slot: 3},
		{name: "not a URI", uri: "governance.key", wantErr: true},
		{name: "no module", uri: "pkcs11:token=a;object=b", wantErr: true},
		{name: "no token", uri: "pkcs11:object=b?" + mod, wantErr: true},
		{name: "token and slot", uri: "pkcs11:token=a;slot-id=1;object=b?" + mod, wantErr: true},
		{name: "no key", uri: "pkcs11:token=a?" + mod, wantErr: true},
		{name: "PIN in clear", uri: "pkcs11:token=a;object=b?" + mod + "&pin-value=1234", wantErr: true},
		{name: "PIN source", uri: "pkcs11:token=a;object=b?" + mod + "&pin-source=file:/pin", wantErr: true},
		{name: "public key", uri: "pkcs11:token=a;object=b;type=public?" + mod, wantErr: true},
		{name: "unsupported attribute", uri: "pkcs11:token=a;object=b;serial=1?" + mod, wantErr: true},
		{name: "twice", uri: "pkcs11:token=a;object=b;object=c?" + mod, wantErr: true},
		{name: "bad escape", uri: "pkcs11:token=a%zz;object=b?" + mod, wantErr: true},
		{name: "bad slot", uri: "pkcs11:slot-id=x;object=b?" + mod, wantErr: true},
		{name: "no value", uri: "pkcs11:token;object=b?" + mod, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ref, err := hsm.ParseURI(tt.uri)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseURI(%q) error = %v, want error %v", tt.uri, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			slot := -1
			if cfg.Slot != nil {
				slot = *cfg.Slot
			}
			if cfg.TokenLabel != tt.token || slot != tt.slot || ref.Label != tt.key || !bytes.Equal(ref.ID, tt.id) ||
				cfg.Module != "/usr/lib/softhsm/libsofthsm2.so" || cfg.PIN != "" {
				t.Errorf("ParseURI(%q) = %+v (slot %d), %v; want token %q slot %d key %q ID %x", tt.uri, cfg, slot, ref, tt.token, tt.slot, tt.key, tt.id)
			}
		})
	}
}

// FuzzParseURI: any string either parses to a complete key reference or
// is refused, without a panic.
func FuzzParseURI(f *testing.F) {
	f.Add("pkcs11:token=custos-gov;object=governance?module-path=/usr/lib/softhsm/libsofthsm2.so")
	f.Add("pkcs11:slot-id=0;id=%0a?module-path=/m.so&pin-value=1")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, ref, err := hsm.ParseURI(s)
		if err == nil && (cfg.Module == "" || (cfg.TokenLabel == "") == (cfg.Slot == nil) || (ref.Label == "" && len(ref.ID) == 0)) {
			t.Fatalf("ParseURI(%q) = %+v, %v: incomplete", s, cfg, ref)
		}
	})
}
