package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRegistrationLatency measures how long a copyright registration
// takes from its 201 (answered at once, pending) to its number, which the
// consortium's register (chain state version 5) assigns when the
// registration's transaction is final: on a four-validator loopback
// consortium (`custos consortium init`, four `custos serve --config`,
// timeout_commit 100ms), anchorClients clients each register a work with
// one 1 KiB file and then GET /api/v1/copyrights/{id}?wait=30s (the server
// polls every 50ms), in a loop, spread over the nodes. The baseline, in
// the same run on the same consortium, is an upload's anchoring latency
// (BenchmarkAnchorLatency's loop): a registration is numbered by the
// block after the one that anchors it at best.
func BenchmarkRegistrationLatency(b *testing.B) {
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")
	nodes := startConsortium(b)
	anchored := anchorLatency(b, nodes, anchorClients, window)
	b.Logf("uploads, 201 to receipt: %s", anchored)
	numbered := registrationLatency(b, nodes, anchorClients, window)
	b.Logf("registrations, 201 to number: %s", numbered)

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(numbered.quantile(0.50), "p50-ms")
	b.ReportMetric(numbered.quantile(0.99), "p99-ms")
	b.ReportMetric(float64(len(numbered.latency)), "n")
	b.ReportMetric(anchored.quantile(0.50), "anchor-p50-ms")
	b.ReportMetric(numbered.quantile(0.50)/anchored.quantile(0.50), "x-anchor")
	b.ReportMetric(load1(), "load1-end")
}

// registrationLatency runs the register-then-wait loop for window.
func registrationLatency(b *testing.B, nodes []*server, clients int, window time.Duration) loadResult {
	b.Helper()
	hc := newClient(clients)
	defer hc.CloseIdleConnections()
	return clientLoop(b, hc, nodes, clients, window, "reg", registerAndWait)
}

// registerAndWait registers a work with 1 KiB of random bytes at node
// (as its operator) and returns the time from the 201 to the number.
func registerAndWait(hc *http.Client, node *server, rng *rand.ChaCha8) (time.Duration, error) {
	file := make([]byte, 1<<10)
	_, _ = rng.Read(file)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("metadata", `{"title":"Benchmark work","type":"text","authors":["B. Author"],"owner":"B. Author","created":"2025-01-01"}`); err != nil {
		return 0, err
	}
	fw, err := mw.CreateFormFile("file", "work.txt")
	if err == nil {
		_, err = fw.Write(file)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, node.URL+"/api/v1/copyrights", &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+node.Token)
	var cr struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Number string `json:"number"`
	}
	decode := func(b []byte) error { return json.Unmarshal(b, &cr) }
	if err := do(hc, req, http.StatusCreated, decode); err != nil {
		return 0, err
	}
	created := time.Now()
	if cr.Status != "pending" {
		return 0, fmt.Errorf("registration %s answered %q, want pending (is the chain at state version 5?)", cr.ID, cr.Status)
	}
	if req, err = http.NewRequest(http.MethodGet, node.URL+"/api/v1/copyrights/"+cr.ID+"?wait=30s", nil); err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+node.Token)
	if err := do(hc, req, http.StatusOK, decode); err != nil {
		return 0, err
	}
	if cr.Number == "" {
		return 0, fmt.Errorf("registration %s not numbered within 30 s", cr.ID)
	}
	return time.Since(created), nil
}
