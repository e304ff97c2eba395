package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// goTool is the go command of the toolchain running the benchmarks.
func goTool() string {
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(g); err == nil {
			return g
		}
	}
	return "go"
}

// buildVerifier builds cmd/custos-verify, the standalone verifier, into a
// temporary folder.
func buildVerifier(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "custos-verify")
	cmd := exec.Command(goTool(), "build", "-trimpath", "-o", bin, "../cmd/custos-verify")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/custos-verify: %v\n%s", err, out)
	}
	return bin
}

// ecdsaVerifies is the baseline of the library's rate: P-256 ECDSA
// signature verifications per second on one core, with Go's crypto/ecdsa.
// Each receipt costs at least one (its time-stamp token's CMS signature).
func ecdsaVerifies(b *testing.B, d time.Duration) float64 {
	b.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256([]byte("custos"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		b.Fatal(err)
	}
	cpu0, n := processCPU(), 0
	for start := time.Now(); time.Since(start) < d; n++ {
		if !ecdsa.VerifyASN1(&key.PublicKey, sum[:], sig) {
			b.Fatal("ecdsa.VerifyASN1 = false")
		}
	}
	return float64(n) / (processCPU() - cpu0).Seconds()
}

// BenchmarkVerifierWasm reports the size of the browser verifier as the
// browser downloads it: web/static/verify.wasm and the brotli and gzip
// copies that `make wasm` writes (Chromium asks for brotli over HTTPS,
// for gzip over plain HTTP). The baseline is the same package built in
// this run as it was built before (GOOS=js GOARCH=wasm go build -trimpath
// -ldflags="-s -w", Go's default encoding/json and inlining), gzipped at
// level 9.
func BenchmarkVerifierWasm(b *testing.B) {
	static := filepath.Join("..", "web", "static")
	sizes := map[string]float64{}
	for _, ext := range []string{"", ".br", ".gz"} {
		fi, err := os.Stat(filepath.Join(static, "verify.wasm"+ext))
		if err != nil {
			if ext == ".br" {
				b.Logf("no verify.wasm.br (make wasm without the brotli command)")
				continue
			}
			b.Skipf("%v: run `make wasm`", err)
		}
		sizes[ext] = float64(fi.Size()) / 1e6
	}
	baseRaw, baseGz := wasmSizes(b, "../web/wasm", nil, "-trimpath", "-ldflags=-s -w")
	best := sizes[".gz"]
	if br, ok := sizes[".br"]; ok {
		best = br
	}
	floorGz := wasmFloor(b)
	b.Logf("verify.wasm %.2f MB, gzip %.2f MB, brotli %.2f MB; default build %.2f MB, gzip %.2f MB; the floor (x509, json, fmt alone) gzip %.2f MB",
		sizes[""], sizes[".gz"], sizes[".br"], baseRaw, baseGz, floorGz)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(sizes[""], "wasm-MB")
	b.ReportMetric(sizes[".gz"], "gzip-MB")
	b.ReportMetric(sizes[".br"], "brotli-MB")
	b.ReportMetric(best, "sent-MB")
	b.ReportMetric(baseRaw, "default-MB")
	b.ReportMetric(baseGz, "default-gzip-MB")
	b.ReportMetric(best/baseGz, "x-default-gzip")
	b.ReportMetric(floorGz, "floor-gzip-MB")
	b.ReportMetric(sizes[".gz"]/floorGz, "x-floor-gzip")
}

// wasmFloor builds testdata/wasmfloor, which links only what any Go
// verifier of receipts must (crypto/x509, encoding/json, fmt), as `make
// wasm` builds the verifier, and returns its size gzipped at the best
// level, in MB: the floor under the goal of 1.5 MB gzip.
func wasmFloor(b *testing.B) float64 {
	b.Helper()
	_, gz := wasmSizes(b, "./testdata/wasmfloor", []string{"GOEXPERIMENT=nojsonv2"}, "-trimpath", "-gcflags=all=-l", "-ldflags=-s -w")
	return gz
}

// wasmSizes builds pkg for js/wasm with the go build flags given, in the
// environment with env added, and returns its size raw and gzipped at the
// best level, in MB.
func wasmSizes(b *testing.B, pkg string, env []string, flags ...string) (raw, gzipped float64) {
	b.Helper()
	out := filepath.Join(b.TempDir(), "out.wasm")
	cmd := exec.Command(goTool(), append(append([]string{"build"}, flags...), "-o", out, pkg)...)
	cmd.Env = append(append(os.Environ(), "GOOS=js", "GOARCH=wasm"), env...)
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("GOOS=js GOARCH=wasm go build %s: %v\n%s", pkg, err, o)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(bin)
	_ = zw.Close()
	return float64(len(bin)) / 1e6, float64(gz.Len()) / 1e6
}

// BenchmarkVerifyPage measures the /verify page in headless Chromium: from
// the start of loading the page to the first verdict on a 1 MiB file and
// its receipt (the page fetches the trust bundle and the verifier, the
// file is chosen as soon as the verifier is ready, hashed in the page and
// verified). The baseline is the same page's own load (its load event) in
// the same navigation. Each of 5 runs is a fresh browser profile, so the
// verifier is downloaded each time; the medians count.
func BenchmarkVerifyPage(b *testing.B) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		b.Skip("chromium is missing")
	}
	srv := startCustos(b)
	defer srv.stop(b)
	hc := &http.Client{Timeout: time.Minute}
	seed := [32]byte{'v', 'e', 'r', 'i', 'f', 'y'}
	id, err := uploadSmall(hc, srv, mrand.NewChaCha8(seed), 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1<<20)
	_, _ = mrand.NewChaCha8(seed).Read(data) // the bytes uploadSmall sent
	receipt := getReceipt(b, hc, srv, id)
	dir := b.TempDir()
	file, rcpt := filepath.Join(dir, "evidence.bin"), filepath.Join(dir, "receipt.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(rcpt, receipt, 0o600); err != nil {
		b.Fatal(err)
	}
	var readies, verdicts, loads, warms, afterIdle []time.Duration
	var sent, decoded float64
	for range 5 {
		t := pageVerdict(b, chromium, srv.URL+"/verify?lang=en", rcpt, file, 0)
		readies, verdicts, loads, warms = append(readies, t.ready), append(verdicts, t.verdict), append(loads, t.load), append(warms, t.warm)
		sent, decoded = max(sent, t.wasmBytes), max(decoded, t.wasmDecoded)
	}
	// A court that takes its time: the files are chosen once the page
	// has been idle for a second (after its warm-up, if it has one).
	for range 5 {
		t := pageVerdict(b, chromium, srv.URL+"/verify?lang=en", rcpt, file, time.Second)
		afterIdle = append(afterIdle, t.verdict-t.chosen)
	}
	mr, mv, ml, mi := median(readies), median(verdicts), median(loads), median(afterIdle)
	b.Logf("first verdict on 1 MiB: %v after the start of loading (median of 5; verifier ready at %v); the page's load event %v; warm-ups done at %v",
		mv, mr, ml, warms)
	b.Logf("files chosen after the page was idle: verdict %v after choosing them (median of 5: %v)", mi, afterIdle)
	// Chromium asks for brotli over HTTPS and from a loopback address
	// (Accept-Encoding: gzip, deflate, br, zstd), gzip otherwise; the
	// node sends the precompressed copy the browser accepts.
	b.Logf("verify.wasm as Chromium received it from %s: %.0f bytes (%.0f decoded); the largest of 5 fresh profiles", srv.URL, sent, decoded)
	if sent == 0 || decoded == 0 {
		b.Fatalf("the page's resource timing has no verify.wasm")
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(load1(), "load1")
	b.ReportMetric(float64(mr)/1e6, "ready-ms")
	b.ReportMetric(float64(mv)/1e6, "verdict-ms")
	b.ReportMetric(float64(ml)/1e6, "load-ms")
	b.ReportMetric(float64(mi)/1e6, "idle-verdict-ms")
	b.ReportMetric(float64(mv)/float64(ml), "x-load")
	b.ReportMetric(sent/1e6, "wasm-received-MB")
	b.ReportMetric(decoded/1e6, "wasm-decoded-MB")
}

