package evidence

import (
	"errors"
	"testing"
)

// FuzzParseCursor: a cursor is outside input (the ?cursor= query
// parameter). parseCursor never panics, refuses with ErrBadCursor, and
// accepts only the one spelling formatCursor gives each position.
func FuzzParseCursor(f *testing.F) {
	for _, seq := range []uint64{0, 1, 50, 1<<63 - 1, 1<<64 - 1} {
		f.Add(formatCursor(seq))
	}
	f.Add("")
	f.Add("AAAAAAAAAAE=")    // padded
	f.Add("AAAAAAAAAAF")     // non-zero trailing bits
	f.Add("AAAAAAAAAA+")     // standard alphabet
	f.Add("AAAAAAAAAAAAAAA") // too long
	f.Fuzz(func(t *testing.T, s string) {
		seq, err := parseCursor(s)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("parseCursor(%q) = %v, want ErrBadCursor", s, err)
			}
			return
		}
		if again := formatCursor(seq); again != s {
			t.Fatalf("parseCursor(%q) = %d, formatCursor(%d) = %q", s, seq, seq, again)
		}
	})
}
