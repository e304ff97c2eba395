package rfc3161

import (
	"os"
	"path/filepath"
	"testing"
)

// seedTokens are the DER TimeStampTokens of the replies in testdata (the
// golden receipt's and the receipt vectors' tokens).
func seedTokens(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "reply-*.tsr"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no replies in testdata: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		reply, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		token, err := CheckStatus(reply)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, token)
	}
	return out
}
