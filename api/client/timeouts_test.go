package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// slowServer starts a server of handler whose handlers are released when
// the test ends (a server that never answers would else hold Close). Its
// connections have receive buffers of 64 KiB, as over a slow link.
func slowServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, release <-chan struct{})) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler(w, r, release) }))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if tc, ok := c.(*net.TCPConn); ok && s == http.StateNew {
			tc.SetReadBuffer(64 << 10)
		}
	}
	srv.Start()
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// wantTimeout fails unless err is a *url.Error whose cause is the
// timeout of stage after d.
func wantTimeout(t *testing.T, what string, err error, stage Stage, d time.Duration) {
	t.Helper()
	var te *TimeoutError
	var ue *url.Error
	if !errors.As(err, &te) || te.Stage != stage || te.After != d {
		t.Fatalf("%s = %v, want a *TimeoutError{%d, %v}", what, err, stage, d)
	}
	if errors.As(err, &ue) && !ue.Timeout() {
		t.Errorf("%s: (*url.Error).Timeout() = false, want true", what)
	}
}

func TestTimeoutsNoAnswer(t *testing.T) {
	srv := slowServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		io.Copy(io.Discard, r.Body)
		<-release // accepts, reads, never answers
	})
	c := New(srv.URL, testToken)
	c.HTTP = Timeouts{Connect: 5 * time.Second, Answer: 200 * time.Millisecond, Stall: 5 * time.Second}.HTTPClient()
	start := time.Now()
	_, err := c.Get(t.Context(), "x")
	wantTimeout(t, "Get(a server that never answers)", err, StageAnswer, 200*time.Millisecond)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Get took %v, want about 200ms", d)
	}
	// An upload too: the bound starts once it is sent.
	_, err = c.Submit(t.Context(), Upload{Body: strings.NewReader("exhibit"), Size: 7, FileName: "a.txt"})
	wantTimeout(t, "Submit(a server that never answers)", err, StageAnswer, 200*time.Millisecond)
}

// TestTimeoutsAskedWait: a request that asks the server to wait longer
// than Answer is given the wait on top of it.
func TestTimeoutsAskedWait(t *testing.T) {
	srv := slowServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		time.Sleep(600 * time.Millisecond) // shorter than the wait asked, longer than Answer
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x"}`)
	})
	c := New(srv.URL, testToken)
	c.HTTP = Timeouts{Connect: 5 * time.Second, Answer: 200 * time.Millisecond, Stall: 5 * time.Second}.HTTPClient()
	if _, err := c.Receipt(t.Context(), "x", time.Second); err != nil {
		t.Errorf("Receipt(wait 1s) of an answer in 600ms = %v, want the receipt", err)
	}
	_, err := c.Receipt(t.Context(), "x", 0)
	wantTimeout(t, "Receipt(no wait) of an answer in 600ms", err, StageAnswer, 200*time.Millisecond)
}

// TestTimeoutsSteadyBodies: a download and an upload that take many times
// Stall, their bytes moving all along, are not cut; nor is a download
// that the caller stops reading for longer than Stall.
func TestTimeoutsSteadyBodies(t *testing.T) {
	// Stall is a second, twenty times the gaps between the bytes, so that
	// a loaded machine's late wake-ups do not look like a stall; the
	// transfers take two seconds and more.
	const chunks, every = 40, 50 * time.Millisecond // two seconds in all
	chunk := bytes.Repeat([]byte("e"), 4096)
	srv := slowServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		if r.Method == http.MethodPost {
			var n int64
			for {
				m, err := io.CopyN(io.Discard, r.Body, 256<<10)
				n += m
				if err != nil {
					break
				}
				time.Sleep(every)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"x","size":`+strconv.FormatInt(n, 10)+`}`)
			return
		}
		for range chunks {
			w.Write(chunk)
			w.(http.Flusher).Flush()
			time.Sleep(every)
		}
	})
	c := New(srv.URL, testToken)
	c.HTTP = Timeouts{Connect: 5 * time.Second, Answer: time.Second, Stall: time.Second}.HTTPClient()
	rc, err := c.Content(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != chunks*int64(len(chunk)) {
		t.Errorf("reading a steady download of %v = %d bytes, %v; want %d bytes", chunks*every, n, err, chunks*len(chunk))
	}
	rc, err = c.Content(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the caller busy for twice Stall: not the server's stall
	n, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != chunks*int64(len(chunk)) {
		t.Errorf("reading a download after a pause of the caller = %d bytes, %v; want %d bytes", n, err, chunks*len(chunk))
	}
	// 16 MiB, beyond the sockets' buffers: the transport's writes wait on
	// the server's reads, for longer than Stall between reads of the body
	// (the buffers drain in steps of megabytes), and the request is written
	// whole long before the server has read it.
	const size = 16 << 20
	v, err := c.Submit(t.Context(), Upload{Body: bytes.NewReader(make([]byte, size)), Size: size, FileName: "big.bin"})
	if err != nil || v.Size != size {
		t.Errorf("Submit(16 MiB read by the server in 256 KiB every 50ms) = %+v, %v; want size %d", v, err, size)
	}
}

// TestTimeoutsStall: a download whose bytes stop moving ends after Stall
// with the timeout.
func TestTimeoutsStall(t *testing.T) {
	srv := slowServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("first bytes"))
		w.(http.Flusher).Flush()
		<-release
	})
	c := New(srv.URL, testToken)
	c.HTTP = Timeouts{Connect: 5 * time.Second, Answer: time.Second, Stall: 200 * time.Millisecond}.HTTPClient()
	rc, err := c.Content(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	wantTimeout(t, "reading a download that stalls", err, StageStall, 200*time.Millisecond)
}

// TestTimeoutsConnect: a TLS server that accepts the connection and never
// shakes hands is no connection.
func TestTimeoutsConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // never speaks
		}
	}()
	c := New("https://"+ln.Addr().String(), testToken)
	hc := Timeouts{Connect: 200 * time.Millisecond, Answer: 5 * time.Second, Stall: 5 * time.Second}.HTTPClient()
	hc.Transport.(*timeoutTransport).base.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	c.HTTP = hc
	_, err = c.Get(t.Context(), "x")
	wantTimeout(t, "Get(a server that never shakes hands)", err, StageConnect, 200*time.Millisecond)
}

// TestTimeoutsAnswerUnbounded: with no Answer bound, a slow answer is
// waited for, Stall bounding only the bodies.
func TestTimeoutsAnswerUnbounded(t *testing.T) {
	srv := slowServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		time.Sleep(500 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x"}`)
	})
	c := New(srv.URL, testToken)
	c.HTTP = Timeouts{Connect: 5 * time.Second, Stall: 200 * time.Millisecond}.HTTPClient()
	if _, err := c.Get(t.Context(), "x"); err != nil {
		t.Errorf("Get(an answer in 500ms, Answer unbounded, Stall 200ms) = %v, want the record", err)
	}
}

