package notary

import (
	"context"
	"crypto"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/testenv"
)

// TestBouncyCastle has Bouncy Castle validate tokens of both suites (an sm
// token: SM3 digest, SM2-with-SM3 signature with the default user ID) and
// their certificate chains, and refuse an sm token whose signature was
// altered.
func TestBouncyCastle(t *testing.T) {
	prog := testenv.BouncyCastle(t, filepath.Join("testdata", "bouncycastle", "TSPCheck.java"))
	dir := t.TempDir()
	check := func(name string, token []byte, chain ...[]byte) (string, error) {
		var args []string
		write := func(file string, b []byte) {
			path := filepath.Join(dir, name+"-"+file)
			writeFile(t, path, b)
			args = append(args, path)
		}
		write("token.der", token)
		for i, c := range chain {
			write(string(rune('a'+i))+".der", c)
		}
		out, err := prog.Command(context.Background(), args...).CombinedOutput()
		return string(out), err
	}
	digest := sha256.Sum256([]byte("evidence for Bouncy Castle"))
	for name, p := range map[string]*testPKI{"ecdsa": newTestPKI(t, time.Now()), "sm": newSMTestPKI(t, time.Now())} {
		tok, err := newTestTSA(t, p, nil).Stamp(context.Background(), crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		token, err := cms.DecodeReply(tok.Reply)
		if err != nil {
			t.Fatal(err)
		}
		out, err := check(name, token, p.tsa.Cert.Raw, p.org.Cert.Raw, p.root.Cert.Raw)
		if err != nil || strings.Count(out, "OK") != 3 {
			t.Errorf("%s: Bouncy Castle refused the token or its chain: %v\n%s", name, err, out)
		}
		if name != "sm" {
			continue
		}
		if !strings.Contains(out, "algorithm 1.2.156.10197.1.501") {
			t.Errorf("sm: Bouncy Castle read another signature algorithm:\n%s", out)
		}
		bad := append([]byte(nil), token...)
		bad[len(bad)-5] ^= 1 // inside the signature, the last field
		if out, err := check("sm-bad", bad, p.tsa.Cert.Raw); err == nil || !strings.Contains(out, "FAILED") {
			t.Errorf("sm: Bouncy Castle accepted an altered signature:\n%s", out)
		}
	}
}
