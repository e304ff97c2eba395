package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLargeIngest uploads one large random file (CUSTOS_BENCH_LARGE,
// default 1GiB) through POST /api/v1/evidence of the embedded default
// (folder store, bbolt, built-in TSA) and compares the wall time with two
// baselines on the same page-cached file: `openssl dgst -sha256` (reading
// and hashing the bytes once) and `dd ... conv=fsync` into the file system
// of the server's data (writing the bytes once and making them durable).
// A durable ingest must do both, so the slower of the two is the least it
// can take. Each of the three runs three times, interleaved, and the best
// run counts. It also reports how much the upload raised the server's peak
// RSS (VmHWM).
func BenchmarkLargeIngest(b *testing.B) {
	size := envSize(b, "CUSTOS_BENCH_LARGE", 1<<30)
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		b.Skip("openssl is missing (make deps installs it): it is the baseline")
	}
	b.ReportMetric(load1(), "load1")
	dd, err := exec.LookPath("dd")
	if err != nil {
		b.Skip("dd is missing: it is the disk baseline")
	}
	srv := startCustos(b)
	path, sum := randomFile(b, size)
	// Beside the server's data folder: the same file system.
	ddOut := filepath.Join(filepath.Dir(srv.Dir), "disk-baseline.bin")
	hwm0, err := vmHWM(srv.PID())
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{}
	bestIngest, bestHash, bestDisk := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	var serverCPU, clientCPU, wall time.Duration
	for range 3 {
		bestHash = min(bestHash, timeOpenSSL(b, openssl, path, sum))
		bestDisk = min(bestDisk, timeDisk(b, dd, path, ddOut, size))
		s0, c0 := cpuTime(srv.PID()), cpuTime(os.Getpid())
		d := upload(b, hc, srv, path, size, sum)
		serverCPU += cpuTime(srv.PID()) - s0
		clientCPU += cpuTime(os.Getpid()) - c0
		wall += d
		bestIngest = min(bestIngest, d)
	}
	hwm1, err := vmHWM(srv.PID())
	if err != nil {
		b.Fatal(err)
	}
	mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
	b.Logf("%d bytes: ingest %v (%.0f MB/s), openssl dgst -sha256 %v (%.0f MB/s), dd conv=fsync %v (%.0f MB/s); server VmHWM %d → %d MiB",
		size, bestIngest, mbps(bestIngest), bestHash, mbps(bestHash), bestDisk, mbps(bestDisk), hwm0>>20, hwm1>>20)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mbps(bestIngest), "MB/s")
	b.ReportMetric(mbps(bestHash), "openssl-MB/s")
	b.ReportMetric(mbps(bestDisk), "disk-MB/s")
	b.ReportMetric(bestHash.Seconds()/bestIngest.Seconds(), "x-openssl")
	b.ReportMetric(bestDisk.Seconds()/bestIngest.Seconds(), "x-disk")
	// Against the slower baseline: the goal's ratio.
	b.ReportMetric(max(bestHash, bestDisk).Seconds()/bestIngest.Seconds(), "x-baseline")
	b.ReportMetric(float64(hwm1-hwm0)/(1<<20), "rss-growth-MiB")
	b.ReportMetric(float64(hwm1)/(1<<20), "rss-peak-MiB")
	// Where the time goes: cores busy in the server and in this client
	// (sendfile and loopback TCP) while uploading.
	b.ReportMetric(serverCPU.Seconds()/wall.Seconds(), "server-cores")
	b.ReportMetric(clientCPU.Seconds()/wall.Seconds(), "client-cores")
}

// upload POSTs the file as the raw body. The body is the *os.File with its
// ContentLength set, so net/http sends it with sendfile(2), as a client
// streaming from disk would. It checks the digest the server computed.
func upload(b *testing.B, hc *http.Client, srv *server, path string, size int64, sum string) time.Duration {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/evidence", f)
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	t0 := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil || resp.StatusCode != http.StatusCreated {
		b.Fatalf("POST /api/v1/evidence = %d, %v: %s", resp.StatusCode, err, body)
	}
	var view struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	if err := json.Unmarshal(body, &view); err != nil || view.SHA256 != sum || view.Size != size {
		b.Fatalf("POST /api/v1/evidence = %s, want sha256 %s and size %d (%v)", body, sum, size, err)
	}
	return d
}

