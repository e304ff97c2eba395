// Package problem holds what every Custos HTTP handler shares about RFC 9457
// problem details: the base of the stable problem type URIs, the catalog
// of their titles and details in English and Chinese with the choice of
// language from Accept-Language, and a writer for handlers that live
// outside the api package (such as the TSA's).
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Base prefixes every problem type URI. The types are stable and each is
// documented in docs/api.md.
const Base = "urn:custos:problem:"

// Details is an RFC 9457 problem details object (application/problem+json).
type Details struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Localized answers r with the problem Base+slug, its title and detail in
// the language r's Accept-Language asks for (Negotiate).
func Localized(w http.ResponseWriter, r *http.Request, status int, slug string, title, detail Msg) {
	l := Negotiate(r.Header.Get("Accept-Language"))
	SetLanguage(w.Header(), l)
	Write(w, status, slug, title.In(l), detail.In(l))
}

// SetLanguage marks an answer as written in l and as depending on the
// request's Accept-Language (RFC 9110 §8.5, §12.5.5).
func SetLanguage(h http.Header, l Lang) {
	h.Set("Content-Language", l.Tag())
	h.Add("Vary", "Accept-Language")
}

// Write answers with the problem Base+slug. Handlers that have the
// request use Localized.
func Write(w http.ResponseWriter, status int, slug, title, detail string) {
	b, _ := json.Marshal(Details{Type: Base + slug, Title: title, Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
