package receipt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseTransitions: ParseTransitions never panics and every refusal
// wraps ErrMalformed; a list it accepts is followed from the vectors'
// genesis set without a panic, and fails, if it does, as a *VerifyError
// of step transition.
func FuzzParseTransitions(f *testing.F) {
	good, err := os.ReadFile(filepath.Join(transitionDir, "transitions.json"))
	check(f, err)
	tr, err := ParseTrust(must(os.ReadFile(filepath.Join(transitionDir, "trust.json"))))
	check(f, err)
	v, err := NewVerifier(tr)
	check(f, err)
	s := string(good)
	f.Add(good)
	f.Add([]byte(strings.Replace(s, `"height": 11`, `"height": 0`, 1)))
	f.Add([]byte(strings.Replace(s, `"height": 11,`, `"height": 11, "x": 1,`, 1)))
	f.Add([]byte(strings.Replace(s, `"signed_header": "`, `"signed_header": "AA`, 1)))
	f.Add([]byte(s + "[]"))
	f.Add([]byte(`[{"height":1,"signed_header":"AA==","next_validator_set":"AA==","validator_set":"AA=="}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := ParseTransitions(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseTransitions() = %v, want ErrMalformed", err)
			}
			return
		}
		eras, err := v.VerifyTransitions(ts)
		var verr *VerifyError
		switch {
		case err == nil && len(eras) != len(ts)+1:
			t.Fatalf("VerifyTransitions: %d eras for %d transitions", len(eras), len(ts))
		case err != nil && (!errors.As(err, &verr) || verr.Step != StepTransition):
			t.Fatalf("VerifyTransitions() = %v, want a VerifyError of step transition", err)
		}
	})
}
