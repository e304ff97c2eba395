package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// HEAD (RFC 9110 §9.3.2) is served wherever GET is: echo answers 405 to a
// HEAD on a route registered for GET only, so the server's handler turns
// such a HEAD into a GET of the same route, run with all its middleware
// (authentication, permissions, rate limits) and its handler, and sends
// its status and header fields without its content. A HEAD therefore
// records in custody exactly what the GET records. Routes that register
// HEAD themselves (the evidence content, which records a HEAD as a view
// rather than a download, and /tsa) are served as registered.

// headRoutes returns the paths of the routes registered for HEAD.
func headRoutes(e *echo.Echo) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodHead {
			out[r.Path] = true
		}
	}
	return out
}

// ServeHTTP serves the API; see the comment above for HEAD.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodHead || s.routedHEAD(r) {
		s.e.ServeHTTP(w, r)
		return
	}
	get := r.WithContext(r.Context()) // a shallow copy: the server still sees a HEAD
	get.Method = http.MethodGet
	hw := &headWriter{ResponseWriter: w}
	s.e.ServeHTTP(hw, get)
	hw.finish()
}

// routedHEAD reports whether r's path matches a route registered for HEAD.
func (s *Server) routedHEAD(r *http.Request) bool {
	c := s.e.NewContext(r, nil)
	s.e.Router().Find(http.MethodHead, echo.GetPath(r), c)
	return s.heads[c.Path()]
}

// allowHEAD adds HEAD to the Allow field of a 405 wherever GET is allowed
// (RFC 9110 §15.5.6: Allow lists the methods the resource supports).
func allowHEAD(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if allow, ok := c.Get(echo.ContextKeyHeaderAllow).(string); ok {
			methods := strings.Split(allow, ", ")
			if slices.Contains(methods, http.MethodGet) && !slices.Contains(methods, http.MethodHead) {
				c.Set(echo.ContextKeyHeaderAllow, allow+", "+http.MethodHead)
			}
		}
		return next(c)
	}
}

// headWriter discards the content of a GET served for a HEAD. It holds
// back the status until the handler is done, so that it can state the
// Content-Length the GET would have had (RFC 9110 §8.6), unless the
// handler stated one itself or flushed before it was done.
type headWriter struct {
	http.ResponseWriter
	status    int // 0 until the handler writes a final status or content
	n         int64
	committed bool
}

func (w *headWriter) WriteHeader(code int) {
	if code < 200 { // informational: passes through, the final status follows
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
	}
}

func (w *headWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += int64(len(p))
	return len(p), nil
}

// Flush sends the status and header fields now; the length is not known.
func (w *headWriter) Flush() {
	w.commit()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish sends the status and header fields once the handler is done.
func (w *headWriter) finish() {
	if w.committed {
		return
	}
	h := w.Header()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if h.Get("Content-Length") == "" && h.Get("Transfer-Encoding") == "" && bodyAllowed(w.status) {
		h.Set("Content-Length", strconv.FormatInt(w.n, 10))
	}
	w.commit()
}

func (w *headWriter) commit() {
	if w.committed {
		return
	}
	w.committed = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// bodyAllowed reports whether a response with this status has content
// (RFC 9110 §6.4.1).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
