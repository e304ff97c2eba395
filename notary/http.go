package notary

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/custos-project/custos/internal/problem"
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
		problem.Localized(w, r, http.StatusMethodNotAllowed, "method-not-allowed", problem.M("title.method-not-allowed"), problem.M("tsa-method"))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != QueryType {
		problem.Localized(w, r, http.StatusUnsupportedMediaType, "unsupported-media-type", problem.M("title.unsupported-media-type"), problem.M("tsa-media-type"))
		return
	}
	query, err := readQuery(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem.Localized(w, r, http.StatusRequestEntityTooLarge, "too-large", problem.M("title.tsa-query-too-large"), problem.M("tsa-too-large", "max", MaxQuerySize))
			return
		}
		problem.Localized(w, r, http.StatusBadRequest, "bad-query", problem.M("title.bad-tsa-query"), problem.M("tsa-unreadable"))
		return
	}
	reply, err := t.Respond(query)
	switch {
	case errors.Is(err, ErrBadQuery):
		problem.Localized(w, r, http.StatusBadRequest, "bad-query", problem.M("title.bad-tsa-query"), problem.M("tsa-bad-query"))
		return
	case err != nil:
		problem.Localized(w, r, http.StatusInternalServerError, "internal", problem.M("title.internal"), problem.M("tsa-issue"))
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