// timeOpenSSL times `openssl dgst -sha256 path` and checks its answer.
func timeOpenSSL(b *testing.B, openssl, path, sum string) time.Duration {
	b.Helper()
	t0 := time.Now()
	out, err := exec.Command(openssl, "dgst", "-sha256", path).Output()
	d := time.Since(t0)
	if err != nil || !strings.Contains(string(out), sum) {
		b.Fatalf("openssl dgst -sha256 = %q, %v; want %s", out, err, sum)
	}
	return d
}

// timeDisk times `dd if=path of=out bs=4M conv=fsync`: writing the bytes
// into the file system and fsyncing them, as a durable ingest must. It checks
// the size written and removes out afterwards, outside the timing.
func timeDisk(b *testing.B, dd, path, out string, size int64) time.Duration {
	b.Helper()
	defer os.Remove(out)
	t0 := time.Now()
	msg, err := exec.Command(dd, "if="+path, "of="+out, "bs=4M", "conv=fsync").CombinedOutput()
	d := time.Since(t0)
	if err != nil {
		b.Fatalf("dd conv=fsync = %v: %s", err, msg)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() != size {
		b.Fatalf("dd wrote %v (%v), want %d bytes", fi, err, size)
	}
	return d
}

// randomFile writes size random bytes to a temporary file, syncs it (so
// that no writeback of it competes with the runs) and leaves it in the
// page cache. It returns the path and the hex SHA-256.
func randomFile(b *testing.B, size int64) (string, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "large.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{'c', 'u', 's', 't', 'o', 's'})
	h := sha256.New()
	buf := make([]byte, 4<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		_, _ = rng.Read(buf[:n])
		h.Write(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

// BenchmarkSmallIngest drives POST /api/v1/evidence with 4 KiB random
// bodies from 64 keep-alive clients for the measured window (1s warm-up).
// Each upload is acknowledged only once it is durable (blob fdatasynced,
// record committed in bbolt, token issued). The baseline is the same load
// against a trivial net/http handler that reads the body and answers 201:
// the ceiling the HTTP stack itself allows on this machine.
func BenchmarkSmallIngest(b *testing.B) {
	const clients, size = 64, 4 << 10
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")

	base := startBaseline(b, "created")
	baseRes := smallLoad(b, base.URL+"/evidence", "", clients, size, window)
	base.stop(b)
	b.Logf("baseline (net/http, read body, 201): %v", baseRes)

	srv := startCustos(b)
	s0, c0 := cpuTime(srv.PID()), cpuTime(os.Getpid())
	res := smallLoad(b, srv.URL+"/api/v1/evidence", srv.Token, clients, size, window)
	serverCPU, clientCPU := cpuTime(srv.PID())-s0, cpuTime(os.Getpid())-c0
	b.Logf("custos: %v; CPU per upload (warm-up and window): server %v, load generator %v",
		res, serverCPU/time.Duration(max(res.all, 1)), clientCPU/time.Duration(max(res.all, 1)))

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(res.rate(), "evidence/s")
	b.ReportMetric(res.quantile(0.50), "p50-ms")
	b.ReportMetric(res.quantile(0.99), "p99-ms")
	b.ReportMetric(baseRes.rate(), "baseline-req/s")
	b.ReportMetric(baseRes.quantile(0.50), "baseline-p50-ms")
	b.ReportMetric(baseRes.quantile(0.99), "baseline-p99-ms")
	b.ReportMetric(res.rate()/baseRes.rate(), "x-baseline")
	// Where the CPU goes: the server (the chain included) and this load
	// generator, which share the machine's cores.
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(res.all, 1)) }
	b.ReportMetric(perOp(serverCPU), "server-cpu-µs/op")
	b.ReportMetric(perOp(clientCPU), "client-cpu-µs/op")
	if before := os.Getenv("CUSTOS_BENCH_BEFORE"); before != "" {
		smallIngestBefore(b, before, clients, size, window)
	}
}

// smallIngestBefore compares the binary under test with an earlier one
// (CUSTOS_BENCH_BEFORE, for example one built from main) in the same run:
// CUSTOS_BENCH_ROUNDS pairs (default 3), each a fresh server of each
// binary under the same load, alternating which goes first. It reports the
// medians of both, server CPU per upload first: this machine's speed
// drifts between minutes, and CPU per upload drifts less than the rate.
func smallIngestBefore(b *testing.B, before string, clients, size int, window time.Duration) {
	b.Helper()
	rounds := 3
	if s := os.Getenv("CUSTOS_BENCH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("CUSTOS_BENCH_ROUNDS=%q: want a positive number", s)
		}
		rounds = n
	}
	bins := [2]string{before, custosBin(b)}
	var cpu, rate [2][]float64
	var loads []float64
	for r := range rounds {
		for j := range 2 {
			k := (r + j) % 2 // before first in even rounds, after first in odd ones
			srv := startBinIn(b, bins[k], b.TempDir(), "")
			s0 := cpuTime(srv.PID())
			res := smallLoad(b, srv.URL+"/api/v1/evidence", srv.Token, clients, size, window)
			used := cpuTime(srv.PID()) - s0
			srv.stop(b)
			cpu[k] = append(cpu[k], float64(used.Microseconds())/float64(max(res.all, 1)))
			rate[k] = append(rate[k], res.rate())
			loads = append(loads, load1())
		}
	}
	// One line each: go test keeps only the first lines of a benchmark's log.
	b.Logf("server CPU per upload by round (µs), before: %.0f; after: %.0f", cpu[0], cpu[1])
	b.Logf("uploads/s by round, before: %.0f; after: %.0f; load average at each run's end: %.1f", rate[0], rate[1], loads)
	b.ReportMetric(medianOf(cpu[0]), "before-server-cpu-µs/op")
	b.ReportMetric(medianOf(cpu[1]), "after-server-cpu-µs/op")
	b.ReportMetric(medianOf(cpu[1])/medianOf(cpu[0]), "x-before-cpu")
	b.ReportMetric(medianOf(rate[0]), "before-evidence/s")
	b.ReportMetric(medianOf(rate[1]), "after-evidence/s")
}

// medianOf returns the median of v (the mean of the middle two if even).
func medianOf(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func smallLoad(b *testing.B, url, token string, clients, size int, window time.Duration) loadResult {
	b.Helper()
	posters := make([]*rawPoster, clients)
	for c := range clients {
		p, err := newRawPoster(url, token, size)
		if err != nil {
			b.Fatal(err)
		}
		defer p.close()
		posters[c] = p
		rng := rand.NewChaCha8([32]byte{byte(c), byte(c >> 8), 's', 'm', 'a', 'l', 'l'})
		_, _ = rng.Read(p.request())
	}
	res, err := runLoad(clients, time.Second, window, func(c int) error {
		// New content every time, so nothing is deduplicated: each client's
		// random body with its upload count in the first 8 bytes. (Drawing
		// 4 KiB of fresh ChaCha8 output per upload took a quarter of the load
		// generator's CPU; the server's work does not depend on the bytes.)
		body := posters[c].request()
		binary.BigEndian.PutUint64(body, binary.BigEndian.Uint64(body)+1)
		return posters[c].post(http.StatusCreated)
	})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// do sends req, reads the whole reply (so that the connection is reused)
// and checks its status. check, if not nil, checks the body.
func do(hc *http.Client, req *http.Request, want int, check func([]byte) error) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s = %d, want %d: %.300s", req.Method, req.URL, resp.StatusCode, want, body)
	}
	if check != nil {
		return check(body)
	}
	return nil
}

// envSize reads a size such as 1GiB, 256MiB, 64KiB or a byte count.
func envSize(b *testing.B, name string, def int64) int64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = t, m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a size such as 1GiB, 256MiB or 1048576", name, os.Getenv(name))
	}
	return n * mult
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a duration such as 10s", name, s)
	}
	return d
}
