package peer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/problem"
)

// Refused is a notice the outbox gave up on: the member's node refused it
// for good (Status, Type), or it was not sent because an earlier notice of
// the same share had been (Status 0). It is kept in the peer.refused bucket
// and listed by listRefused; the notices after it are delivered.
type Refused struct {
	Member    string    `json:"member"`
	Notice    Notice    `json:"notice"`
	Status    int       `json:"status"`         // the member's answer; 0: not sent
	Type      string    `json:"type,omitempty"` // the problem type of the answer (RFC 9457 §3.1.1)
	RefusedAt time.Time `json:"refused_at"`
}

// bRefused keeps the refused notices: share ID ‖ 0 ‖ outbox seq(8) →
// Refused JSON. A share ID (printable ASCII) holds no zero byte, so the
// prefix share ID ‖ 0 finds the refused notices of one share.
var bRefused = []byte("peer.refused")

// answerError is a member's answer to a notice other than 204.
type answerError struct {
	member string
	status int
	typ    string // the problem type, if the answer is a problem document
	body   []byte
}

func (e *answerError) Error() string {
	return fmt.Sprintf("peer: member %s answered %d %s: %s", e.member, e.status, http.StatusText(e.status), e.body)
}

// newAnswerError reads the problem type of an answer's body, if it has one.
func newAnswerError(member string, status int, body []byte) *answerError {
	var p struct {
		Type string `json:"type"`
	}
	json.Unmarshal(body, &p)
	return &answerError{member: member, status: status, typ: p.Type, body: body}
}

// retried are the problem types of a 4xx answer that concern the request,
// not the notice, and pass: a clock off or a node just restarted
// (stale-request), a request ID seen before (replayed-request), a sender the
// member does not count as a member yet, or no longer (not-a-member).
var retried = map[string]bool{
	problem.Base + "stale-request":    true,
	problem.Base + "replayed-request": true,
	problem.Base + "not-a-member":     true,
}

// forGood reports whether the answer refuses the notice itself, so that
// sending it again cannot succeed: a 4xx other than 408 and 429 and the
// problems in retried. Network failures, 5xx, 408 and 429 are retried.
func (e *answerError) forGood() bool {
	return e.status >= 400 && e.status < 500 && e.status != http.StatusRequestTimeout &&
		e.status != http.StatusTooManyRequests && !retried[e.typ]
}

func refusedKey(share string, seq []byte) []byte {
	return append(append([]byte(share), 0), seq...)
}

// shareRefused reports whether a notice of share was refused for good.
func shareRefused(tx *bolt.Tx, share string) bool {
	p := refusedKey(share, nil)
	k, _ := tx.Bucket(bRefused).Cursor().Seek(p)
	return k != nil && bytes.HasPrefix(k, p)
}

// refuse moves the outbox entry at seq to the refused notices.
func refuse(tx *bolt.Tx, seq []byte, r *Refused) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bRefused).Put(refusedKey(r.Notice.Share, seq), v); err != nil {
		return err
	}
	return tx.Bucket(bOutbox).Delete(seq)
}

// listRefused lists the notices the outbox gave up on, in the order they
// were queued (the peer.refused bucket, which operators read today through
// the log; no view of the node lists them yet).
func (n *Node) listRefused() ([]Refused, error) {
	type entry struct {
		seq uint64
		r   Refused
	}
	var es []entry
	err := n.cfg.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bRefused).ForEach(func(k, v []byte) error {
			var e entry
			if len(k) < 8 {
				return fmt.Errorf("peer: refused notice key %q too short", k)
			}
			e.seq = binary.BigEndian.Uint64(k[len(k)-8:])
			if err := json.Unmarshal(v, &e.r); err != nil {
				return err
			}
			es = append(es, e)
			return nil
		})
	})
	sort.Slice(es, func(i, j int) bool { return es[i].seq < es[j].seq })
	out := make([]Refused, len(es))
	for i, e := range es {
		out[i] = e.r
	}
	return out, err
}
