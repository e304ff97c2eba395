package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/testenv"
)

// TestBootstrapTokenTooWeak checks that a chosen bootstrap token that
// fails the rule (32 characters, 16 different) stops the first start with
// a message that states the rule, and creates no organization: the next
// start with a good token bootstraps.
func TestBootstrapTokenTooWeak(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, custosBin, "serve", "--data", dir, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CUSTOS_BOOTSTRAP_TOKEN=cst_sixteen-char")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "CUSTOS_BOOTSTRAP_TOKEN refused: a chosen token has 32 to 256 printable ASCII characters without spaces, at least 16 of them different") {
		t.Fatalf("serve with a 16-character CUSTOS_BOOTSTRAP_TOKEN = %v\n%s\nwant a refusal that states the rule", err, tailString(string(out), 2000))
	}
	const tok = "cst_chosen-by-the-operator-0123456789"
	n := startNode(t, dir, "", "CUSTOS_BOOTSTRAP_TOKEN="+tok)
	n.upload(tok, []byte("filed after a refused first start"))
}

func TestBootstrapTokenFromEnv(t *testing.T) {
	dir := t.TempDir()
	const tok = "cst_chosen-by-the-operator-0123456789"
	n := startNode(t, dir, "", "CUSTOS_BOOTSTRAP_TOKEN="+tok)
	if strings.Contains(n.stdout.String(), tok) {
		t.Errorf("serve printed the operator's token")
	}
	if _, err := os.Stat(filepath.Join(dir, "bootstrap-token")); err == nil {
		t.Errorf("serve wrote bootstrap-token although the operator chose the token")
	}
	n.upload(tok, []byte("filed with the chosen token"))
	// The token is stored hashed: it appears nowhere in the data folder.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(tok)) {
				t.Errorf("%s contains the API token in clear", p)
			}
		}
		return nil
	})
}

func TestUploadLimit(t *testing.T) {
	n := startNode(t, t.TempDir(), "max_upload_bytes = 4096\n")
	n.upload(n.Token, make([]byte, 4096))
	for _, chunked := range []bool{false, true} {
		body := io.Reader(bytes.NewReader(make([]byte, 5000)))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		status, h, b := n.call("POST", "/api/v1/evidence", n.Token, body)
		if status != http.StatusRequestEntityTooLarge || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("upload over the limit (chunked %v) = %d %s, want 413 problem", chunked, status, b)
		}
	}
	staged, _ := os.ReadDir(filepath.Join(n.dir, "blobs", "staging"))
	if len(staged) != 0 {
		t.Errorf("refused uploads left %d staged blobs", len(staged))
	}
}

func TestSM3(t *testing.T) {
	n := startNode(t, t.TempDir(), "sm3 = true\n")
	for _, size := range []int{100, 3<<20 + 5} { // inline and pipelined paths
		data := randomBytes(t, size)
		v := n.upload(n.Token, data)
		want := sm3.Sum(data)
		if v.SM3 != fmt.Sprintf("%x", want) || v.SHA256 != sha256Hex(data) {
			t.Errorf("upload of %d bytes: sm3 %q sha256 %q; want %x and %s", size, v.SM3, v.SHA256, want, sha256Hex(data))
		}
	}
}

