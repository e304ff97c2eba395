package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// The service manager's protocol (sd_notify(3)) for `custos serve` under a
// systemd unit of Type=notify (deploy/systemd/custos.service,
// docs/operations.md "Running under systemd"):
//
//   - READY=1 once the node accepts requests, so that `systemctl start`
//     returns when it serves, and units ordered after it start then;
//   - WATCHDOG=1 every third of the unit's WatchdogSec while the node's own
//     GET /healthz answers 200 within half of that: one check that fails or
//     is slow is tolerated, two in a row are not. A node whose chain halted
//     (503 halted, as on a full disk) or whose HTTP server no longer answers
//     stops sending it, and systemd kills and restarts it (Restart=), which
//     is what the halt asks for;
//   - STATUS= lines that `systemctl status` shows: serving, or why not;
//   - STOPPING=1 when the node begins to stop.
//
// Without $NOTIFY_SOCKET (not started by systemd, or by a unit of another
// Type) nothing is sent.

// supervisor speaks that protocol for one node.
type supervisor struct {
	notify   func(state string) error
	health   string        // the node's own /healthz URL
	interval time.Duration // between health checks (a third of WatchdogSec); 0: no watchdog
	client   *http.Client
	log      *slog.Logger
}

// newSupervisor is the supervisor of a node listening on addr, or nil when
// no service manager listens ($NOTIFY_SOCKET unset).
func newSupervisor(addr net.Addr, log *slog.Logger) *supervisor {
	sent, err := daemon.SdNotify(false, "STATUS=starting")
	if !sent || err != nil {
		if err != nil {
			log.Warn("systemd: cannot reach $NOTIFY_SOCKET; not reporting readiness or health", "err", err)
		}
		return nil
	}
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd: $WATCHDOG_USEC unreadable; no watchdog", "err", err)
	}
	return &supervisor{
		notify:   func(state string) error { _, err := daemon.SdNotify(false, state); return err },
		health:   "http://" + loopback(addr) + "/healthz",
		interval: every / 3,
		client:   &http.Client{Transport: &http.Transport{Proxy: nil}}, // the node itself, never through $HTTP_PROXY
		log:      log,
	}
}

// loopback is addr as the node itself reaches it: an unspecified address
// (0.0.0.0, ::) is reached on the loopback interface.
func loopback(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if ip != nil && ip.To4() == nil {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port)
}

// ready says the node serves at url.
func (s *supervisor) ready(url string) {
	if s == nil {
		return
	}
	s.send("READY=1\nSTATUS=serving on " + url)
}

// stopping says the node is stopping.
func (s *supervisor) stopping() {
	if s == nil {
		return
	}
	s.send("STOPPING=1\nSTATUS=stopping")
}

func (s *supervisor) send(state string) {
	if err := s.notify(state); err != nil {
		s.log.Warn("systemd: notification not sent", "state", strings.Fields(state)[0], "err", err)
	}
}

// watch checks the node's health every interval until ctx ends, and pets
// the watchdog after each check that passes. A change between healthy and
// not is logged (at ERROR when it turns bad) and put in STATUS.
func (s *supervisor) watch(ctx context.Context) {
	if s == nil || s.interval <= 0 {
		return
	}
	t := time.NewTicker(s.interval)
	defer t.Stop()
	healthy := true
	for {
		err := s.check(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			if !healthy {
				s.log.Info("systemd: the node is healthy again; the watchdog is told so")
				s.send("STATUS=serving")
			}
			s.send("WATCHDOG=1")
		case healthy:
			s.log.Error("systemd: the node is not healthy; the watchdog is no longer told it is alive, and systemd restarts it once WatchdogSec passes", "err", err)
			s.send("STATUS=not healthy: " + err.Error())
		}
		healthy = err == nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check asks the node's own /healthz, within half the interval: nil for
// 200. The pets then come at most 1.5 intervals apart, half of
// WatchdogSec, and one missed check still leaves the next in time.
func (s *supervisor) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(s.interval/2, 100*time.Millisecond))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.health, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET /healthz: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	return fmt.Errorf("GET /healthz: %d %s", resp.StatusCode, strings.TrimSpace(line))
}
