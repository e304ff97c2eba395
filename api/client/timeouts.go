package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// Timeouts bound how long a Client waits on its server, without bounding
// how long a request takes: an upload or a download of any size goes on
// for as long as its bytes keep moving. A zero field is no bound.
type Timeouts struct {
	// Connect bounds getting a connection: the name's lookup, TCP's
	// connect and TLS's handshake.
	Connect time.Duration
	// Answer bounds the wait for the answer's headers once the request
	// is sent whole. A request that asks the server to wait (?wait=D:
	// receipts, copyright registrations, governance transactions) is given
	// D more, and an upload a second more for every AnswerPerSecondOf
	// bytes it sent (the server's work on a large file once it has it).
	Answer time.Duration
	// Stall bounds the time a request's or an answer's body moves no byte.
	Stall time.Duration
}

// DefaultTimeouts are the bounds of New's client (and of the custos
// commands, unless $CUSTOS_TIMEOUT says otherwise): 10 seconds to connect,
// a minute to answer beyond the wait a request asks for, and a minute for
// a transfer that moves no byte.
func DefaultTimeouts() Timeouts {
	return Timeouts{Connect: 10 * time.Second, Answer: time.Minute, Stall: time.Minute}
}

// AnswerPerSecondOf is the size of upload for which Timeouts.Answer grows
// by one second.
const AnswerPerSecondOf = 64 << 20

// Stage is where a request timed out.
type Stage int

const (
	StageConnect Stage = iota + 1 // no connection (Timeouts.Connect)
	StageAnswer                   // no answer (Timeouts.Answer, with the wait asked)
	StageStall                    // a body moved no byte (Timeouts.Stall)
)

// TimeoutError is a request that a bound of Timeouts ended. It is the
// cause *url.Error carries, and what an answer's body then reads.
type TimeoutError struct {
	Stage Stage
	After time.Duration // the bound that ran out
}

func (e *TimeoutError) Error() string {
	switch e.Stage {
	case StageConnect:
		return fmt.Sprintf("client: no connection in %v", e.After)
	case StageAnswer:
		return fmt.Sprintf("client: no answer in %v", e.After)
	}
	return fmt.Sprintf("client: transfer stalled: no byte moved in %v", e.After)
}

// Timeout reports true, as net.Error's Timeout does for a timeout.
func (e *TimeoutError) Timeout() bool { return true }

// HTTPClient returns an http.Client that keeps to t over a copy of
// http.DefaultTransport (proxies from the environment, as before), with
// no overall timeout.
func (t Timeouts) HTTPClient() *http.Client {
	base := http.DefaultTransport
	if dt, ok := base.(*http.Transport); ok {
		base = dt.Clone()
	}
	return t.over(base)
}

// over returns an http.Client that keeps to t over base, with no overall
// timeout.
func (t Timeouts) over(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &timeoutTransport{base: base, t: t}}
}

// timeoutTransport is an http.RoundTripper that keeps each request to its
// Timeouts with a watchdog, which cancels the request's context with a
// *TimeoutError as its cause.
type timeoutTransport struct {
	base http.RoundTripper
	t    Timeouts
}

func (tt *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{cancel: cancel, start: time.Now()}
	var sent atomic.Int64
	w.set(StageConnect, tt.t.Connect)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { // writing the request
			w.set(StageStall, tt.t.Stall)
			w.watchSend(unsent(info.Conn))
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			var limit time.Duration // 0: no bound, not even Stall's
			if tt.t.Answer > 0 {
				limit = tt.t.Answer + askedWait(req) + time.Duration(sent.Load()/AnswerPerSecondOf)*time.Second
			}
			w.set(StageAnswer, limit)
		},
	})
	r := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		r.Body = &watchedBody{ReadCloser: req.Body, w: w, n: &sent}
		if req.GetBody != nil { // a retry on another connection sends the body again
			r.GetBody = func() (io.ReadCloser, error) {
				b, err := req.GetBody()
				if err != nil || b == http.NoBody {
					return b, err
				}
				return &watchedBody{ReadCloser: b, w: w, n: &sent}, nil
			}
		}
	}
	resp, err := tt.base.RoundTrip(r)
	if err != nil {
		w.set(0, 0)
		if te := w.fired(); te != nil {
			err = te
		}
		cancel(err)
		return nil, err
	}
	w.watchSend(nil)
	w.set(StageStall, tt.t.Stall)
	w.local.Store(true) // until the caller reads
	resp.Body = &watchedBody{ReadCloser: resp.Body, w: w, answer: true, done: func() { w.set(0, 0); cancel(context.Canceled) }}
	return resp, nil
}

