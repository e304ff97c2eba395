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
// certReq), and the baseline, a plain net/http server around
// digitorus/timestamp's CreateResponseWithOpts on the same ECDSA P-256 key
// and certificates (the dev PKI of the node under test), under the same
// load. Every reply must be 200 with a granted status; one reply of each is
// fully parsed and checked first.
func BenchmarkTSA(b *testing.B) {
	const clients = 16
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")
	queries := tsaQueries(b, 4096)

	srv := startCustos(b)
	base := startBaseline(b, "tsa:"+filepath.Join(srv.Dir, "pki"))
	checkTSA(b, srv.URL+"/tsa", queries[0])
	checkTSA(b, base.URL+"/tsa", queries[0])

	baseRes := tsaLoad(b, base.URL+"/tsa", queries, clients, window)
	base.stop(b)
	b.Logf("baseline (digitorus CreateResponseWithOpts, net/http): %v", baseRes)
	res := tsaLoad(b, srv.URL+"/tsa", queries, clients, window)
	b.Logf("custos /tsa: %v", res)

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(res.rate(), "tokens/s")
	b.ReportMetric(res.quantile(0.50), "p50-ms")
	b.ReportMetric(res.quantile(0.99), "p99-ms")
	b.ReportMetric(baseRes.rate(), "baseline-tokens/s")
	b.ReportMetric(baseRes.quantile(0.50), "baseline-p50-ms")
	b.ReportMetric(baseRes.quantile(0.99), "baseline-p99-ms")
	b.ReportMetric(res.rate()/baseRes.rate(), "x-baseline")
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

func tsaLoad(b *testing.B, url string, queries []queryItem, clients int, window time.Duration) loadResult {
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
		return do(hc, req, http.StatusOK, granted)
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
// the embedded certificate), the imprint and the nonce.
func checkTSA(b *testing.B, url string, q queryItem) {
	b.Helper()
	hc := &http.Client{}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(q.der))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", notary.QueryType)
	var ts *timestamp.Timestamp
	err = do(hc, req, http.StatusOK, func(body []byte) error {
		var err error
		ts, err = timestamp.ParseResponse(body)
		return err
	})
	if err != nil {
		b.Fatalf("POST %s: %v", url, err)
	}
	if !bytes.Equal(ts.HashedMessage, q.digest) || len(ts.Certificates) != 3 || ts.Nonce == nil {
		b.Fatalf("POST %s: token for %x with %d certificates, nonce %v; want %x, 3, a nonce",
			url, ts.HashedMessage, len(ts.Certificates), ts.Nonce, q.digest)
	}
}
