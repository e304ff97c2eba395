package bench

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/custos-project/custos/receipt"
)

// goldenDir holds the golden receipt, its trust bundle and its evidence.
const goldenDir = "../receipt/testdata"

// BenchmarkVerify measures offline verification of the golden receipt (1
// token, 5 events, 4 validators):
//
//   - the library on one core (GOMAXPROCS=1): one receipt.Verifier, Verify
//     in a loop, as a court's tool checks a batch of receipts sharing a
//     checkpoint. It reports receipts per second of wall time and per
//     CPU-second of this process (getrusage), which the machine's load
//     does not change;
//     The baseline is P-256 ECDSA verifications per CPU-second
//     (ecdsaVerifies): a receipt costs at least one;
//   - `custos-verify` (the standalone verifier, built here from
//     ./cmd/custos-verify) and `custos verify`, each with --receipt --trust
//     --file, per call (process start, parsing the bundle, every check, and
//     hashing the file), against `openssl ts -verify -in t.tsr -data
//     evidence.txt -CAfile root.pem` per call on the receipt's token alone
//     (one signature and the chain, no custody, proofs or checkpoint). Each
//     runs 20 times, interleaved; the medians count.
func BenchmarkVerify(b *testing.B) {
	b.ReportMetric(load1(), "load1")
	r, tr := goldenReceipt(b)
	wall, perCPU := verifyLoop(b, r, tr, 2*time.Second)
	ecdsaRate := ecdsaVerifies(b, time.Second)
	b.Logf("library, GOMAXPROCS=1: %.0f receipts/s (wall), %.0f per CPU-second; ECDSA P-256: %.0f verifies per CPU-second",
		wall, perCPU, ecdsaRate)

	bin := custosBin(b)
	standalone := buildVerifier(b)
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		b.Skip("openssl is missing: it is the baseline")
	}
	dir := b.TempDir()
	token, err := base64.StdEncoding.DecodeString(r.Timestamps[0])
	if err != nil {
		b.Fatal(err)
	}
	tsr, root := filepath.Join(dir, "t.tsr"), filepath.Join(dir, "root.pem")
	if err := os.WriteFile(tsr, token, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(root, []byte(tr.RootPEM), 0o600); err != nil {
		b.Fatal(err)
	}
	evidence := filepath.Join(goldenDir, "evidence.txt")
	args := []string{"--receipt", filepath.Join(goldenDir, "good.json"), "--trust", filepath.Join(goldenDir, "trust.json"), "--file", evidence}
	custos := exec.Command(bin, append([]string{"verify"}, args...)...)
	alone := exec.Command(standalone, args...)
	ossl := exec.Command(openssl, "ts", "-verify", "-in", tsr, "-data", evidence, "-CAfile", root)
	med := timeVerifiers(b, 20, alone, custos, ossl)
	ms, mc, mo := med[0], med[1], med[2]
	b.Logf("per call (median of 20): custos-verify %v, custos verify %v, openssl ts -verify %v", ms, mc, mo)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(wall, "receipts/s")
	b.ReportMetric(perCPU, "receipts/cpu-s")
	b.ReportMetric(ecdsaRate, "ecdsa/cpu-s")
	b.ReportMetric(perCPU/ecdsaRate, "x-ecdsa")
	b.ReportMetric(float64(ms)/1e6, "standalone-verify-ms")
	b.ReportMetric(float64(ms)/float64(mo), "x-openssl-standalone")
	b.ReportMetric(float64(mc)/1e6, "custos-verify-ms")
	b.ReportMetric(float64(mo)/1e6, "openssl-verify-ms")
	b.ReportMetric(float64(mc)/float64(mo), "x-openssl")
}

func goldenReceipt(b *testing.B) (*receipt.Receipt, *receipt.Trust) {
	b.Helper()
	rb, err := os.ReadFile(filepath.Join(goldenDir, "good.json"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := receipt.Parse(rb)
	if err != nil {
		b.Fatal(err)
	}
	tb, err := os.ReadFile(filepath.Join(goldenDir, "trust.json"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := receipt.ParseTrust(tb)
	if err != nil {
		b.Fatal(err)
	}
	return r, tr
}

// verifyLoop verifies r for d on one core and returns receipts per second
// of wall time and per CPU-second.
func verifyLoop(b *testing.B, r *receipt.Receipt, tr *receipt.Trust, d time.Duration) (float64, float64) {
	b.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	v, err := receipt.NewVerifier(tr)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := v.Verify(r, nil, receipt.Options{}); err != nil { // warm: checkpoint and chain checked once
		b.Fatal(err)
	}
	runtime.GC()
	cpu0, start, n := processCPU(), time.Now(), 0
	for time.Since(start) < d {
		if _, err := v.Verify(r, nil, receipt.Options{}); err != nil {
			b.Fatal(err)
		}
		n++
	}
	wall, cpu := time.Since(start), processCPU()-cpu0
	return float64(n) / wall.Seconds(), float64(n) / cpu.Seconds()
}

// processCPU is the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timeCmd runs a copy of cmd, which must succeed, and returns its wall time.
func timeCmd(b *testing.B, cmd *exec.Cmd) time.Duration {
	b.Helper()
	c := exec.Command(cmd.Path, cmd.Args[1:]...)
	start := time.Now()
	if out, err := c.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", c.Args, err, out)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
