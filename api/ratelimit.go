package api

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"
)

// Limits bounds how fast one client may call the API (OWASP API4,
// unrestricted resource consumption). Each limit is a token bucket: Rate
// tokens per second, at most Burst saved up. A zero field takes its default;
// a negative rate turns that limit off.
type Limits struct {
	// Rate and Burst bound each API key on every authenticated endpoint
	// (default 1000 requests/s, burst 2000).
	Rate  float64
	Burst int
	// UploadRate and UploadBurst bound each API key's uploads, beside Rate
	// (default 500 uploads/s, burst 1000).
	UploadRate  float64
	UploadBurst int
	// PublicRate and PublicBurst bound each client IP address (IPv6: each
	// /64) on the unauthenticated endpoints /tsa, /api/v1/lookup and
	// /api/v1/log/* (default 2000 requests/s, burst 4000). The address is the
	// TCP peer's: behind a reverse proxy every client shares the proxy's.
	PublicRate  float64
	PublicBurst int
	// SharedReadRate and SharedReadBurst bound each organization's reads of
	// evidence it sees through a share, not as its owner: metadata,
	// content, custody, time-stamp tokens, receipts and evidence records,
	// one token each, and listings, certificates' evidence records and
	// certificate PDFs that show any such item, one token a page or
	// request (default 10 reads/s,
	// that is 600 a minute; the burst defaults to two minutes of reads,
	// 1200 at the default rate). They are shared by all the
	// organization's keys, beside each key's Rate. An organization's reads
	// of its own evidence have no such quota.
	SharedReadRate  float64
	SharedReadBurst int
}

// Default limits.
const (
	DefaultRate            = 1000
	DefaultUploadRate      = 500
	DefaultPublicRate      = 2000
	DefaultSharedReadRate  = 10
	DefaultSharedReadBurst = 120 * DefaultSharedReadRate
)

// maxBuckets bounds the buckets one limiter keeps (about 100 bytes each).
const maxBuckets = 1 << 16

// limits is the server's limiters; a nil limiter lets all through.
type limits struct {
	key, upload, public *limiter
	sharedRead          *limiter // per organization, on reads through a share
}

func newLimits(l Limits) (*limits, error) {
	key, err := newLimiter("rate", l.Rate, l.Burst, DefaultRate)
	if err != nil {
		return nil, err
	}
	upload, err := newLimiter("upload rate", l.UploadRate, l.UploadBurst, DefaultUploadRate)
	if err != nil {
		return nil, err
	}
	public, err := newLimiter("public rate", l.PublicRate, l.PublicBurst, DefaultPublicRate)
	if err != nil {
		return nil, err
	}
	if l.SharedReadBurst == 0 && l.SharedReadRate >= 0 && !math.IsNaN(l.SharedReadRate) && !math.IsInf(l.SharedReadRate, 0) {
		// Two minutes of reads (DefaultSharedReadBurst at the default
		// rate), not the two seconds of the other limits: reading a case
		// file comes in bursts.
		rate := l.SharedReadRate
		if rate == 0 {
			rate = DefaultSharedReadRate
		}
		l.SharedReadBurst = max(1, int(math.Ceil(120*rate)))
	}
	sharedRead, err := newLimiter("shared read rate", l.SharedReadRate, l.SharedReadBurst, DefaultSharedReadRate)
	if err != nil {
		return nil, err
	}
	return &limits{key: key, upload: upload, public: public, sharedRead: sharedRead}, nil
}

// takeSharedRead spends a token of org's shared-read quota, or returns the
// 429 problem if it is spent.
func (l *limits) takeSharedRead(org string) error {
	if l.sharedRead == nil {
		return nil
	}
	if wait, ok := l.sharedRead.take(org); !ok {
		return errSharedReadLimited(l.sharedRead.rate, int(l.sharedRead.burst), wait)
	}
	return nil
}

// refundSharedRead gives back a token that takeSharedRead spent for a
// listing that turned out to show none of the evidence shared with org, or
// for a read refused in the transaction that was to record it.
func (l *limits) refundSharedRead(org string) {
	if l.sharedRead != nil {
		l.sharedRead.refund(org)
	}
}

// perKey spends a token of the caller's API key. It runs after requireAuth.
func (l *limits) perKey(next echo.HandlerFunc) echo.HandlerFunc {
	return l.key.middleware(next, prob.M("who.key"), func(c echo.Context) string { return principal(c).Key.ID })
}

