package notary

import (
	"context"
	"crypto"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/internal/testenv"
)

// bcJars are Debian's Bouncy Castle jars (libbcprov-java, libbcpkix-java,
// libbcutil-java).
var bcJars = []string{"/usr/share/java/bcprov.jar", "/usr/share/java/bcpkix.jar", "/usr/share/java/bcutil.jar"}

// needBouncyCastle compiles testdata/bouncycastle/TSPCheck.java and returns
// the java command line to run it, skipping the test without a JDK or the
// jars unless CUSTOS_REQUIRE_INTEGRATION=1.
func needBouncyCastle(t *testing.T) []string {
	t.Helper()
	missing := func(err error) {
		if testenv.RequireIntegration() {
			t.Fatalf("Bouncy Castle check: %v, and CUSTOS_REQUIRE_INTEGRATION=1", err)
		}
		t.Skipf("Bouncy Castle check: %v (apt-get install default-jdk-headless libbcpkix-java)", err)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		missing(err)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		missing(err)
	}
	for _, jar := range bcJars {
		if _, err := os.Stat(jar); err != nil {
			missing(err)
		}
	}
	classes := t.TempDir()
	cp := strings.Join(bcJars, ":")
	src, err := filepath.Abs(filepath.Join("testdata", "bouncycastle", "TSPCheck.java"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(javac, "-cp", cp, "-d", classes, src).CombinedOutput(); err != nil {
		t.Fatalf("javac TSPCheck.java: %v\n%s", err, out)
	}
	return []string{java, "-cp", cp + ":" + classes, "TSPCheck"}
}

// TestBouncyCastle has Bouncy Castle validate tokens of both suites (an sm
// token: SM3 digest, SM2-with-SM3 signature with the default user ID) and
// their certificate chains, and refuse an sm token whose signature was
// altered.
func TestBouncyCastle(t *testing.T) {
	run := needBouncyCastle(t)
	dir := t.TempDir()
	check := func(name string, token []byte, chain ...[]byte) (string, error) {
		args := append([]string{}, run[1:]...)
		write := func(file string, b []byte) {
			path := filepath.Join(dir, name+"-"+file)
			writeFile(t, path, b)
			args = append(args, path)
		}
		write("token.der", token)
		for i, c := range chain {
			write(string(rune('a'+i))+".der", c)
		}
		out, err := exec.Command(run[0], args...).CombinedOutput()
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