// askedWait is the wait a request asks the server for in its query
// (?wait=20s), or 0.
func askedWait(req *http.Request) time.Duration {
	d, err := time.ParseDuration(req.URL.Query().Get("wait"))
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// watchdog ends a request whose current stage runs past its bound: at
// the bound after the stage began or the last progress, it cancels the
// request with a *TimeoutError. Progress is a body's read, and, while the
// request is sent and its answer awaited, the server taking in the bytes
// the socket still holds: a server that reads an upload slowly fills the
// sockets' buffers (megabytes), and the transport's writes then wait
// long between reads of the body. Time spent on this side (local:
// reading a request's body from its file, or the caller not reading an
// answer's body, such as a download to a pipe that a pager holds) is not
// waiting on the server and never times out.
type watchdog struct {
	cancel context.CancelCauseFunc
	start  time.Time    // for last, on the monotonic clock
	last   atomic.Int64 // the stage's beginning or its last progress, since start
	local  atomic.Bool  // the time now is spent on this side

	mu    sync.Mutex
	gen   int // set's count: a timer of an earlier stage does nothing
	timer *time.Timer
	stage Stage
	limit time.Duration
	err   *TimeoutError // once fired

	queued   func() (int, bool) // the bytes sent the server has not taken; nil: unknown
	lastSeen int                // queued when last seen
}

// watchSend has the watchdog count the server taking in what the socket
// holds as progress (queued from unsent), until watchSend(nil).
func (w *watchdog) watchSend(queued func() (int, bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queued, w.lastSeen = queued, 0
	if queued != nil {
		w.lastSeen, _ = queued()
	}
}

// set begins stage, bounded by limit (0: none; stage 0: the request is
// over).
func (w *watchdog) set(stage Stage, limit time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if w.err != nil || stage == 0 || limit <= 0 {
		return
	}
	w.stage, w.limit = stage, limit
	w.local.Store(false)
	w.progress()
	gen := w.gen
	w.timer = time.AfterFunc(w.nextCheck(limit), func() { w.check(gen) })
}

// nextCheck is when to check again, at most rest from now: sooner while
// the socket's queue is watched, whose draining is seen only at checks.
func (w *watchdog) nextCheck(rest time.Duration) time.Duration {
	if w.queued != nil {
		return min(rest, max(w.limit/4, time.Millisecond))
	}
	return rest
}

// progress notes that bytes moved.
func (w *watchdog) progress() { w.last.Store(int64(time.Since(w.start))) }

// check fires the stage's timeout if it ran past its bound since the
// last progress, else waits for the rest of it.
func (w *watchdog) check(gen int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen != w.gen || w.err != nil {
		return
	}
	if w.queued != nil {
		if q, ok := w.queued(); ok {
			if q < w.lastSeen {
				w.progress()
			}
			w.lastSeen = q
		}
	}
	idle := time.Since(w.start) - time.Duration(w.last.Load())
	if w.local.Load() {
		idle = 0
	}
	if idle < w.limit {
		w.timer = time.AfterFunc(w.nextCheck(w.limit-idle), func() { w.check(gen) })
		return
	}
	w.err = &TimeoutError{Stage: w.stage, After: w.limit}
	w.cancel(w.err)
}

// fired is the timeout that ended the request, or nil.
func (w *watchdog) fired() *TimeoutError {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// watchedBody is a request's or an answer's body whose reads are the
// watchdog's progress. Waiting on the server is the time in an answer's
// reads, and the time between a request's (the transport writing what
// it read). An answer's body ends its request when closed (done).
type watchedBody struct {
	io.ReadCloser
	w      *watchdog
	answer bool
	n      *atomic.Int64 // bytes read, for a request's body
	done   func()
	once   sync.Once
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.progress()
	b.w.local.Store(!b.answer)
	n, err := b.ReadCloser.Read(p)
	b.w.progress()
	b.w.local.Store(b.answer)
	if b.n != nil {
		b.n.Add(int64(n))
	}
	if err != nil && err != io.EOF {
		if te := b.w.fired(); te != nil {
			err = te
		}
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.ReadCloser.Close()
	if b.done != nil {
		b.once.Do(b.done)
	}
	return err
}
