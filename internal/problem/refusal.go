package problem

// Refusal is a domain package's refusal of bad input whose words are a
// catalog message: errors.Is(err, Sentinel) holds, Error is the
// sentinel's text and the English message (the message alone without a
// sentinel), and the API answers the message in the client's language.
type Refusal struct {
	Sentinel error
	Msg      Msg
}

// Refuse is the refusal Sentinel with the catalog message id and its
// parameters (name, value pairs).
func Refuse(sentinel error, id string, kv ...any) *Refusal {
	return &Refusal{Sentinel: sentinel, Msg: M(id, kv...)}
}

func (r *Refusal) Error() string {
	if r.Sentinel == nil {
		return r.Msg.In(English)
	}
	return r.Sentinel.Error() + ": " + r.Msg.In(English)
}
func (r *Refusal) Unwrap() error { return r.Sentinel }
