package bench

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/notary"
)

// BenchmarkTSA drives POST /tsa of the running binary with 16 keep-alive
// clients sending precomputed RFC 3161 queries (SHA-256 imprint, nonce,
// certReq), and under the same load generator and queries two peers:
//
//   - sigstore's timestamp-server (memory signer: ECDSA P-256), when
//     installed (see sigstoreBin), embedding its whole chain as /tsa does
//     (the ratio), then embedding its leaf only, its default (for context);
//   - a plain net/http server around digitorus/timestamp's
//     CreateResponseWithOpts on the node's own key and certificates.
//
// Every reply must be 200 (201 from sigstore) with a granted status. One reply of each server
// is first parsed and checked in full, and checked by `openssl ts -verify`
// against the query and the server's root.
func BenchmarkTSA(b *testing.B) {
	const clients = 16
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")
	queries := tsaQueries(b, 4096)

	srv := startCustos(b)
	reply := checkTSA(b, srv.URL+"/tsa", http.StatusOK, 3, queries[0])
	chain, _ := fetchPEM(b, srv.URL+"/api/v1/trust/tsa-chain.pem")
	_, root := fetchPEM(b, srv.URL+"/api/v1/trust/root.pem")
	opensslVerify(b, "custos", reply, queries[0].der, root, chain)

	var peer, peerLeaf loadResult
	if bin := sigstoreBin(); bin != "" {
		peer = sigstoreLoad(b, bin, true, queries, clients, window)
		peerLeaf = sigstoreLoad(b, bin, false, queries, clients, window)
	} else {
		b.Logf("sigstore's timestamp-server is not installed ($%s or PATH): no peer comparison", sigstoreEnv)
	}

	base := startBaseline(b, "tsa:"+filepath.Join(srv.Dir, "pki"))
	checkTSA(b, base.URL+"/tsa", http.StatusOK, 3, queries[0])
	baseRes := tsaLoad(b, base.URL+"/tsa", http.StatusOK, queries, clients, window)
	base.stop(b)
	b.Logf("baseline (digitorus CreateResponseWithOpts, net/http): %v", baseRes)
	cpu0 := cpuTime(srv.PID())
	res := tsaLoad(b, srv.URL+"/tsa", http.StatusOK, queries, clients, window)
	b.Logf("custos /tsa: %v, %s", res, cpuPerOp(srv.PID(), cpu0, res))

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(res.rate(), "tokens/s")
	b.ReportMetric(res.quantile(0.50), "p50-ms")
	b.ReportMetric(res.quantile(0.99), "p99-ms")
	b.ReportMetric(baseRes.rate(), "baseline-tokens/s")
	b.ReportMetric(baseRes.quantile(0.50), "baseline-p50-ms")
	b.ReportMetric(baseRes.quantile(0.99), "baseline-p99-ms")
	b.ReportMetric(res.rate()/baseRes.rate(), "x-baseline")
	if peer.ops > 0 {
		b.ReportMetric(peer.rate(), "sigstore-tokens/s")
		b.ReportMetric(peer.quantile(0.50), "sigstore-p50-ms")
		b.ReportMetric(peer.quantile(0.99), "sigstore-p99-ms")
		b.ReportMetric(res.rate()/peer.rate(), "x-sigstore")
		b.ReportMetric(peerLeaf.rate(), "sigstore-leaf-tokens/s")
		b.ReportMetric(peerLeaf.quantile(0.50), "sigstore-leaf-p50-ms")
	}
}

// queryItem is a DER TimeStampReq and the imprint it carries.
type queryItem struct {
	der    []byte
	digest []byte
}

// tsaQueries precomputes n queries for distinct SHA-256 digests, each with
// a nonce and certReq set, as `openssl ts -query -cert` writes them.
func tsaQueries(b *testing.B, n int) []queryItem {
	b.Helper()
	out := make([]queryItem, n)
	for i := range out {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		d := sha256.Sum256(seed[:])
		req := timestamp.Request{
			HashAlgorithm: crypto.SHA256, HashedMessage: d[:], Certificates: true,
			Nonce: new(big.Int).SetUint64(uint64(i)<<20 | 0x5eed),
		}
		der, err := req.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		out[i] = queryItem{der: der, digest: d[:]}
	}
	return out
}

// tsaLoad posts queries to url from clients keep-alive clients. Replies
// must have status want (200; sigstore's server answers 201 Created).
func tsaLoad(b *testing.B, url string, want int, queries []queryItem, clients int, window time.Duration) loadResult {
	b.Helper()
	hc := newClient(clients)
	defer hc.CloseIdleConnections()
	next := make([]int, clients)
	res, err := runLoad(clients, time.Second, window, func(c int) error {
		q := queries[(next[c]*clients+c)%len(queries)]
		next[c]++
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(q.der))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", notary.QueryType)
		return do(hc, req, want, granted)
	})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// statusGranted is the DER PKIStatusInfo { status granted(0) } that opens
// a successful TimeStampResp (RFC 3161 §2.4.2).
var statusGranted = []byte{0x30, 0x03, 0x02, 0x01, 0x00}

// granted checks cheaply that reply is a TimeStampResp with status granted
// and a token, without parsing the token: the load generator's CPU is
// shared with the server's.
func granted(reply []byte) error {
	if len(reply) < 2 || reply[0] != 0x30 {
		return errors.New("reply is not a DER SEQUENCE")
	}
	hdr := 2
	if reply[1]&0x80 != 0 {
		hdr += int(reply[1] & 0x7f)
	}
	if len(reply) < hdr+len(statusGranted)+500 || !bytes.HasPrefix(reply[hdr:], statusGranted) {
		return fmt.Errorf("reply (%d bytes) is not a granted time-stamp with certificates", len(reply))
	}
	return nil
}

// checkTSA gets one token and checks it fully: the CMS signature (over
// the embedded certificate), the imprint, the nonce and the number of
// embedded certificates. It returns the reply.
func checkTSA(b *testing.B, url string, want, certs int, q queryItem) []byte {
	b.Helper()
	hc := &http.Client{}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(q.der))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", notary.QueryType)
	var (
		ts    *timestamp.Timestamp
		reply []byte
	)
	err = do(hc, req, want, func(body []byte) error {
		var err error
		reply = body
		ts, err = timestamp.ParseResponse(body)
		return err
	})
	if err != nil {
		b.Fatalf("POST %s: %v", url, err)
	}
	if !bytes.Equal(ts.HashedMessage, q.digest) || len(ts.Certificates) != certs || ts.Nonce == nil {
		b.Fatalf("POST %s: token for %x with %d certificates, nonce %v; want %x, %d, a nonce",
			url, ts.HashedMessage, len(ts.Certificates), ts.Nonce, q.digest, certs)
	}
	return reply
}
