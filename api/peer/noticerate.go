package peer

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/custos-project/custos/internal/problem"
)

// Default bounds of the share notices one member's node may send this
// node (Config.NoticeRate, NoticeBurst): 2 a second, and two minutes of
// them saved up. Each new notice is stored for good and told to the
// grantee's webhooks; an honest member sends one per share and one per
// revocation, and its outbox waits out a 429 (Retry-After) and sends the
// rest, in order, nothing lost.
const (
	DefaultNoticeRate  = 2
	noticeBurstSeconds = 120
)

// noticeLimiter is a token bucket per sending member: rate tokens a second,
// at most burst saved up. Only current members reach it, so it keeps one
// bucket per member.
type noticeLimiter struct {
	rate, burst float64 // rate < 0: no limit
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// newNoticeLimiter validates a rate and burst as Config takes them.
func newNoticeLimiter(rate float64, burst int) (*noticeLimiter, error) {
	if math.IsNaN(rate) || math.IsInf(rate, 0) || burst < 0 {
		return nil, fmt.Errorf("peer: notice rate %v, burst %d: want a finite rate and a burst of 0 or more", rate, burst)
	}
	if rate == 0 {
		rate = DefaultNoticeRate
	}
	b := float64(burst)
	if burst == 0 {
		b = max(1, math.Round(noticeBurstSeconds*rate))
	}
	return &noticeLimiter{rate: rate, burst: b, now: time.Now, buckets: map[string]*bucket{}}, nil
}

// take spends one of member's tokens, or reports how long until one is
// there.
func (l *noticeLimiter) take(member string) (time.Duration, bool) {
	if l.rate < 0 {
		return 0, true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[member]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[member] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// limitNotice answers 429 rate-limited, with Retry-After, and reports
// false when member has sent more notices than its bucket allows (RFC 6585
// §4); nothing of the notice is read.
func (n *Node) limitNotice(w http.ResponseWriter, r *http.Request, member string) bool {
	wait, ok := n.notices.take(n.cfg.Current(member))
	if ok {
		return true
	}
	n.cfg.Log.Debug("peer: refusing a notice over the member's rate", "member", member, "retry_in", wait)
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	problem.Localized(w, r, http.StatusTooManyRequests, "rate-limited", problem.M("title.rate-limited"),
		problem.M("notice-rate-limited", "rate", strconv.FormatFloat(n.notices.rate*60, 'g', 4, 64), "burst", n.notices.burst))
	return false
}
