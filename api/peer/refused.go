package peer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/problem"
)

// Refused is a notice the outbox gave up on: the member's node refused it
// for good (Status, Type, Detail), or it was not sent because an earlier
// notice of the same share had been (Status 0: parked). It is kept in the
// peer.refused bucket, listed by RefusedShares, until the operator sends it
// again (Resend) or drops it (Drop); the notices after it are delivered.
type Refused struct {
	Member    string    `json:"member"`
	Notice    Notice    `json:"notice"`
	Status    int       `json:"status"`           // the member's answer; 0: not sent
	Type      string    `json:"type,omitempty"`   // the problem type of the answer (RFC 9457 §3.1.1)
	Detail    string    `json:"detail,omitempty"` // its detail, cut to maxDetail bytes of printable text
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
	detail string // its detail (cleanDetail)
	body   []byte
}

func (e *answerError) Error() string {
	return fmt.Sprintf("peer: member %s answered %d %s: %s", e.member, e.status, http.StatusText(e.status), e.body)
}

// newAnswerError reads the problem type of an answer's body, if it has one.
func newAnswerError(member string, status int, body []byte) *answerError {
	var p struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
	}
	json.Unmarshal(body, &p)
	return &answerError{member: member, status: status, typ: p.Type, detail: cleanDetail(p.Detail), body: body}
}

// maxDetail bounds the detail kept of a member's refusal.
const maxDetail = 400

