package notary

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/rfc3161"
)

// BenchmarkStamp measures in-process token issuance on all cores.
func BenchmarkStamp(b *testing.B) {
	p := newTestPKI(b, time.Now())
	tsa := newTestTSA(b, p, nil)
	digest := digestOf("bench")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tsa.Stamp(context.Background(), crypto.SHA256, digest); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkRespond measures query parsing and issuance, one core.
func BenchmarkRespond(b *testing.B) {
	p := newTestPKI(b, time.Now())
	tsa := newTestTSA(b, p, nil)
	query := mustQuery(b, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("bench"), Certificates: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tsa.Respond(query); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTSAHTTP serves the TSA over a real loopback HTTP server and
// drives it with 16 concurrent clients reusing their connections, as
// `openssl ts -query` users or the API would. Client and server share the
// machine's cores.
func BenchmarkTSAHTTP(b *testing.B) {
	const clients = 16
	p := newTestPKI(b, time.Now())
	tsa := newTestTSA(b, p, nil)
	srv := httptest.NewServer(tsa)
	b.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(hc.CloseIdleConnections)
	query := mustQuery(b, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("bench"), Certificates: true, Nonce: nil})

	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			buf := make([]byte, 4096)
			for next.Add(1) <= int64(b.N) {
				resp, err := hc.Post(srv.URL, QueryType, bytes.NewReader(query))
				if err != nil {
					b.Error(err)
					return
				}
				n, _ := io.ReadFull(resp.Body, buf)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || n < 500 {
					b.Errorf("POST = %d, %d bytes", resp.StatusCode, n)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkSuites compares the sm suite (SM2 with SM3) with the ecdsa suite
// (ECDSA P-256 with SHA-256) in one run, on one goroutine each: tokens
// issued by Stamp, and tokens verified offline by a Checker (its chain
// cached after the first, as the receipt verifier checks them). The issue's
// goal is sm ≥ 0.5× ecdsa for both; docs/performance.md, "SM2 suite".
func BenchmarkSuites(b *testing.B) {
	for _, suite := range []struct {
		name string
		pki  func(testing.TB, time.Time) *testPKI
	}{{"ecdsa", newTestPKI}, {"sm", newSMTestPKI}} {
		p := suite.pki(b, time.Now())
		tsa := newTestTSA(b, p, nil)
		digest := digestOf("bench")
		b.Run("stamp/"+suite.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tsa.Stamp(context.Background(), crypto.SHA256, digest); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
		tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest)
		if err != nil {
			b.Fatal(err)
		}
		checker := rfc3161.NewChecker(p.roots)
		b.Run("check/"+suite.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := checker.Check(tok.Reply, crypto.SHA256, digest, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
		})
	}
}
