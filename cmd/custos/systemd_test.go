package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSupervisorWatch: the watchdog is petted after each health check
// that answers 200, not while /healthz answers 503 (a halted chain) or
// does not answer; the status says why, and both changes are said once.
func TestSupervisorWatch(t *testing.T) {
	var status, asked atomic.Int32
	status.Store(http.StatusOK)
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if r.URL.Path != "/healthz" {
			t.Errorf("asked %s", r.URL.Path)
		}
		if s := int(status.Load()); s != http.StatusOK {
			http.Error(w, "halted: the chain's consensus stopped (see the log)", s)
			return
		}
		io.WriteString(w, "ok\n")
	}))
	defer node.Close()

	var mu sync.Mutex
	var sent []string
	count := func(prefix string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range sent {
			if strings.HasPrefix(s, prefix) {
				n++
			}
		}
		return n
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				mu.Lock()
				t.Fatalf("never: %s; sent %q", what, sent)
			}
		}
	}
	s := &supervisor{
		notify: func(state string) error {
			mu.Lock()
			sent = append(sent, state)
			mu.Unlock()
			return nil
		},
		health: node.URL + "/healthz", interval: 10 * time.Millisecond, client: node.Client(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.watch(ctx); close(done) }()

	waitFor("three pets while healthy", func() bool { return count("WATCHDOG=1") >= 3 })
	status.Store(http.StatusServiceUnavailable)
	waitFor("the status says it is not healthy", func() bool { return count("STATUS=not healthy: GET /healthz: 503 halted") == 1 })
	pets, checks := count("WATCHDOG=1"), asked.Load()
	waitFor("five more checks", func() bool { return asked.Load() >= checks+5 })
	if got := count("WATCHDOG=1"); got > pets+1 { // one check may have been on its way
		t.Errorf("%d pets while /healthz answered 503, want none", got-pets)
	}
	if n := count("STATUS=not healthy"); n != 1 {
		t.Errorf("the bad status said %d times, want once", n)
	}
	status.Store(http.StatusOK)
	waitFor("the status back to serving", func() bool { return count("STATUS=serving") == 1 })
	before := count("WATCHDOG=1")
	waitFor("pets again", func() bool { return count("WATCHDOG=1") > before+1 })

	node.Close() // the node's HTTP server gone: no answer is no pet
	waitFor("the status says /healthz does not answer", func() bool { return count("STATUS=not healthy") == 2 })
	cancel()
	<-done
}

// TestLoopback: the node asks its own /healthz on the address it listens
// on, and on the loopback interface when that address is unspecified.
func TestLoopback(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080",
		"0.0.0.0:8080":   "127.0.0.1:8080",
		"[::]:8080":      "[::1]:8080",
		"10.1.2.3:8443":  "10.1.2.3:8443",
	} {
		addr, err := net.ResolveTCPAddr("tcp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%s) = %s, want %s", in, got, want)
		}
	}
}
