package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/text"
)

// ProblemBase prefixes every problem type. Problem types are stable; each is
// documented in docs/api.md.
const ProblemBase = prob.Base

// Problem is an RFC 9457 problem details object (application/problem+json).
type Problem struct {
	Type     string                `json:"type"`
	Title    string                `json:"title"`
	Status   int                   `json:"status"`
	Detail   string                `json:"detail,omitempty"`
	Instance string                `json:"instance,omitempty"`
	Errors   []evidence.FieldError `json:"errors,omitempty"`
	// Candidates: see wire.Problem (names.go).
	Candidates []wire.Candidate `json:"candidates,omitempty"`

	retryAfter int // seconds; sets Retry-After when > 0
	cause      error
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }
func (p *Problem) Unwrap() error { return p.cause }

func problem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: ProblemBase + slug, Title: title, Status: status, Detail: detail}
}

// Problems a handler returns directly.
func errBadRequest(slug, detail string) *Problem {
	return problem(http.StatusBadRequest, slug, "Bad request", detail)
}

func errUnauthorized(detail string) *Problem {
	return problem(http.StatusUnauthorized, "unauthorized", "Authentication required", detail)
}

func errNotFound() *Problem {
	return problem(http.StatusNotFound, "not-found", "Not found", "There is no evidence with this ID that you may see.")
}

// toProblem maps any error to the problem the client sees. Only real server
// faults become 500, and their detail is not shown to the client.
func toProblem(err error) *Problem {
	var p *Problem
	var me *evidence.MetadataError
	var te *text.Error
	var mbe *http.MaxBytesError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &p):
		return p
	case certifyProblem(err) != nil:
		return certifyProblem(err)
	case errors.As(err, &te):
		return invisibleProblem(err, te)
	case errors.As(err, &me):
		p = problem(http.StatusUnprocessableEntity, "invalid-metadata", "Invalid metadata",
			"Some metadata fields are invalid; see errors.")
		p.Errors = me.Fields
		return p
	case errors.Is(err, evidence.ErrNotFound):
		return errNotFound()
	case errors.Is(err, evidence.ErrEmpty):
		return errBadRequest("empty-upload", "The upload has no bytes. Send the file as the request body or as a multipart part named \"file\".")
	case errors.Is(err, evidence.ErrTooLarge), errors.As(err, &mbe):
		return problem(http.StatusRequestEntityTooLarge, "too-large", "Upload too large", "The upload is larger than this server accepts.")
	case errors.Is(err, evidence.ErrNotStored):
		p = problem(http.StatusServiceUnavailable, "not-yet-stored", "Content not yet stored",
			"The evidence is recorded but its bytes are still being moved to write-once storage. Retry shortly.")
		p.retryAfter = 2
		return p
	case errors.Is(err, evidence.ErrTSAFailed):
		p = problem(http.StatusBadGateway, "tsa-failed", "Time-stamping failed",
			"A time-stamping authority answered with a token that cannot be used; nothing was recorded. The operator must check the TSA configuration; retrying will not help until then.")
		p.cause = err
		return p
	case errors.Is(err, evidence.ErrUnavailable):
		p = problem(http.StatusServiceUnavailable, "unavailable", "Service temporarily unavailable",
			"A storage or time-stamping service did not answer; nothing was recorded. Retry later.")
		p.retryAfter = 5
		p.cause = err
		return p
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled):
		return errBadRequest("incomplete-upload", "The request body ended before it was complete.")
	case errors.As(err, &he):
		return echoProblem(he)
	}
	p = problem(http.StatusInternalServerError, "internal", "Internal server error", "The server failed; the failure is logged.")
	p.cause = err
	return p
}

// invisibleProblem answers text that holds an invisible, direction-changing
// or control character (internal/text) with 400 invisible-character, whose
// detail names the field and the code point; errors lists every invalid
// field when err is a *evidence.MetadataError, else that one field.
func invisibleProblem(err error, te *text.Error) *Problem {
	p := errBadRequest("invisible-character", te.Error()+
		". Names, titles, file names and descriptions may not hold invisible, direction-changing or control characters: remove it and send the request again.")
	var me *evidence.MetadataError
	if errors.As(err, &me) {
		p.Errors = me.Fields
	} else {
		p.Errors = []evidence.FieldError{{Field: te.Field, Message: te.Message()}}
	}
	return p
}

// checkVisible checks a one-line text parameter (internal/text).
func checkVisible(field, s string) error { return text.CheckVisible(field, s) }

func echoProblem(he *echo.HTTPError) *Problem {
	switch he.Code {
	case http.StatusNotFound:
		return problem(he.Code, "no-such-endpoint", "Not found", "No endpoint at this path.")
	case http.StatusMethodNotAllowed:
		return problem(he.Code, "method-not-allowed", "Method not allowed", "This endpoint does not accept this method.")
	case http.StatusRequestEntityTooLarge:
		return problem(he.Code, "too-large", "Request too large", "The request body is larger than this endpoint accepts.")
	}
	msg, _ := he.Message.(string)
	return problem(he.Code, "http-"+strconv.Itoa(he.Code), http.StatusText(he.Code), msg)
}

// handleError is echo's HTTPErrorHandler: every error leaves as problem+json.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := toProblem(err)
	if p.Status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "status", p.Status, "err", err)
	} else {
		s.log.Debug("request refused", "method", c.Request().Method, "path", c.Path(), "status", p.Status, "err", err)
	}
	writeProblem(c.Response(), p)
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="custos"`)
	}
	w.WriteHeader(p.Status)
	if err := encodeJSON(w, p); err != nil {
		slog.Debug("writing problem", "err", err)
	}
}
