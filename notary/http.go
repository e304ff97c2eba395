package notary

import (
	"encoding/json"
	"errors"
	"fmt"
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
		writeProblem(w, http.StatusMethodNotAllowed, "use POST with an "+QueryType+" body")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != QueryType {
		writeProblem(w, http.StatusUnsupportedMediaType, "the body must be "+QueryType+" (RFC 3161 §3.4)")
		return
	}
	query, err := readQuery(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a query is at most %d bytes", MaxQuerySize))
			return
		}
		writeProblem(w, http.StatusBadRequest, "reading the query: "+err.Error())
		return
	}
	reply, err := t.Respond(query)
	switch {
	case errors.Is(err, ErrBadQuery):
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		writeProblem(w, http.StatusInternalServerError, "the time-stamp could not be issued")
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

// problem is an RFC 9457 problem details object.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// writeProblem answers with an RFC 9457 problem of type "about:blank",
// whose title is the status phrase (RFC 9457 §4.2.1).
func writeProblem(w http.ResponseWriter, status int, detail string) {
	b, _ := json.Marshal(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
