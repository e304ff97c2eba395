package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/proofs"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/strictjson"
	"github.com/custos-project/custos/internal/text"
	"github.com/custos-project/custos/webhooks"
)

// ProblemBase prefixes every problem type. Problem types are stable; each is
// documented in docs/api.md.
const ProblemBase = prob.Base

// Problem is an RFC 9457 problem details object (application/problem+json).
// Its title and detail are catalog messages (internal/problem), put into
// words in the client's language when the answer is written; Title and
// Detail hold their English text until then.
type Problem struct {
	Type     string                `json:"type"`
	Title    string                `json:"title"`
	Status   int                   `json:"status"`
	Detail   string                `json:"detail,omitempty"`
	Instance string                `json:"instance,omitempty"`
	Errors   []evidence.FieldError `json:"errors,omitempty"`
	// Candidates: see wire.Problem (names.go).
	Candidates []wire.Candidate `json:"candidates,omitempty"`
	// Field and Suggestions: see wire.Problem (names.go, suggest.go).
	Field       string           `json:"field,omitempty"`
	Suggestions []wire.Candidate `json:"suggestions,omitempty"`
	// Needed: see wire.Problem (auth.go).
	Needed *wire.Needed `json:"needed,omitempty"`
	// Reason: see wire.Problem (governance.go).
	Reason string `json:"reason,omitempty"`
	// Members: see wire.Problem (chainadmin.go).
	Members []wire.MemberSoftware `json:"members,omitempty"`

	title, detail prob.Msg
	retryAfter    int // seconds; sets Retry-After when > 0
	cause         error
}

// Error is the English title and detail, and the cause that the client
// is not shown (the log's only).
func (p *Problem) Error() string {
	if p.cause != nil {
		return p.Title + ": " + p.Detail + " (" + p.cause.Error() + ")"
	}
	return p.Title + ": " + p.Detail
}
func (p *Problem) Unwrap() error { return p.cause }

// problem is the problem Base+slug with a title and a detail from the
// catalog. Every problem the API answers is made here.
func problem(status int, slug string, title, detail prob.Msg) *Problem {
	return &Problem{Type: ProblemBase + slug, Status: status, title: title, detail: detail,
		Title: title.In(prob.English), Detail: detail.In(prob.English)}
}

// localize puts p's title, detail and field messages into words in l.
func (p *Problem) localize(l prob.Lang) {
	p.Title, p.Detail = quoted(p.title).In(l), quoted(p.detail).In(l)
	if len(p.Errors) > 0 {
		fs := make([]evidence.FieldError, len(p.Errors))
		for i, f := range p.Errors {
			if m := f.Msg(); !m.IsZero() {
				f.Message = quoted(m).In(l)
			} else {
				f.Message = quoted(prob.M("field.other", "message", f.Message)).In(l)
			}
			fs[i] = f
		}
		p.Errors = fs
	}
}

// Problems a handler returns directly.
func errBadRequest(slug string, detail prob.Msg) *Problem {
	return problem(http.StatusBadRequest, slug, prob.M("title.bad-request"), detail)
}

func errUnauthorized(detail prob.Msg) *Problem {
	return problem(http.StatusUnauthorized, "unauthorized", prob.M("title.unauthorized"), detail)
}

func errNotFound() *Problem {
	return errGone("no-evidence")
}

// errGone is 404 not-found with the catalog's detail id.
func errGone(id string, kv ...any) *Problem {
	return problem(http.StatusNotFound, "not-found", prob.M("title.not-found"), prob.M(id, kv...))
}

// errInvalid is 422 invalid-input with the catalog's detail id.
func errInvalid(id string, kv ...any) *Problem {
	return problem(http.StatusUnprocessableEntity, "invalid-input", prob.M("title.invalid-input"), prob.M(id, kv...))
}

// errNotObject is 400 not-an-object: the body of an endpoint that takes a
// JSON object is null, an array, a string, a number or a boolean.
func errNotObject() *Problem {
	return problem(http.StatusBadRequest, "not-an-object", prob.M("title.not-an-object"), prob.M("json-object"))
}

// errForbidden is 403 forbidden with the catalog's detail id.
func errForbidden(id string, kv ...any) *Problem {
	return problem(http.StatusForbidden, "forbidden", prob.M("title.forbidden"), prob.M(id, kv...))
}

// errParam is 400 bad-parameter with the catalog's detail id.
func errParam(id string, kv ...any) *Problem {
	return errBadRequest("bad-parameter", prob.M(id, kv...))
}

