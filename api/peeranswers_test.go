package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/custos-project/custos/internal/testenv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// The peer API's answers, held to api/peer/openapi.json (statuses_test.go
// records them with the public API's): the operations and statuses the
// contract declares, and the validation of answers and served requests
// against it.

// observePeer records the answers of h, a peer.Node's Handler in front of
// PeerHandler, by the operation of api/peer/openapi.json each request is
// for: also those peer.Node gives before routing (a request refused as
// stale, replayed, or not a member's).
func observePeer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bodyWriter{ResponseWriter: w}
		pw := &problemWriter{ResponseWriter: bw}
		h.ServeHTTP(pw, r)
		if op := peerOperation(r.Method, r.URL.Path); op != "" {
			peerAnswers.add(op, pw.status(), pw.problemType(), r.Method+" "+r.URL.String())
			if pw.status() < 300 {
				if err := checkPeerRequest(op, r); err != nil {
					peerAnswers.badBody(op, pw.status(), err)
				}
			}
			if peerAnswers.toCheck(op, pw.status(), pw.problemType()) {
				if err := checkPeerAnswer(op, r, pw.status(), w.Header(), bw.body); err != nil {
					peerAnswers.badBody(op, pw.status(), err)
				}
			}
		}
	})
}

// bodyWriter keeps the first MiB of an answer's body.
type bodyWriter struct {
	http.ResponseWriter
	body []byte
}

func (w *bodyWriter) Write(b []byte) (int, error) {
	w.body = append(w.body, b[:min(len(b), 1<<20-len(w.body))]...)
	return w.ResponseWriter.Write(b)
}

func (w *bodyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pathParams are the values in path of the parameters of template.
func pathParams(template, path string) map[string]string {
	out := map[string]string{}
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	for i := range min(len(ts), len(ps)) {
		if name, ok := strings.CutPrefix(ts[i], "{"); ok {
			out[strings.TrimSuffix(name, "}")] = ps[i]
		}
	}
	return out
}

// peerContract is api/peer/openapi.json parsed, with the document its
// reads refer to, to validate answers against.
var peerContract = sync.OnceValues(func() (*openapi3.T, error) {
	openapi3filter.RegisterBodyDecoder("application/timestamp-reply", openapi3filter.FileBodyDecoder) // DER, as octet-stream
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	return l.LoadFromFile("peer/openapi.json")
})

// peerInput is the validation input of a request for op of the peer
// API's contract.
func peerInput(op string, r *http.Request) (*openapi3filter.RequestValidationInput, error) {
	doc, err := peerContract()
	if err != nil {
		return nil, err
	}
	method, path, _ := strings.Cut(op, " ")
	item := doc.Paths.Value(path)
	return &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams(path, r.URL.Path),
		Route:   &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)},
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}}, nil
}

// checkPeerRequest validates a request a node served (2xx) as a request
// of its operation: a node serves no request the contract calls
// malformed, and a relaying node sends none. (A notice's body is read by
// the handler; api/peer's tests validate the notices taken.)
func checkPeerRequest(op string, r *http.Request) error {
	in, err := peerInput(op, r)
	if err != nil || r.Method == http.MethodPost {
		return err
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("a request served: %w", err)
	}
	return nil
}

// checkPeerAnswer validates an answer's headers and body against its
// status's response in the peer API's contract.
func checkPeerAnswer(op string, r *http.Request, status int, header http.Header, body []byte) error {
	in, err := peerInput(op, r)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body))})
}

// peerDeclaredStatuses is those of the peer API's, api/peer/openapi.json.
var peerDeclaredStatuses = sync.OnceValue(func() map[string]map[string]bool {
	b, err := os.ReadFile("peer/openapi.json")
	if err != nil {
		panic(err)
	}
	return statusesOf(b)
})

// peerDescriptions is the response descriptions of each operation of
// api/peer/openapi.json, by status.
var peerDescriptions = sync.OnceValue(func() map[string]map[string]string {
	b, err := os.ReadFile("peer/openapi.json")
	if err != nil {
		panic(err)
	}
	out, err := testenv.ResponseDescriptions(b)
	if err != nil {
		panic(err)
	}
	return out
})

// peerOperation is the operation of api/peer/openapi.json that a request
// for method and path is, or "".
func peerOperation(method, path string) string {
	for route, op := range peerOperationByRoute() {
		m, p, _ := strings.Cut(route, " ")
		re := "^" + strings.ReplaceAll(regexp.QuoteMeta(p), `\{\}`, "[^/]+") + "$"
		if m == method && regexp.MustCompile(re).MatchString(path) {
			return op
		}
	}
	return ""
}