// TestExternalTSA uses a second, independent node's RFC 3161 endpoint as an
// external TSA: every upload carries both tokens, each verifiable with
// openssl against its own TSA's root. When the external TSA is down, uploads
// fail with 503 and nothing is recorded.
func TestExternalTSA(t *testing.T) {
	ext := startNode(t, t.TempDir(), "org = \"Independent Time Authority\"\n")
	_, _, extRoot := ext.call("GET", "/api/v1/trust/root.pem", "", nil)
	caFile := writeFile(t, t.TempDir(), "independent-root.pem", extRoot)
	n := startNode(t, t.TempDir(), fmt.Sprintf("[[tsa.external]]\nname = \"independent\"\nurl = %q\ntimeout = \"3s\"\nca_file = %q\n", ext.URL+"/tsa", caFile))
	data := randomBytes(t, 2048)
	v := n.upload(n.Token, data)
	if len(v.Timestamps) != 2 || v.Timestamps[1].TSA != "independent" || v.Timestamps[1].URL != ext.URL+"/tsa" {
		t.Fatalf("timestamps = %+v, want the built-in and the external one", v.Timestamps)
	}
	status, _, reply := n.call("GET", "/api/v1/evidence/"+v.ID+"/timestamp?tsa=1", n.Token, nil)
	if status != 200 {
		t.Fatalf("GET timestamp?tsa=1 = %d", status)
	}
	verifyWithOpenSSL(t, ext, t.TempDir(), reply, data) // against the external TSA's own root

	// The receipt verifies with the node's trust bundle, which names the
	// external TSA's root (from ca_file): both tokens are checked.
	status, _, rcpt := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?wait=20s", n.Token, nil)
	_, _, tb := n.call("GET", "/api/v1/trust", "", nil)
	dir := t.TempDir()
	out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rcpt), "--file", writeFile(t, dir, "f", data), "--trust", writeFile(t, dir, "t.json", tb))
	if status != 200 || err != nil || strings.Contains(out, "not checked") || !strings.Contains(out, "Independent Time Authority TSA") {
		t.Errorf("verify of a receipt with an external token: %d %v\n%s", status, err, out)
	}

	ext.Kill()
	before := countFiles(t, filepath.Join(n.dir, "blobs"))
	status, h, b := n.call("POST", "/api/v1/evidence", n.Token, bytes.NewReader(randomBytes(t, 999)))
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("upload with the external TSA down = %d %s (Retry-After %q), want 503 with Retry-After", status, b, h.Get("Retry-After"))
	}
	if after := countFiles(t, filepath.Join(n.dir, "blobs")); after != before {
		t.Errorf("a refused upload changed the blob store: %d files before, %d after", before, after)
	}
	if status, _, _ := n.call("GET", "/api/v1/evidence/"+v.ID, n.Token, nil); status != 200 {
		t.Errorf("reads during the TSA outage = %d, want 200", status)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestS3Backend runs the node on a real MinIO: evidence lands in an Object
// Lock bucket under COMPLIANCE retention, and a MinIO outage turns uploads
// into clean 503s while the node keeps serving metadata.
func TestS3Backend(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	m := testenv.MinIO(t)
	cfg := fmt.Sprintf(`[storage]
backend = "s3"
[storage.s3]
endpoint = %q
bucket = "evidence"
access_key = %q
retention_days = 1
part_size_mib = 5
timeout = "5s"
`, m.Endpoint, m.AccessKey)
	n := startNode(t, t.TempDir(), cfg, "CUSTOS_S3_SECRET_KEY="+m.SecretKey)
	admin, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	small, large := randomBytes(t, 10_000), randomBytes(t, 12<<20+7) // large spans parts
	var ids []string
	for _, data := range [][]byte{small, large} {
		v := n.upload(n.Token, data)
		ids = append(ids, v.ID)
		status, _, got := n.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil)
		if status != 200 || !bytes.Equal(got, data) {
			t.Fatalf("S3 round trip of %d bytes: %d, %d bytes back", len(data), status, len(got))
		}
		key := "sha256/" + v.SHA256
		mode, until, err := admin.GetObjectRetention(ctx, "evidence", key, "")
		if err != nil || mode == nil || *mode != minio.Compliance || until == nil || until.Before(time.Now().Add(23*time.Hour)) {
			t.Errorf("retention of %s = %v %v %v, want COMPLIANCE for a day", key, mode, until, err)
		}
		info, _ := admin.StatObject(ctx, "evidence", key, minio.StatObjectOptions{})
		if err := admin.RemoveObject(ctx, "evidence", key, minio.RemoveObjectOptions{VersionID: info.VersionID}); err == nil {
			t.Errorf("MinIO deleted locked evidence %s", key)
		}
	}
	for obj := range admin.ListObjects(ctx, "evidence", minio.ListObjectsOptions{Prefix: "staging/", WithVersions: true}) {
		t.Errorf("staging object left behind: %s %s", obj.Key, obj.VersionID)
	}

	m.Stop()
	status, h, b := n.call("POST", "/api/v1/evidence", n.Token, bytes.NewReader(randomBytes(t, 5000)))
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("upload with MinIO down = %d %s, want 503 with Retry-After", status, b)
	}
	if status, _, _ := n.call("GET", "/api/v1/evidence/"+ids[0], n.Token, nil); status != 200 {
		t.Errorf("metadata read with MinIO down = %d, want 200", status)
	}
	if status, _, _ := n.call("GET", "/api/v1/evidence/"+ids[0]+"/content", n.Token, nil); status != http.StatusServiceUnavailable {
		t.Errorf("content read with MinIO down = %d, want 503", status)
	}
	m.Start()
	v := n.upload(n.Token, []byte("after the outage"))
	if status, _, got := n.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil); status != 200 || string(got) != "after the outage" {
		t.Errorf("after MinIO returned: GET content = %d %q", status, got)
	}
	n.Stop()
	out, err := runCustosEnv(t, []string{"CUSTOS_S3_SECRET_KEY=" + m.SecretKey}, "fsck", "--config", writeFile(t, t.TempDir(), "c.toml", []byte(cfg)), "--data", n.dir)
	if err != nil {
		t.Errorf("fsck on S3 after the outage: %v\n%s", err, out)
	}
}

// TestLargeUploadMemoryIsFlat streams 2 GiB through the API and checks
// that the server's peak RSS grows by less than 64 MiB.
func TestLargeUploadMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 2 GiB")
	}
	n := startNode(t, t.TempDir(), "")
	before := peakRSS(t, n.cmd.Process.Pid)
	const size = 2 << 30
	req, _ := http.NewRequest("POST", n.URL+"/api/v1/evidence", io.LimitReader(zeroReader{}, size))
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+n.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v wire.EvidenceView
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mustJSON(t, b, &v)
	const zeros2GiB = "a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51"
	if resp.StatusCode != 201 || v.Size != size || v.SHA256 != zeros2GiB {
		t.Fatalf("2 GiB upload = %d %+v", resp.StatusCode, v)
	}
	after := peakRSS(t, n.cmd.Process.Pid)
	t.Logf("server peak RSS: %d MiB before, %d MiB after a 2 GiB upload", before>>20, after>>20)
	if limit := int64(64 << 20); after-before > limit {
		t.Errorf("a 2 GiB upload raised peak RSS by %d MiB, want ≤ 64 MiB", (after-before)>>20)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// peakRSS reads VmHWM (peak resident set size) of a process, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