// TestNewTimeouts: New's client, and a Client with no HTTP, keep to
// DefaultTimeouts over http.DefaultTransport, with no bound on a request
// as a whole.
func TestNewTimeouts(t *testing.T) {
	d := DefaultTimeouts()
	if d.Connect <= 0 || d.Answer <= 0 || d.Stall <= 0 {
		t.Errorf("DefaultTimeouts() = %+v, want every bound set", d)
	}
	for name, hc := range map[string]*http.Client{
		"New":      New("http://127.0.0.1:1", testToken).HTTP,
		"Client{}": (&Client{}).httpClient(),
	} {
		tt, ok := hc.Transport.(*timeoutTransport)
		if !ok {
			t.Errorf("%s: HTTP.Transport = %T, want the timeouts' transport", name, hc.Transport)
			continue
		}
		if tt.t != d || tt.base != http.DefaultTransport || hc.Timeout != 0 {
			t.Errorf("%s: keeps to %+v over %T, Timeout %v; want %+v over http.DefaultTransport, no Timeout", name, tt.t, tt.base, hc.Timeout, d)
		}
	}
	if a, b := New("http://a", ""), New("http://b", ""); a.HTTP == b.HTTP {
		t.Errorf("New gave two clients one *http.Client, want one each (a caller may change its own)")
	}
}

// newBounded is New's client of url with its own bounds (no other
// client's) shortened to b, for the test to end soon.
func newBounded(t *testing.T, url string, b Timeouts) *Client {
	t.Helper()
	c := New(url, testToken)
	tt, ok := c.HTTP.Transport.(*timeoutTransport)
	if !ok {
		t.Fatalf("New(%q).HTTP.Transport = %T, want the timeouts' transport", url, c.HTTP.Transport)
	}
	tt.t = b
	return c
}

// silentListener accepts connections and never speaks on them, until the
// test ends.
func silentListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	t.Cleanup(func() {
		ln.Close()
		close(held)
		for c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case held <- c:
			default:
				c.Close()
			}
		}
	}()
	return ln
}

// TestNewDoesNotHang: New's client gives up on a server that takes the
// connection and then stops, at whichever step it stops, with the
// timeout of that step, while a slow transfer that keeps moving goes on.
// The bound under test is short and the others long, so that a loaded
// machine's delays end no call at another step. Each call also has the
// test's own deadline, so that a client that would hang fails instead.
func TestNewDoesNotHang(t *testing.T) {
	const bound, long = 200 * time.Millisecond, 5 * time.Second
	get := func(c *Client, ctx context.Context) error { _, err := c.Get(ctx, "x"); return err }
	download := func(c *Client, ctx context.Context) error {
		rc, err := c.Content(ctx, "x")
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}
	for _, tc := range []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) // nil: a TLS server that never shakes hands
		call    func(c *Client, ctx context.Context) error
		want    Stage // 0: no error
	}{
		{"never shakes hands", nil, get, StageConnect},
		{"never answers", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
			io.Copy(io.Discard, r.Body)
			<-release
		}, get, StageAnswer},
		{"stops reading an upload", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
			io.CopyN(io.Discard, r.Body, 1<<10)
			<-release
		}, func(c *Client, ctx context.Context) error {
			const size = 16 << 20 // beyond the sockets' buffers
			_, err := c.Submit(ctx, Upload{Body: bytes.NewReader(make([]byte, size)), Size: size, FileName: "big.bin"})
			return err
		}, StageStall},
		{"stalls mid-download", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("first bytes"))
			w.(http.Flusher).Flush()
			<-release
		}, download, StageStall},
		{"downloads slowly", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
			// A byte every 50ms for 1.5s: longer than Stall (1s here,
			// far above the gaps) and Answer.
			for range 30 {
				w.Write([]byte("e"))
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		}, download, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := "https://" + silentListener(t).Addr().String()
			if tc.handler != nil {
				url = slowServer(t, tc.handler).URL
			}
			b := Timeouts{Connect: long, Answer: long, Stall: long}
			switch tc.want {
			case StageConnect:
				b.Connect = bound
			case StageAnswer:
				b.Answer = bound
			case StageStall:
				b.Stall = bound
			default:
				b.Answer, b.Stall = bound, time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := tc.call(newBounded(t, url, b), ctx)
			if tc.want == 0 {
				if err != nil {
					t.Errorf("%s: got %v, want no error", tc.name, err)
				}
				return
			}
			wantTimeout(t, tc.name, err, tc.want, bound)
		})
	}
}