// cleanDetail is a member's problem detail as kept and shown to the
// operator: its printable characters (no control or format characters,
// which could disguise a terminal's output), at most maxDetail bytes, cut
// at a character boundary. The member chose it: it explains, it proves
// nothing.
func cleanDetail(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	for len(s) > maxDetail {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// retried are the problem types of a 4xx answer that concern the request,
// not the notice, and pass: a clock off or a node just restarted
// (stale-request), a request ID seen before (replayed-request), a sender the
// member does not count as a member yet, or no longer (not-a-member), a
// body the member could not read whole (incomplete-upload: the connection
// failed), and the organization and actor headers of a relayed read
// malformed (bad-peer-request: the relaying node's fault, never its
// client's).
var retried = map[string]bool{
	problem.Base + "stale-request":     true,
	problem.Base + "replayed-request":  true,
	problem.Base + "not-a-member":      true,
	problem.Base + "incomplete-upload": true,
	problem.Base + "bad-peer-request":  true,
}

// forGood reports whether the answer refuses the notice itself, so that
// sending it again cannot succeed: a 4xx other than 408 and 429 and the
// problems in retried. Network failures, 5xx, 408 and 429 are retried.
func (e *answerError) forGood() bool {
	return e.status >= 400 && e.status < 500 && e.status != http.StatusRequestTimeout &&
		e.status != http.StatusTooManyRequests && !retried[e.typ]
}

// RefusesRequest reports whether a member's problem of type typ (a full
// problem type) refuses the request between the two nodes rather than what
// it asked: a relay answers such a refusal as its own failure (502
// bad-relay), since the client can do nothing about it.
func RefusesRequest(typ string) bool { return retried[typ] }

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

// refusedEntry is one refused notice with its outbox sequence number.
type refusedEntry struct {
	seq uint64
	r   Refused
}

// eachRefused calls fn with each refused notice in key order: by share,
// then in the order the notices were queued.
func eachRefused(tx *bolt.Tx, prefix []byte, fn func(k []byte, e *refusedEntry) error) error {
	c := tx.Bucket(bRefused).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) < 9 || k[len(k)-9] != 0 {
			return fmt.Errorf("peer: refused notice key %q malformed", k)
		}
		e := refusedEntry{seq: binary.BigEndian.Uint64(k[len(k)-8:])}
		if err := json.Unmarshal(v, &e.r); err != nil {
			return fmt.Errorf("peer: refused notice %q: %w", k, err)
		}
		if err := fn(k, &e); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoRefused means no notice of the share is among the refused notices.
var ErrNoRefused = errors.New("peer: no refused notice of this share")

// RefusedShare is the refused notices of one share, as the operator sees
// them: the first, which the member's node refused (Refused), and the
// number of the share's later notices parked unsent behind it.
type RefusedShare struct {
	Refused
	Parked int `json:"parked"`
}

// RefusedShares lists the shares whose notices the outbox gave up on,
// the latest refusal first, at most limit of them (all if limit ≤ 0), with
// how many there are in all.
func (n *Node) RefusedShares(limit int) ([]RefusedShare, int, error) {
	type group struct {
		seq uint64
		rs  RefusedShare
	}
	var gs []group
	var last string
	err := n.cfg.DB.View(func(tx *bolt.Tx) error {
		return eachRefused(tx, nil, func(k []byte, e *refusedEntry) error {
			if share := string(k[:len(k)-9]); len(gs) > 0 && share == last {
				gs[len(gs)-1].rs.Parked++
				return nil
			}
			last = string(k[:len(k)-9])
			gs = append(gs, group{e.seq, RefusedShare{Refused: e.r}})
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i].rs.RefusedAt, gs[j].rs.RefusedAt
		if !a.Equal(b) {
			return a.After(b)
		}
		return gs[i].seq > gs[j].seq
	})
	total := len(gs)
	if limit > 0 && len(gs) > limit {
		gs = gs[:limit]
	}
	out := make([]RefusedShare, len(gs))
	for i, g := range gs {
		out[i] = g.rs
	}
	return out, total, nil
}

// takeRefused removes, in tx, the refused notices of share from the
// bucket and returns them in the order they were queued (ErrNoRefused if
// there are none).
func takeRefused(tx *bolt.Tx, share string) ([]refusedEntry, *RefusedShare, error) {
	var es []refusedEntry
	var keys [][]byte
	err := eachRefused(tx, refusedKey(share, nil), func(k []byte, e *refusedEntry) error {
		es, keys = append(es, *e), append(keys, bytes.Clone(k))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(es) == 0 {
		return nil, nil, ErrNoRefused
	}
	for _, k := range keys {
		if err := tx.Bucket(bRefused).Delete(k); err != nil {
			return nil, nil, err
		}
	}
	return es, &RefusedShare{Refused: es[0].r, Parked: len(es) - 1}, nil
}

// Resend puts the refused notices of share back in the outbox, in their
// places (their first sequence numbers), so that Run sends them again in
// the order they were queued, before any later notice of the share; all in
// one transaction, with within (if not nil: the API records the act
// there). A notice the member refuses again is refused again, and its
// followers parked again.
func (n *Node) Resend(share string, within func(tx *bolt.Tx, rs *RefusedShare) error) (*RefusedShare, error) {
	n.requeue.Lock()
	defer n.requeue.Unlock()
	var rs *RefusedShare
	err := n.cfg.Update(func(tx *bolt.Tx) error {
		rs = nil
		es, r, err := takeRefused(tx, share)
		if err != nil {
			return err
		}
		if within != nil {
			if err := within(tx, r); err != nil {
				return err
			}
		}
		for _, e := range es {
			v, err := json.Marshal(outgoing{Member: e.r.Member, Notice: e.r.Notice})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bOutbox).Put(binary.BigEndian.AppendUint64(nil, e.seq), v); err != nil {
				return err
			}
		}
		rs = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.requeued++ // a pass over an older outbox stops (deliver)
	select {
	case n.kick <- struct{}{}:
	default:
	}
	n.cfg.Log.Info("peer: refused share notices queued again by the operator", "member", rs.Member, "share", share, "notices", rs.Parked+1)
	return rs, nil
}

// Drop forgets the refused notices of share: they are never sent. within,
// if set, runs in the same transaction (Config.Update), with what is
// dropped: its error drops nothing. The share's later notices, if any, are
// sent as any others.
func (n *Node) Drop(share string, within func(tx *bolt.Tx, rs *RefusedShare) error) (*RefusedShare, error) {
	var rs *RefusedShare
	err := n.cfg.Update(func(tx *bolt.Tx) error {
		rs = nil
		_, r, err := takeRefused(tx, share)
		if err != nil {
			return err
		}
		if within != nil {
			if err := within(tx, r); err != nil {
				return err
			}
		}
		rs = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.cfg.Log.Warn("peer: refused share notices dropped by the operator; never sent", "member", rs.Member, "share", share, "notices", rs.Parked+1)
	return rs, nil
}
