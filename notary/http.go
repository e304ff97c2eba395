package notary

import (
	"errors"
	"fmt"
	"github.com/custos-project/custos/internal/problem"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// RFC 3161 §3.4 media types.
const (
	QueryType = "application/timestamp-query"
	ReplyType = "application/timestamp-reply"
)

// MaxQuerySize bounds a time-stamp query body. A query is about 60 bytes;
// 64 KiB leaves room for extensions and nothing for abuse.
const MaxQuerySize = 64 << 10

// ServeHTTP serves the TSA over HTTP (RFC 3161 §3.4): a POST of a DER
// TimeStampReq as application/timestamp-query is answered 200 with a DER
// TimeStampResp as application/timestamp-reply, rejections included (their
// status is in the reply). Errors are RFC 9457 problem details: 405 for
// another method, 415 for another content type, 413 for a body over
// MaxQuerySize, 400 for a body that is no TimeStampReq.
func (t *TSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem.Write(w, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "Use POST with an "+QueryType+" body.")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != QueryType {
		problem.Write(w, http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "The body must be "+QueryType+" (RFC 3161 §3.4).")
		return
	}
	query, err := readQuery(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem.Write(w, http.StatusRequestEntityTooLarge, "too-large", "Query too large", fmt.Sprintf("A time-stamp query is at most %d bytes.", MaxQuerySize))
			return
		}
		problem.Write(w, http.StatusBadRequest, "bad-query", "Malformed time-stamp query", "Reading the query failed: "+err.Error())
		return
	}
	reply, err := t.Respond(query)
	switch {
	case errors.Is(err, ErrBadQuery):
		problem.Write(w, http.StatusBadRequest, "bad-query", "Malformed time-stamp query", "The body is not a DER TimeStampReq (RFC 3161 §2.4.1): "+err.Error())
		return
	case err != nil:
		problem.Write(w, http.StatusInternalServerError, "internal", "Internal server error", "The time-stamp could not be issued; the failure is logged.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", ReplyType)
	h.Set("Content-Length", strconv.Itoa(len(reply)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply)
}

// readQuery reads at most MaxQuerySize bytes of body.
func readQuery(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxQuerySize {
		return nil, &http.MaxBytesError{Limit: MaxQuerySize}
	}
	body := http.MaxBytesReader(w, r.Body, MaxQuerySize)
	if r.ContentLength > 0 {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(body)
}
