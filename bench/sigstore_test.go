package bench

import (
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// sigstoreEnv names sigstore's timestamp-server binary, the peer RFC 3161
// server of BenchmarkTSA. scripts/bench.sh installs it with `go install`
// when it is missing; without it the comparison is skipped.
const sigstoreEnv = "CUSTOS_BENCH_SIGSTORE"

// sigstoreBin returns the timestamp-server to compare with, or "".
func sigstoreBin() string {
	if p := os.Getenv(sigstoreEnv); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	p, _ := exec.LookPath("timestamp-server")
	return p
}

// startSigstore runs sigstore's timestamp-server on a free loopback port
// with its in-memory signer: an ECDSA P-256 key under a generated
// root → intermediate chain, as the built-in TSA's dev PKI. With chain it
// embeds the whole chain when a query asks for certificates, as the
// built-in TSA does, so both tokens carry the same three certificates;
// without, only its leaf certificate (its default).
// NTP monitoring is off (the machine reaches no NTP server) and the log
// is the production one. Its Prometheus listener takes :2112, so only one
// can run at a time.
func startSigstore(b *testing.B, bin string, chain bool) *server {
	b.Helper()
	port := freePort(b)
	logPath := filepath.Join(b.TempDir(), "sigstore.log")
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--timestamp-signer", "memory", "--include-chain-in-response="+strconv.FormatBool(chain),
		"--disable-ntp-monitoring", "--log-type", "prod")
	// A pipe, not the file: its logger syncs after every request, and on a
	// regular file that is an fsync per token. Under systemd or a container
	// runtime its output is a pipe too.
	pipe := struct{ io.Writer }{logf}
	cmd.Stdout, cmd.Stderr = pipe, pipe
	cmd.Dir = b.TempDir() // it looks for ./timestamp-server.yaml
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", bin, err)
	}
	s := &server{cmd: cmd, log: logPath, URL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	b.Cleanup(func() { s.stop(b); logf.Close() })
	for t0 := time.Now(); time.Since(t0) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(s.URL + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
	}
	b.Fatalf("%s: /ping not ready after 30s\n%s", bin, s.logTail())
	return nil
}

func freePort(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fetchPEM fetches a PEM document and returns it and its last block: the
// root of a chain served leaf first, or the one certificate of root.pem.
func fetchPEM(b *testing.B, url string) (all, last []byte) {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s = %d, %v", url, resp.StatusCode, err)
	}
	var final *pem.Block
	for rest := body; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		final = blk
	}
	if final == nil {
		b.Fatalf("GET %s: no PEM block", url)
	}
	return body, pem.EncodeToMemory(final)
}

// opensslVerify checks one reply with `openssl ts -verify` against its
// query (imprint and nonce) and a root certificate, with chainPEM as
// untrusted certificates for a token that does not embed its chain: an
// outside check that the server did the real work.
func opensslVerify(b *testing.B, name string, reply, query, rootPEM, chainPEM []byte) {
	b.Helper()
	openssl := testenv.LookBinary(b, "openssl")
	dir := b.TempDir()
	files := map[string][]byte{"t.tsr": reply, "q.tsq": query, "root.pem": rootPEM, "chain.pem": chainPEM}
	for f, data := range files {
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(openssl, "ts", "-verify", "-in", "t.tsr", "-queryfile", "q.tsq", "-CAfile", "root.pem", "-untrusted", "chain.pem")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("openssl ts -verify of %s's token: %v\n%s", name, err, out)
	}
	b.Logf("openssl ts -verify of %s's token: %s", name, out)
}

// sigstoreLoad starts the peer, checks one token in full and with openssl,
// runs the load and stops it.
func sigstoreLoad(b *testing.B, bin string, chain bool, queries []queryItem, clients int, window time.Duration) loadResult {
	b.Helper()
	sig := startSigstore(b, bin, chain)
	defer sig.stop(b)
	url := sig.URL + "/api/v1/timestamp"
	certs := 1
	if chain {
		certs = 3
	}
	reply := checkTSA(b, url, http.StatusCreated, certs, queries[0])
	pems, root := fetchPEM(b, sig.URL+"/api/v1/timestamp/certchain")
	opensslVerify(b, "sigstore", reply, queries[0].der, root, pems)
	cpu0 := cpuTime(sig.PID())
	res := tsaLoad(b, url, http.StatusCreated, queries, clients, window)
	b.Logf("peer (sigstore timestamp-server, include-chain-in-response=%v): %v, %s", chain, res, cpuPerOp(sig.PID(), cpu0, res))
	return res
}

// cpuPerOp formats the CPU time process pid used since cpu0 per operation
// of res (warm-up included in both, so roughly).
func cpuPerOp(pid int, cpu0 time.Duration, res loadResult) string {
	used := cpuTime(pid) - cpu0
	return fmt.Sprintf("server CPU %.0f µs per token (%.2f cores)", float64(used.Microseconds())/float64(max(res.ops, 1)),
		used.Seconds()/res.window.Seconds())
}