// perKeyUpload spends an upload token of the caller's API key. It runs
// after requireAuth.
func (l *limits) perKeyUpload(next echo.HandlerFunc) echo.HandlerFunc {
	return l.upload.middleware(next, prob.M("who.uploads"), func(c echo.Context) string { return principal(c).Key.ID })
}

// perIP spends a token of the client's IP address, for the public endpoints.
func (l *limits) perIP(next echo.HandlerFunc) echo.HandlerFunc {
	return l.public.middleware(next, prob.M("who.address"), func(c echo.Context) string { return clientIP(c.Request()) })
}

// then composes middleware: then(a, b)(h) is a(b(h)).
func then(mw ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(h echo.HandlerFunc) echo.HandlerFunc {
		for i := len(mw) - 1; i >= 0; i-- {
			h = mw[i](h)
		}
		return h
	}
}

// clientIP is the TCP peer's address, an IPv6 one cut to its /64 (one
// client's usual allocation). Forwarding headers are not trusted.
func clientIP(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// limiter is a token bucket per key, kept in memory.
type limiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int // buckets kept
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time // the last sweep of refilled buckets
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// newLimiter returns nil (no limit) for a negative rate.
func newLimiter(name string, rate float64, burst int, def float64) (*limiter, error) {
	switch {
	case math.IsNaN(rate) || math.IsInf(rate, 0):
		return nil, fmt.Errorf("api: Limits: %s %v is not a number of requests per second", name, rate)
	case rate < 0:
		return nil, nil
	case burst < 0:
		return nil, fmt.Errorf("api: Limits: %s burst %d must not be negative", name, burst)
	case rate == 0:
		rate = def
	}
	if burst == 0 {
		burst = max(1, int(math.Ceil(2*rate)))
	}
	return &limiter{rate: rate, burst: float64(burst), max: maxBuckets, now: time.Now, buckets: map[string]*bucket{}}, nil
}

// take spends one token of key's bucket. When the bucket is empty it spends
// nothing and says how long until a token is there.
func (l *limiter) take(key string) (wait time.Duration, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	} else if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+d.Seconds()*l.rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// refund gives back one token of key's bucket, up to the burst.
func (l *limiter) refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// evict makes room for a bucket. A bucket that has refilled is the same as
// none, so sweeping those loses nothing; the sweep runs at most once per
// refill time. If every bucket is in use (many clients at once), an
// arbitrary one goes: its client gets a fresh burst, and memory stays
// bounded.
func (l *limiter) evict(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	if now.Sub(l.swept) >= full {
		l.swept = now
		for k, b := range l.buckets {
			if now.Sub(b.at) >= full {
				delete(l.buckets, k)
			}
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.max {
			break
		}
		delete(l.buckets, k)
	}
}

// middleware refuses, with 429 and Retry-After, a request whose bucket is
// empty, before any work is done. who names the bucket's owner for the
// problem's detail.
func (l *limiter) middleware(next echo.HandlerFunc, who prob.Msg, key func(echo.Context) string) echo.HandlerFunc {
	if l == nil {
		return next
	}
	return func(c echo.Context) error {
		wait, ok := l.take(key(c))
		if ok {
			return next(c)
		}
		return errRateLimited(who, l.rate, int(l.burst), wait)
	}
}

// errRateLimited is the 429 problem (RFC 6585 §4). Retry-After is in whole
// seconds, rounded up (RFC 9110 §10.2.3).
func errRateLimited(who prob.Msg, rate float64, burst int, wait time.Duration) *Problem {
	p := problem(http.StatusTooManyRequests, "rate-limited", prob.M("title.rate-limited"),
		prob.M("rate-limited", "who", who, "rate", strconv.FormatFloat(rate, 'g', -1, 64), "burst", burst))
	p.retryAfter = max(1, int(math.Ceil(wait.Seconds())))
	return p
}

// errSharedReadLimited is the 429 of an organization that has spent its
// quota of reads of evidence shared with it.
func errSharedReadLimited(rate float64, burst int, wait time.Duration) *Problem {
	p := problem(http.StatusTooManyRequests, "read-quota", prob.M("title.read-quota"),
		prob.M("read-quota", "rate", strconv.FormatFloat(rate*60, 'g', -1, 64), "burst", burst))
	p.retryAfter = max(1, int(math.Ceil(wait.Seconds())))
	return p
}
