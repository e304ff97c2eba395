// Package problem holds what every Custos HTTP handler shares about RFC 9457
// problem details: the base of the stable problem type URIs, and a writer
// for handlers that live outside the api package (such as the TSA's).
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

// Write answers with the problem Base+slug.
func Write(w http.ResponseWriter, status int, slug, title, detail string) {
	b, _ := json.Marshal(Details{Type: Base + slug, Title: title, Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