// errNoChain is 404 no-chain: the node runs without a consortium chain.
func errNoChain() *Problem {
	return problem(http.StatusNotFound, "no-chain", prob.M("title.no-chain"), prob.M("no-chain"))
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
		p = problem(http.StatusUnprocessableEntity, "invalid-metadata", prob.M("title.invalid-metadata"), prob.M("invalid-metadata"))
		p.Errors = me.Fields
		return p
	case errors.Is(err, evidence.ErrNotFound):
		return errNotFound()
	case errors.Is(err, evidence.ErrEmpty):
		return errBadRequest("empty-upload", prob.M("empty-upload"))
	case errors.Is(err, evidence.ErrTooLarge):
		return problem(http.StatusRequestEntityTooLarge, "too-large", prob.M("title.upload-too-large"), prob.M("upload-too-large"))
	case errors.As(err, &mbe): // a body other than an upload's (Server.problemOf)
		return problem(http.StatusRequestEntityTooLarge, "too-large", prob.M("title.request-too-large"), prob.M("body-too-large"))
	case errors.Is(err, certificates.ErrNumberingHeld):
		var he *certificates.HeldError
		since := ""
		if errors.As(err, &he) {
			since = he.Since.Format(time.RFC3339)
		}
		p = problem(http.StatusConflict, "certificate-numbering-held", prob.M("title.certificate-numbering-held"), prob.M("certificate-numbering-held", "since", since))
		p.cause = err
		return p
	case errors.Is(err, proofs.ErrCustodyDiverged):
		p = problem(http.StatusConflict, "custody-diverged", prob.M("title.custody-diverged"), prob.M("custody-diverged"))
		p.cause = err
		return p
	case errors.Is(err, evidence.ErrNotStored):
		p = problem(http.StatusServiceUnavailable, "not-yet-stored", prob.M("title.not-yet-stored"), prob.M("not-yet-stored"))
		p.retryAfter = 2
		return p
	case errors.Is(err, evidence.ErrTSAFailed):
		p = problem(http.StatusBadGateway, "tsa-failed", prob.M("title.tsa-failed"), prob.M("tsa-failed"))
		p.cause = err
		return p
	case errors.Is(err, webhooks.ErrSealUnavailable):
		p = problem(http.StatusServiceUnavailable, "unavailable", prob.M("title.unavailable"), prob.M("seal-unavailable"))
		p.retryAfter = 5
		p.cause = err
		return p
	case noSpace(err):
		p = problem(http.StatusInsufficientStorage, "insufficient-storage", prob.M("title.insufficient-storage"), prob.M("insufficient-storage"))
		p.retryAfter = 60
		p.cause = err
		return p
	case errors.Is(err, evidence.ErrUnavailable):
		p = problem(http.StatusServiceUnavailable, "unavailable", prob.M("title.unavailable"), prob.M("unavailable"))
		p.retryAfter = 5
		p.cause = err
		return p
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled):
		return errBadRequest("incomplete-upload", prob.M("incomplete-upload"))
	case errors.As(err, &he):
		return echoProblem(he)
	}
	p = problem(http.StatusInternalServerError, "internal", prob.M("title.internal"), prob.M("internal"))
	p.cause = err
	return p
}

// noSpace reports whether err is a full disk or an exhausted quota: a
// write the client may retry once the operator has freed space (RFC 4918
// §11.5, 507 Insufficient Storage). Every writer keeps the errno in its
// chain: storage's staged writes and syncs, bbolt's commits.
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// invisibleProblem answers text that holds an invisible, direction-changing
// or control character (internal/text) with 400 invisible-character, whose
// detail names the field and the code point; errors lists every invalid
// field when err is a *evidence.MetadataError, else that one field.
func invisibleProblem(err error, te *text.Error) *Problem {
	p := errBadRequest("invisible-character", prob.M("invisible-character", "field", te.Field, "what", evidence.CharMsg(te)))
	var me *evidence.MetadataError
	if errors.As(err, &me) {
		p.Errors = me.Fields
	} else {
		p.Errors = []evidence.FieldError{evidence.NewFieldError(te.Field, "field.char", "what", evidence.CharMsg(te))}
	}
	return p
}

// checkVisible checks a one-line text parameter (internal/text).
func checkVisible(field, s string) error { return text.CheckVisible(field, s) }

// echoProblem answers an error of echo itself (routing, binding). Its
// message is for the log only: it may be a library's text.
func echoProblem(he *echo.HTTPError) *Problem {
	switch he.Code {
	case http.StatusNotFound:
		return problem(he.Code, "no-such-endpoint", prob.M("title.not-found"), prob.M("no-endpoint"))
	case http.StatusMethodNotAllowed:
		return problem(he.Code, "method-not-allowed", prob.M("title.method-not-allowed"), prob.M("method-not-allowed"))
	case http.StatusRequestEntityTooLarge:
		return problem(he.Code, "too-large", prob.M("title.request-too-large"), prob.M("body-too-large"))
	}
	p := problem(he.Code, "http-"+strconv.Itoa(he.Code), prob.M("title.http"), prob.M("http-error", "status", he.Code))
	p.cause = he
	return p
}

// problemOf is toProblem with what the server knows: an upload over the
// node's limit, refused by its Content-Length or cut off as it streams,
// names the limit (413 too-large, as toProblem's).
func (s *Server) problemOf(err error) *Problem {
	var mbe *http.MaxBytesError
	if s.records == nil || !errors.Is(err, evidence.ErrTooLarge) && !errors.As(err, &mbe) {
		return toProblem(err)
	}
	limit := s.records.MaxSize()
	if mbe == nil || mbe.Limit == limit+multipartSlack {
		return problem(http.StatusRequestEntityTooLarge, "too-large", prob.M("title.upload-too-large"),
			prob.M("upload-too-large-max", "max", sizeText(limit)))
	}
	return toProblem(err)
}

