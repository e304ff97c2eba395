package receipt

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestTrustSuitesVersion: suites belong to version 3 and only there; an
// ecdsa bundle keeps its version and bytes (WithSuite), an sm one is
// version 3, and a bad suite name is refused.
func TestTrustSuitesVersion(t *testing.T) {
	_, tr, _ := golden(t)
	base := *tr
	if got := base.WithSuite(SuiteECDSA); got.Version != base.Version || got.Suites != nil {
		t.Fatalf("ecdsa bundle changed: version %d, suites %v", got.Version, got.Suites)
	}
	sm := base.WithSuite(SuiteSM)
	if sm.Version != TrustVersion3 || sm.Suites == nil || sm.Suites.Tokens != SuiteSM || sm.Suites.Consensus != ConsensusEd25519 {
		t.Fatalf("sm bundle: %+v %+v", sm, sm.Suites)
	}
	if _, err := ParseTrust(marshalTrust(t, sm)); err != nil {
		t.Fatalf("version 3 with suites refused: %v", err)
	}
	bad := map[string]func(*Trust){
		"v3 without suites":   func(x *Trust) { x.Suites = nil },
		"suites in version 1": func(x *Trust) { x.Version = 1 },
		"suites in version 2": func(x *Trust) { x.Version = TrustVersion2; x.ValidatorsCurrent = x.Validators },
		"unknown suite":       func(x *Trust) { x.Suites = &Suites{"rsa", "sm", "sm", "ed25519"} },
		"unknown consensus":   func(x *Trust) { x.Suites = &Suites{"sm", "sm", "sm", "sm2"} },
		"version 4":           func(x *Trust) { x.Version = 4 },
	}
	for name, edit := range bad {
		x := sm
		s := *sm.Suites
		x.Suites = &s
		edit(&x)
		if _, err := ParseTrust(marshalTrust(t, x)); !errors.Is(err, ErrBadTrust) {
			t.Errorf("%s: err %v, want ErrBadTrust", name, err)
		}
	}
	// A verifier that reads versions 1 and 2 only refuses version 3 by
	// its version, which it checks first.
	if _, err := ParseTrust(marshalTrust(t, func() Trust { x := sm; x.Version = 4; return x }())); err == nil || !strings.Contains(err.Error(), "version 4") {
		t.Errorf("version 4: %v", err)
	}
}

func marshalTrust(t *testing.T, tr Trust) []byte {
	t.Helper()
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
