package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// BenchmarkCrossMemberDownload shares one large random item
// (CUSTOS_BENCH_LARGE, default 1GiB) from a firm on the first member of a
// 4-member consortium with a court homed on the third, and times the
// court's download through its own node (relayed from the firm's node
// over the peer API, mutual TLS, digest checked while streaming) against
// the firm's download of the same item from its own node, the baseline,
// in the same run. Each runs three times, interleaved; the best counts.
func BenchmarkCrossMemberDownload(b *testing.B) {
	size := envSize(b, "CUSTOS_BENCH_LARGE", 1<<30)
	b.ReportMetric(load1(), "load1")
	nodes := startConsortium(b)
	hc := &http.Client{}
	firm, firmToken := benchOrg(b, hc, nodes[0], "lawfirm", "Bench Firm", "submitter")
	court, courtToken := benchOrg(b, hc, nodes[2], "court", "Bench Court", "examiner")
	waitListed(b, hc, nodes[0], court)
	waitListed(b, hc, nodes[2], firm)

	path, sum := randomFile(b, size)
	id := uploadAs(b, hc, nodes[0].URL, firmToken, path, size, sum)
	share := fmt.Sprintf(`{"evidence":%q,"org":%q}`, id, court)
	req, _ := http.NewRequest("POST", nodes[0].URL+"/api/v1/shares", strings.NewReader(share))
	req.Header.Set("Authorization", "Bearer "+firmToken)
	req.Header.Set("Content-Type", "application/json")
	if err := do(hc, req, http.StatusCreated, nil); err != nil {
		b.Fatal(err)
	}
	content := "/api/v1/evidence/" + id + "/content"
	waitFor(b, func() bool { return get(hc, nodes[2].URL+"/api/v1/evidence/"+id, courtToken) == http.StatusOK })

	bestLocal, bestRelay := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for i := range 3 {
		bestLocal = min(bestLocal, download(b, hc, nodes[0].URL+content, firmToken, size, ""))
		want := ""
		if i == 0 {
			want = sum // the relayed bytes are the item's (the relay checks too)
		}
		bestRelay = min(bestRelay, download(b, hc, nodes[2].URL+content, courtToken, size, want))
	}
	mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
	b.Logf("%d bytes: local download %v (%.0f MB/s), through the court's node %v (%.0f MB/s)",
		size, bestLocal, mbps(bestLocal), bestRelay, mbps(bestRelay))
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mbps(bestRelay), "MB/s")
	b.ReportMetric(mbps(bestLocal), "local-MB/s")
	b.ReportMetric(bestLocal.Seconds()/bestRelay.Seconds(), "x-local")
}

// benchOrg creates an organization on node and a key of role for it.
func benchOrg(b *testing.B, hc *http.Client, node *server, kind, name, role string) (org, token string) {
	b.Helper()
	var o struct {
		ID string `json:"id"`
	}
	post := func(path, body string, v any) {
		req, _ := http.NewRequest("POST", node.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+node.Token)
		req.Header.Set("Content-Type", "application/json")
		if err := do(hc, req, http.StatusCreated, func(b []byte) error { return json.Unmarshal(b, v) }); err != nil {
			b.Fatal(err)
		}
	}
	post("/api/v1/orgs", fmt.Sprintf(`{"kind":%q,"name":%q}`, kind, name), &o)
	var k struct {
		Token string `json:"token"`
	}
	post("/api/v1/orgs/"+o.ID+"/keys", fmt.Sprintf(`{"role":%q,"name":"bench"}`, role), &k)
	return o.ID, k.Token
}

// waitListed waits until node's directory lists org.
func waitListed(b *testing.B, hc *http.Client, node *server, org string) {
	b.Helper()
	waitFor(b, func() bool { return get(hc, node.URL+"/api/v1/directory/"+org, node.Token) == http.StatusOK })
}

func waitFor(b *testing.B, ok func() bool) {
	b.Helper()
	for end := time.Now().Add(60 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			b.Fatal("timed out")
		}
	}
}

// get answers the status of a GET, its body read and dropped.
func get(hc *http.Client, url, token string) int {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// uploadAs files the file at url with token and returns the item's ID.
func uploadAs(b *testing.B, hc *http.Client, url, token, path string, size int64, sum string) string {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/evidence", f)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	var v struct {
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
	}
	if err := do(hc, req, http.StatusCreated, func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil || v.SHA256 != sum {
		b.Fatalf("upload: %v (sha256 %s, want %s)", err, v.SHA256, sum)
	}
	return v.ID
}

// download times a GET of size bytes; with want set, it also checks their
// SHA-256.
func download(b *testing.B, hc *http.Client, url, token string, size int64, want string) time.Duration {
	b.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	t0 := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var w io.Writer = io.Discard
	h := sha256.New()
	if want != "" {
		w = h
	}
	n, err := io.Copy(w, resp.Body)
	d := time.Since(t0)
	if err != nil || resp.StatusCode != http.StatusOK || n != size {
		b.Fatalf("GET %s = %d, %d bytes of %d, %v", url, resp.StatusCode, n, size, err)
	}
	if want != "" && hex.EncodeToString(h.Sum(nil)) != want {
		b.Fatalf("GET %s: sha256 %x, want %s", url, h.Sum(nil), want)
	}
	return d
}