// sizeText is a byte count in binary units as a limit is stated: 16 GiB,
// 512 KiB, 1.5 GiB, 100 B. It rounds down (to two decimals), so that the
// stated limit is never more than the real one.
func sizeText(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	for i := len(units); i > 0; i-- {
		unit := int64(1) << (10 * i)
		if n < unit {
			continue
		}
		if n%unit == 0 {
			return strconv.FormatInt(n/unit, 10) + " " + units[i-1]
		}
		hundredths := n/unit*100 + n%unit*100/unit // n/unit×100, rounded down, without overflow
		return strconv.FormatFloat(float64(hundredths)/100, 'f', -1, 64) + " " + units[i-1]
	}
	return strconv.FormatInt(n, 10) + " B"
}

// handleError is echo's HTTPErrorHandler: every error leaves as problem+json.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := s.problemOf(err)
	if p.Status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "status", p.Status, "err", err)
	} else {
		s.log.Debug("request refused", "method", c.Request().Method, "path", c.Path(), "status", p.Status, "err", err)
	}
	writeProblem(c.Response(), c.Request(), p)
}

// writeProblem answers r with p, in the language r's Accept-Language asks
// for (internal/problem.Negotiate): type and status stay as they are;
// title, detail and the errors' messages are localized.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	l := prob.Negotiate(r.Header.Get("Accept-Language"))
	lp := *p // p may be shared (a package-level problem): localize a copy
	lp.localize(l)
	p = &lp
	h := w.Header()
	prob.SetLanguage(h, l)
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

// jsonProblem answers a JSON body that could not be decoded (422
// invalid-input) with what is wrong and where, in words a person can act
// on; the decoder's own text stays in the log. A body that is JSON but not
// an object is 400 not-an-object.
func jsonProblem(err error) *Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var te *time.ParseError
	switch {
	case errors.Is(err, strictjson.ErrNotObject), errors.As(err, &typ) && typ.Field == "":
		return errNotObject().because(err)
	case errors.As(err, &syn):
		return errInvalid("json-syntax", "offset", syn.Offset).because(err)
	case errors.As(err, &te):
		return errInvalid("json-time").because(err)
	case errors.As(err, &typ):
		return errInvalid("json-type", "field", strconv.Quote(typ.Field), "kind", evidence.JSONKind(typ.Type)).because(err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errInvalid("json-incomplete").because(err)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errInvalid("json-unknown", "field", name).because(err)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: duplicate field "); ok {
		return errInvalid("json-duplicate", "field", name).because(err)
	}
	return errInvalid("json-bad").because(err)
}

// reason is why a domain package refused input (sentinel): its catalog
// message (a *problem.Refusal), else the text its error gives after the
// sentinel's ("access: invalid input: a name has 1 to 200 characters"
// gives "a name has 1 to 200 characters"): our own words, never a
// library's.
func reason(err, sentinel error) prob.Msg {
	var r *prob.Refusal
	if errors.As(err, &r) {
		return r.Msg
	}
	return prob.M("invalid-input", "reason", strings.TrimPrefix(err.Error(), sentinel.Error()+": "))
}

// because records the error that made p, for the server log only: the
// client sees p's title and detail, never a library's error text.
func (p *Problem) because(err error) *Problem {
	p.cause = err
	return p
}

// maxQuoted bounds the characters of a text parameter of a problem's
// message (a value the client sent, mostly): no name, title, role or
// header the node takes is longer.
const maxQuoted = 200

// quoted is m with each text parameter, its messages' too, as a problem
// may quote it back (quote); a list the server makes (candidates) is left
// whole.
func quoted(m prob.Msg) prob.Msg {
	args := m.Args()
	if len(args) == 0 {
		return m
	}
	out := slices.Clone(args)
	for i := 0; i+1 < len(out); i += 2 {
		switch v := out[i+1].(type) {
		case prob.Msg:
			out[i+1] = quoted(v)
		default:
			// A string, or a type of one (access.Role, an org kind).
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.String && out[i] != "candidates" {
				out[i+1] = quote(rv.String())
			}
		}
	}
	return prob.M(m.ID, out...)
}

// quote is s as a problem quotes it: each invisible, direction-changing
// or control character (internal/text; TAB, LF and CR kept) and each byte
// that is not UTF-8 written as U+XXXX, so that a client's input cannot
// reorder or hide the words around it, and at most maxQuoted characters,
// then "…".
func quote(s string) string {
	if text.CheckVisibleText("", s) == nil && utf8.RuneCountInString(s) <= maxQuoted {
		return s // the common case
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxQuoted {
			b.WriteString("…")
			break
		}
		n++
		if text.CheckVisibleText("", string(r)) != nil {
			b.WriteString(text.CodePoint(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
