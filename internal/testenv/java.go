package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bouncyCastleJars are the jars of Debian's libbcpkix-java (with
// libbcprov-java and libbcutil-java), version 1.72 on Debian 12.
var bouncyCastleJars = []string{"bcprov.jar", "bcpkix.jar", "bcutil.jar"}

// javaLibDir is where Debian installs Java libraries.
const javaLibDir = "/usr/share/java"

// JavaProgram is a Java program compiled against Bouncy Castle, ready to
// run.
type JavaProgram struct {
	java      string
	classPath string
	class     string
}

// BouncyCastle compiles the Java source file src (its class is the file's
// base name, in the default package) against Debian's Bouncy Castle jars
// and returns it ready to run. The classes are kept in the user's cache
// folder under the hash of the source and the jars, so only the first call
// compiles (a few seconds). Without javac, java or the jars the test is
// skipped, or fails when RequireIntegration; scripts/install-test-deps.sh
// (make deps) installs them: apt-get install -y default-jdk-headless
// libbcpkix-java.
func BouncyCastle(t testing.TB, src string) *JavaProgram {
	t.Helper()
	javac := lookJava(t, "javac")
	java := lookJava(t, "java")
	var jars []string
	for _, j := range bouncyCastleJars {
		p := filepath.Join(javaLibDir, j)
		if _, err := os.Stat(p); err != nil {
			Missing(t, "integration test needs Bouncy Castle's "+p+"; install it with: apt-get install -y libbcpkix-java (or make deps)")
			return nil
		}
		jars = append(jars, p)
	}
	source, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	class := strings.TrimSuffix(filepath.Base(src), ".java")
	dir := classDir(t, source, jars)
	if _, err := os.Stat(filepath.Join(dir, class+".class")); err != nil {
		compileJava(t, javac, src, dir, jars)
	}
	return &JavaProgram{java: java, classPath: strings.Join(append([]string{dir}, jars...), string(os.PathListSeparator)), class: class}
}

func lookJava(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	Missing(t, "integration test needs "+name+", not found in PATH; install it with: apt-get install -y default-jdk-headless libbcpkix-java (or make deps)")
	return ""
}

// classDir is the cache folder of the classes of source compiled against
// jars: the same source and jars give the same folder.
func classDir(t testing.TB, source []byte, jars []string) string {
	t.Helper()
	h := sha256.New()
	h.Write(source)
	for _, j := range jars {
		fi, err := os.Stat(j)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(j + fi.ModTime().String()))
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "custos-test", "java", hex.EncodeToString(h.Sum(nil))[:16])
}

// compileJava compiles src into dir, through a temporary folder renamed
// into place, so that parallel tests never see half a compilation.
func compileJava(t testing.TB, javac, src, dir string, jars []string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "compile-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, javac, "-nowarn", "-cp", strings.Join(jars, string(os.PathListSeparator)), "-d", tmp, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("javac %s: %v\n%s", src, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !isExist(dir) {
		t.Fatal(err)
	}
}

func isExist(dir string) bool {
	_, err := os.Stat(dir)
	return err == nil
}

// Command is the command that runs the program with args, for a caller
// that reads a non-zero exit as a verdict (Run fails the test on one).
func (p *JavaProgram) Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, p.java, append([]string{"-cp", p.classPath, p.class}, args...)...)
}

// Run runs the program with args and returns its standard output; a
// non-zero exit fails the test, with standard error.
func (p *JavaProgram) Run(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.Command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java %s %s: %v\n%s%s", p.class, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}
