package bench

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
)

// serveEnv makes the test binary a baseline server instead of running the
// benchmarks (see startBaseline): "created" for the trivial 201 handler,
// "tsa:DIR" for the digitorus RFC 3161 server on the development PKI in DIR.
const serveEnv = "CUSTOS_BENCH_SERVE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(serveEnv); mode != "" {
		if err := serveBaseline(mode); err != nil {
			fmt.Fprintln(os.Stderr, "baseline server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveBaseline runs a baseline server until SIGTERM, with the same
// http.Server settings as `custos serve`, and prints the same first line.
func serveBaseline(mode string) error {
	var h http.Handler
	switch {
	case mode == "created":
		h = http.HandlerFunc(created)
	case strings.HasPrefix(mode, "tsa:"):
		t, err := newDigitorusTSA(strings.TrimPrefix(mode, "tsa:"))
		if err != nil {
			return err
		}
		h = t
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("Custos is serving on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// created is the small-ingest baseline: the least an HTTP server must do
// for an upload, read the body and answer 201.
func created(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// digitorusTSA is the TSA baseline: an RFC 3161 server as the common Go
// servers write it (sigstore's timestamp-authority does the same), parsing
// with timestamp.ParseRequest and answering with CreateResponseWithOpts. It
// embeds the same certificates as the built-in TSA: the TSA certificate
// and its chain when the query asks for them.
type digitorusTSA struct {
	cert   *x509.Certificate
	chain  []*x509.Certificate
	signer crypto.Signer
}

func newDigitorusTSA(pkiDir string) (*digitorusTSA, error) {
	dev, err := certs.LoadOrCreateDev(pkiDir, "Custos Bench", time.Now())
	if err != nil {
		return nil, err
	}
	return &digitorusTSA{cert: dev.TSA.Cert, chain: dev.TSA.Chain, signer: dev.TSA.Signer}, nil
}

func (t *digitorusTSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != notary.QueryType {
		http.Error(w, "POST an application/timestamp-query", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, notary.MaxQuerySize))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              time.Now().UTC(),
		Accuracy:          time.Second,
		Policy:            notary.DefaultPolicy,
		Nonce:             req.Nonce,
		AddTSACertificate: req.Certificates,
	}
	if req.Certificates {
		ts.Certificates = t.chain
	}
	reply, err := ts.CreateResponseWithOpts(t.cert, t.signer, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", notary.ReplyType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply)
}
