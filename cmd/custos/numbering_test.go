package main

import (
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence/copyright"
)

// The register's order is a member's registrations' priority, and a
// registration transaction lists its registrations by increasing ID,
// while IDs are random: registrationRuns files pending registrations in
// the order they were registered, cut into transactions of increasing
// IDs sent in that order, and none past one that is not ready (just sent,
// or waiting for its organization). Before (review of session 19, K3), every waiting
// registration went into one transaction in ID order, so of two
// registrations of one work filed in the same round the later could take
// the earlier place and number.
func TestRegistrationRun(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	reg := func(id string, minute int) copyright.Unregistered {
		return copyright.Unregistered{ID: id, Org: "org-" + id, RegisteredAt: t0.Add(time.Duration(minute) * time.Minute),
			Files: []copyright.Fingerprint{{SHA256: strings.Repeat("ab", 32)}}}
	}
	all := func(u copyright.Unregistered) (string, bool) { return u.Org, true }
	for _, c := range []struct {
		name    string
		pending []copyright.Unregistered
		ready   func(copyright.Unregistered) (string, bool)
		want    string // the transactions' IDs, a transaction's joined by spaces, transactions by " | "
	}{
		{"in registration order, not ID order", []copyright.Unregistered{reg("z", 2), reg("m", 1)}, all, "m z"},
		{"a new transaction where the IDs would not increase", []copyright.Unregistered{reg("b", 3), reg("z", 2), reg("m", 1)}, all, "m z | b"},
		{"the earlier first, in its own transaction", []copyright.Unregistered{reg("a", 2), reg("q", 1)}, all, "q | a"},
		{"same time: by ID", []copyright.Unregistered{reg("k", 1), reg("c", 1)}, all, "c k"},
		{"none past one not ready", []copyright.Unregistered{reg("a", 1), reg("b", 2)},
			func(u copyright.Unregistered) (string, bool) { return "", u.ID != "a" }, ""},
		{"those before one not ready", []copyright.Unregistered{reg("c", 1), reg("a", 2), reg("b", 3)},
			func(u copyright.Unregistered) (string, bool) { return u.Org, u.ID != "b" }, "c | a"},
		{"nothing waits", nil, all, ""},
	} {
		runs, err := registrationRuns(c.pending, c.ready)
		var txs []string
		for _, run := range runs {
			var ids []string
			for _, r := range run {
				ids = append(ids, r.ID)
				if r.Org != "org-"+r.ID || len(r.Files) != 1 || r.Legacy != "" {
					t.Errorf("%s: registration %+v", c.name, r)
				}
			}
			txs = append(txs, strings.Join(ids, " "))
		}
		if got := strings.Join(txs, " | "); err != nil || got != c.want {
			t.Errorf("%s: registrationRuns = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := registrationRuns([]copyright.Unregistered{{ID: "x", Files: []copyright.Fingerprint{{SHA256: "not hex"}}}}, all); err == nil {
		t.Error("registrationRuns(a fingerprint that is not a SHA-256) = nil error")
	}
}

// TestOrgWaitOver: a registration gives up on its organization's entry
// in the directory only after numberOrgWait and numberOrgBlocks more
// blocks, so that a chain that stops making blocks (a disk slow to sync:
// no block for 11 s in one loaded test run) does not file it without its
// organization while the organization's own entry waits in the mempool;
// after numberOrgWaitMax it gives up whatever the chain did.
func TestOrgWaitOver(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	w := orgWait{at: start, height: 100}
	for _, c := range []struct {
		name   string
		after  time.Duration
		height int64
		want   bool
	}{
		{"at once", 0, 100, false},
		{"blocks made, the wait not over", numberOrgWait - time.Second, 100 + numberOrgBlocks + 10, false},
		{"the wait over, the chain stalled", numberOrgWait + 20*time.Second, 100, false},
		{"the wait over, too few blocks", numberOrgWait + time.Second, 100 + numberOrgBlocks - 1, false},
		{"the wait over and enough blocks", numberOrgWait, 100 + numberOrgBlocks, true},
		{"the longest wait, the chain stalled", numberOrgWaitMax, 100, true},
	} {
		if got := w.over(start.Add(c.after), c.height); got != c.want {
			t.Errorf("%s: over(+%v, height %d) = %v, want %v", c.name, c.after, c.height, got, c.want)
		}
	}
}
