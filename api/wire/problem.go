package wire

// ProblemBase prefixes every problem type. Problem types are stable; each is
// documented in docs/api.md.
const ProblemBase = "urn:custos:problem:"

// Problem is an RFC 9457 problem details object (application/problem+json).
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError is one invalid metadata field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