// getReceipt waits for item id's receipt and returns it.
func getReceipt(b *testing.B, hc *http.Client, srv *server, id string) []byte {
	b.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/evidence/"+id+"/receipt?wait=30s", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	var body []byte
	if err := do(hc, req, http.StatusOK, func(p []byte) error { body = p; return nil }); err != nil {
		b.Fatal(err)
	}
	return body
}

// pageTimes are the times of pageVerdict, from the start of navigation,
// by the page's own clock (performance.now, whose origin is the start of
// navigation): the verifier ready, the files chosen, the verdict, the
// page's load event and the end of the verifier's warm-up (0 if it did not
// run before the files were chosen).
//
// wasmBytes and wasmDecoded are what the browser received for verify.wasm
// (Resource Timing's encodedBodySize, the body as sent, compressed, and
// decodedBodySize); 0 if the page did not fetch it.
type pageTimes struct {
	ready, chosen, verdict, load, warm time.Duration
	wasmBytes, wasmDecoded             float64
}

// pageVerdict opens url in a fresh headless Chromium, chooses the file and
// its receipt once the verifier is ready (with idle > 0: once its warm-up,
// if any, is over and the page has been left alone for idle more), and
// waits for the verdict.
func pageVerdict(b *testing.B, chromium, url, receiptPath, filePath string, idle time.Duration) pageTimes {
	b.Helper()
	profile := b.TempDir()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx); err != nil { // start the browser before the clock
		b.Fatalf("starting Chromium: %v", err)
	}
	const readyJS = `document.getElementById('verifier-status').dataset.state === 'ready' &&
		document.getElementById('trust-info').textContent.includes('custos-') ? performance.now() : 0`
	const done = `(() => { const r = document.getElementById('result');
		return r.hidden || r.dataset.state === 'running' || r.dataset.file !== 'evidence.bin' ? 0 : performance.now(); })()`
	poll := chromedp.WithPollingInterval(5 * time.Millisecond)
	var readyMS, chosenMS, verdictMS, loadMS, warmMS float64
	var wasm []float64
	err := chromedp.Do(ctx, chromedp.Navigate(url))
	if err == nil {
		readyMS, err = chromedp.Run(ctx, chromedp.Poll[float64](readyJS, poll))
	}
	if err == nil && idle > 0 {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('verifier-status').dataset.warm !== 'waiting'`, poll))
		time.Sleep(idle)
	}
	if err == nil {
		chosenMS, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.now()`))
	}
	if err == nil {
		// In the page's order: the file (1), then its receipt (2). The
		// other way round, the page verifies the receipt alone first.
		err = chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("file"), []string{filePath}),
			chromedp.SetUploadFiles(chromedp.ID("receipt-file"), []string{receiptPath}))
	}
	if err == nil {
		verdictMS, err = chromedp.Run(ctx, chromedp.Poll[float64](done, poll))
	}
	if err == nil {
		loadMS, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation')[0].loadEventEnd`))
	}
	if err == nil { // verifier.js marks it (main's page does not)
		warmMS, err = chromedp.Run(ctx, chromedp.Evaluate[float64](`(performance.getEntriesByName('custos:warm')[0] || {startTime: 0}).startTime`))
	}
	if err == nil { // same origin, so the sizes are not hidden
		wasm, err = chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const e = performance.getEntriesByType('resource').find(r => new URL(r.name).pathname === '/static/verify.wasm');
			return e ? [e.encodedBodySize, e.decodedBodySize] : [0, 0]; })()`))
	}
	if err != nil {
		b.Fatalf("verifying in the page: %v", err)
	}
	if state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('result').dataset.state`)); err != nil || state != "valid" {
		b.Fatalf("the page's verdict = %q (%v), want valid", state, err)
	}
	return pageTimes{ms(readyMS), ms(chosenMS), ms(verdictMS), ms(loadMS), ms(warmMS), wasm[0], wasm[1]}
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// timeVerifiers runs each command n times, interleaved, and returns the
// median wall time of each.
func timeVerifiers(b *testing.B, n int, cmds ...*exec.Cmd) []time.Duration {
	b.Helper()
	times := make([][]time.Duration, len(cmds))
	for range n {
		for i, c := range cmds {
			times[i] = append(times[i], timeCmd(b, c))
		}
	}
	med := make([]time.Duration, len(cmds))
	for i := range times {
		med[i] = median(times[i])
	}
	return med
}
