package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	orgA = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	orgB = "bbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func openDB(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newService opens a service on a fresh database, with fast retries and
// private addresses allowed (httptest listens on loopback).
func newService(t *testing.T, cfg Config) *Service {
	t.Helper()
	if cfg.DB == nil {
		cfg.DB = openDB(t, filepath.Join(t.TempDir(), "w.db"))
	}
	if cfg.Sealer == nil {
		cfg.Sealer = testSealer(t)
	}
	cfg.AllowPrivate = true
	if cfg.Backoff == 0 {
		cfg.Backoff = 10 * time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs s until the test ends.
func run(t *testing.T, s *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// receiver is an httptest webhook receiver that answers with the statuses
// given, in turn (the last one repeating), and keeps what it received.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), body, time.Now()})
		status := r.statuses[min(len(r.got), len(r.statuses))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func create(t *testing.T, s *Service, org, url string, events ...string) (*Webhook, string) {
	t.Helper()
	h, secret, err := s.Create(org, org+":key", Input{URL: url, Events: events})
	if err != nil {
		t.Fatalf("Create(%s, %s) = %v", org, url, err)
	}
	return h, secret
}

// waitState polls the delivery log of hook until its newest delivery
// reaches state, and returns it.
func waitState(t *testing.T, s *Service, org, hook, state string) Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err := s.Deliveries(org, hook, 0)
		if err != nil {
			t.Fatalf("Deliveries(%s) = %v", hook, err)
		}
		if len(ds) > 0 && ds[0].State == state {
			return ds[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log of %s = %+v, want the newest %s", hook, ds, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetryThenDeliver(t *testing.T) {
	s := newService(t, Config{MaxAttempts: 5})
	rcv := newReceiver(t, 500, 500, 200)
	h, secret := create(t, s, orgA, rcv.URL+"/hook?x=1", EventTimestamped)
	run(t, s)

	s.Publish(orgA, EventTimestamped, map[string]string{"id": "e1"})
	d := waitState(t, s, orgA, h.ID, StateDelivered)

	if len(d.Attempts) != 3 {
		t.Fatalf("attempts = %+v, want 3", d.Attempts)
	}
	for i, want := range []struct {
		status int
		reason string
	}{{500, "HTTP 500"}, {500, "HTTP 500"}, {200, ""}} {
		if a := d.Attempts[i]; a.Status != want.status || a.At.IsZero() || a.Reason != want.reason {
			t.Errorf("attempt %d = %+v, want status %d, reason %q", i, a, want.status, want.reason)
		}
	}
	if d.NextAttemptAt != nil || d.Event != EventTimestamped || d.Webhook != h.ID {
		t.Errorf("delivered delivery = %+v", d)
	}
	reqs := rcv.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 7*time.Millisecond {
		t.Errorf("first retry after %v, want about Backoff (10ms ±25%%)", gap)
	}
	for i, r := range reqs {
		if err := Verify(secret, r.header.Get(HeaderSignature), r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("request %d: Verify = %v", i, err)
		}
		if r.header.Get("Content-Type") != "application/json" || r.header.Get(HeaderWebhookID) != h.ID ||
			r.header.Get(HeaderDeliveryID) != d.ID || r.header.Get(HeaderEvent) != EventTimestamped {
			t.Errorf("request %d headers = %v", i, r.header)
		}
		var p Payload
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != d.ID || p.Type != EventTimestamped || p.Org != orgA || string(p.Data) != `{"id":"e1"}` || !p.CreatedAt.Equal(d.CreatedAt) {
			t.Errorf("payload = %s", r.body)
		}
	}
}

func TestPermanentFailure(t *testing.T) {
	s := newService(t, Config{MaxAttempts: 3})
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	h, _ := create(t, s, orgA, rcv.URL, EventAnchored)
	run(t, s)

	s.Publish(orgA, EventAnchored, "x")
	d := waitState(t, s, orgA, h.ID, StateFailed)
	if len(d.Attempts) != 3 || d.NextAttemptAt != nil {
		t.Errorf("failed delivery = %+v, want 3 attempts and no next", d)
	}
	time.Sleep(100 * time.Millisecond) // ≫ the backoff: no fourth attempt
	if n := len(rcv.requests()); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
}

func TestUnreachable(t *testing.T) {
	s := newService(t, Config{MaxAttempts: 2})
	rcv := newReceiver(t, 200)
	url := rcv.URL
	rcv.Close() // nothing listens there any more
	h, _ := create(t, s, orgA, url, EventShared)
	run(t, s)
	s.Publish(orgA, EventShared, nil)
	d := waitState(t, s, orgA, h.ID, StateFailed)
	if len(d.Attempts) != 2 || d.Attempts[0].Status != 0 || d.Attempts[0].Reason != ReasonRefused {
		t.Errorf("delivery to a closed port = %+v, want 2 attempts, connection refused", d)
	}
	// The organization sees the reason, not the dial error with the address.
	b, _ := json.Marshal(d)
	host := strings.TrimPrefix(url, "http://")
	for _, leak := range []string{"127.0.0.1", host[strings.LastIndex(host, ":"):], "dial", "connect:"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("delivery log %s shows %q", b, leak)
		}
	}
}

// TestDurable: a delivery published before a crash is made after the
// restart.
func TestDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openDB(t, path)
	s := newService(t, Config{DB: db})
	rcv := newReceiver(t, 200)
	h, secret := create(t, s, orgA, rcv.URL, EventTimestamped, EventAnchored)
	s.Publish(orgA, EventAnchored, map[string]int{"n": 1})
	if err := db.Close(); err != nil { // no Run: nothing was delivered
		t.Fatal(err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("receiver got %d requests before Run", n)
	}

	s2 := newService(t, Config{DB: openDB(t, path)})
	run(t, s2)
	d := waitState(t, s2, orgA, h.ID, StateDelivered)
	reqs := rcv.requests()
	if len(reqs) != 1 || len(d.Attempts) != 1 {
		t.Fatalf("after restart: %d requests, delivery %+v; want 1", len(reqs), d)
	}
	if err := Verify(secret, reqs[0].header.Get(HeaderSignature), reqs[0].body, time.Now(), time.Minute); err != nil {
		t.Errorf("Verify after restart = %v (the secret must survive the restart)", err)
	}
}

func TestDeleteStopsDeliveries(t *testing.T) {
	t.Run("pending", func(t *testing.T) {
		s := newService(t, Config{})
		rcv := newReceiver(t, 200)
		h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
		s.Publish(orgA, EventTimestamped, 1)
		if _, err := s.Delete(orgA, h.ID); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		assertEmpty(t, s.db, bDue, bDeliveries, bLog) // Delete took its deliveries with it
		run(t, s)
		s.Publish(orgA, EventTimestamped, 2)
		time.Sleep(100 * time.Millisecond)
		if n := len(rcv.requests()); n != 0 {
			t.Errorf("receiver of a deleted webhook got %d requests", n)
		}
		if _, err := s.Deliveries(orgA, h.ID, 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Deliveries(deleted) = %v, want ErrNotFound", err)
		}
		assertEmpty(t, s.db, bDue, bDeliveries, bLog)
	})
	t.Run("retrying", func(t *testing.T) {
		s := newService(t, Config{MaxAttempts: 1000})
		rcv := newReceiver(t, 500)
		h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
		run(t, s)
		s.Publish(orgA, EventTimestamped, 1)
		for deadline := time.Now().Add(10 * time.Second); len(rcv.requests()) < 2; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("receiver got %d requests, want 2 (a first attempt and a retry)", len(rcv.requests()))
			}
		}
		if _, err := s.Delete(orgA, h.ID); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		n := len(rcv.requests())
		time.Sleep(200 * time.Millisecond)         // ≫ the backoff
		if got := len(rcv.requests()); got > n+1 { // one may have been in flight
			t.Errorf("receiver got %d requests after Delete, want at most 1", got-n)
		}
		assertEmpty(t, s.db, bDue, bDeliveries, bLog)
	})
}

func assertEmpty(t *testing.T, db *bolt.DB, buckets ...[]byte) {
	t.Helper()
	db.View(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if k, _ := tx.Bucket(b).Cursor().First(); k != nil {
				t.Errorf("bucket %s still holds %x", b, k)
			}
		}
		return nil
	})
}

func TestOrgIsolation(t *testing.T) {
	s := newService(t, Config{})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, Events...)
	run(t, s)

	if l, err := s.List(orgB); err != nil || len(l) != 0 {
		t.Errorf("List(B) = %v, %v; want none", l, err)
	}
	if _, err := s.Get(orgB, h.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(B, A's webhook) = %v, want ErrNotFound", err)
	}
	if _, err := s.Deliveries(orgB, h.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Deliveries(B, A's webhook) = %v, want ErrNotFound", err)
	}
	if _, err := s.Delete(orgB, h.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete(B, A's webhook) = %v, want ErrNotFound", err)
	}
	s.Publish(orgB, EventTimestamped, 1)
	time.Sleep(50 * time.Millisecond)
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("A's receiver got %d requests for B's event", n)
	}
	if l, err := s.List(orgA); err != nil || len(l) != 1 || l[0].ID != h.ID {
		t.Errorf("List(A) = %v, %v; want A's webhook", l, err)
	}
}

func TestSubscription(t *testing.T) {
	s := newService(t, Config{})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventShared)
	run(t, s)
	s.Publish(orgA, EventTimestamped, 1) // not subscribed
	s.Publish(orgA, EventShared, 2)
	waitState(t, s, orgA, h.ID, StateDelivered)
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].header.Get(HeaderEvent) != EventShared {
		t.Errorf("receiver got %d requests, want only the evidence.shared one", len(reqs))
	}
}

func TestDeliveriesNewestFirst(t *testing.T) {
	s := newService(t, Config{})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventShared)
	for range 3 {
		s.Publish(orgA, EventShared, 1)
		time.Sleep(time.Millisecond)
	}
	ds, err := s.Deliveries(orgA, h.ID, 0)
	if err != nil || len(ds) != 3 {
		t.Fatalf("Deliveries = %d, %v; want 3", len(ds), err)
	}
	for i := 1; i < len(ds); i++ {
		if !ds[i-1].CreatedAt.After(ds[i].CreatedAt) {
			t.Errorf("Deliveries[%d] at %v is not newer than [%d] at %v", i-1, ds[i-1].CreatedAt, i, ds[i].CreatedAt)
		}
	}
	if ds, _ := s.Deliveries(orgA, h.ID, 2); len(ds) != 2 {
		t.Errorf("Deliveries(limit 2) = %d entries", len(ds))
	}
}

func TestCreate(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "w.db"))
	strict, err := New(Config{DB: db, Sealer: testSealer(t)}) // AllowPrivate off
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		url    string
		events []string
		ok     bool
	}{
		{"https", "https://hooks.example.com/custos", []string{EventAnchored}, true},
		{"http with port and query", "http://hooks.example.com:8080/c?k=v", Events, true},
		{"public IP", "https://93.184.216.34/hook", []string{EventShared}, true},
		{"public IPv6", "https://[2606:4700::1111]/hook", []string{EventShared}, true},
		{"documentation IP", "https://203.0.113.9/hook", []string{EventShared}, false},
		{"NAT64 of loopback", "http://[64:ff9b::7f00:1]/", Events, false},
		{"6to4 of private", "http://[2002:a00:1::1]/", Events, false},
		{"unique-local", "http://[fd00::1]/", Events, false},
		{"zoned link-local", "http://[fe80::1%25eth0]/", Events, false},
		{"decimal IPv4", "http://2130706433/", Events, false},
		{"short IPv4", "http://127.1/", Events, false},
		{"hex IPv4", "http://0x7f.0.0.1/", Events, false},
		{"numeric label in a name", "https://1.hooks.example.com/", Events, true},
		{"ftp", "ftp://hooks.example.com/", Events, false},
		{"relative", "/hook", Events, false},
		{"no host", "https:///hook", Events, false},
		{"credentials", "https://user:pw@hooks.example.com/", Events, false},
		{"fragment", "https://hooks.example.com/#x", Events, false},
		{"loopback", "http://127.0.0.1:9000/", Events, false},
		{"private", "http://10.1.2.3/", Events, false},
		{"link-local metadata", "http://169.254.169.254/latest/meta-data/", Events, false},
		{"IPv6 loopback", "http://[::1]/", Events, false},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/", Events, false},
		{"localhost", "http://localhost:8080/", Events, false},
		{"too long", "https://hooks.example.com/" + strings.Repeat("a", MaxURLLen), Events, false},
		{"no events", "https://hooks.example.com/", nil, false},
		{"unknown event", "https://hooks.example.com/", []string{"evidence.deleted"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, secret, err := strict.Create(orgA, "a:k", Input{URL: tt.url, Events: tt.events})
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadInput)) {
				t.Fatalf("Create(%q, %v) = %v, want ok %v (else ErrBadInput)", tt.url, tt.events, err, tt.ok)
			}
			if err == nil && (h.URL != tt.url || len(secret) != 43 || h.CreatedBy != "a:k" || h.Org != orgA) {
				t.Errorf("Create = %+v, secret of %d chars", h, len(secret))
			}
		})
	}
}

func TestCreateCanonicalEventsAndSecret(t *testing.T) {
	s := newService(t, Config{})
	h1, s1 := create(t, s, orgA, "https://hooks.example.com/", EventShared, EventTimestamped, EventShared)
	_, s2 := create(t, s, orgA, "https://hooks.example.com/", EventShared)
	if strings.Join(h1.Events, ",") != EventTimestamped+","+EventShared {
		t.Errorf("Events = %v, want canonical order without repeats", h1.Events)
	}
	if s1 == s2 {
		t.Error("two webhooks got the same secret")
	}
	l, _ := s.List(orgA)
	b, _ := json.Marshal(l)
	if strings.Contains(string(b), s1) || strings.Contains(string(b), "secret") {
		t.Errorf("List shows the secret: %s", b)
	}
	for i := len(l); i < MaxPerOrg; i++ {
		create(t, s, orgA, "https://hooks.example.com/", EventShared)
	}
	if _, _, err := s.Create(orgA, "a:k", Input{URL: "https://hooks.example.com/", Events: Events}); !errors.Is(err, ErrBadInput) {
		t.Errorf("Create beyond MaxPerOrg = %v, want ErrBadInput", err)
	}
}

// TestRefusePrivateAtDial: without AllowPrivate the default client does not
// connect to a loopback address, whatever the URL's host name.
func TestRefusePrivateAtDial(t *testing.T) {
	rcv := newReceiver(t, 200)
	_, err := defaultClient(false, time.Second).Post(rcv.URL, "application/json", strings.NewReader("{}"))
	if !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("POST to %s without AllowPrivate = %v, want ErrPrivateAddress", rcv.URL, err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
	resp, err := defaultClient(true, time.Second).Post(rcv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("POST with AllowPrivate = %v", err)
	}
	resp.Body.Close()
}

func TestBackoff(t *testing.T) {
	s := newService(t, Config{Backoff: time.Second, MaxBackoff: 10 * time.Second})
	for _, tt := range []struct {
		n    int
		base time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {60, 10 * time.Second}} {
		for range 20 {
			if d := s.backoff(tt.n); d < tt.base*3/4 || d >= tt.base*5/4 {
				t.Errorf("backoff(%d) = %v, want %v ±25%%", tt.n, d, tt.base)
			}
		}
	}
	def, _ := New(Config{DB: s.db, Sealer: testSealer(t)})
	var total time.Duration
	for n := 1; n < def.cfg.MaxAttempts; n++ {
		total += def.cfg.Backoff << (n - 1)
	}
	if total < 45*time.Minute || total > 2*time.Hour {
		t.Errorf("default schedule spans %v, want about an hour", total)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	s := newService(t, Config{Timeout: 50 * time.Millisecond, MaxAttempts: 1})
	h, _ := create(t, s, orgA, slow.URL, EventShared)
	run(t, s)
	s.Publish(orgA, EventShared, 1)
	d := waitState(t, s, orgA, h.ID, StateFailed)
	if a := d.Attempts[0]; a.Status != 0 || a.Reason != ReasonTimeout || a.DurationMS < 40 || a.DurationMS > 2000 {
		t.Errorf("attempt against a receiver that does not answer = %+v, want a timeout after about 50ms", a)
	}
}

// Subscribed follows the stored webhooks: created, deleted, and read back
// when the service is opened again.
func TestSubscribedCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openDB(t, path)
	s := newService(t, Config{DB: db})
	if s.Subscribed(EventAnchored) {
		t.Fatal("Subscribed(anchored) with no webhook")
	}
	h1, _ := create(t, s, orgA, "https://example.com/a", EventAnchored)
	h2, _ := create(t, s, orgB, "https://example.com/b", EventAnchored, EventShared)
	if _, _, err := s.Create(orgA, "tester", Input{URL: "ftp://example.com/", Events: []string{EventTimestamped}}); err == nil {
		t.Fatal("Create with an ftp URL succeeded")
	}
	if !s.Subscribed(EventAnchored) || !s.Subscribed(EventShared) || s.Subscribed(EventTimestamped) {
		t.Error("after two creates and a refused one: want anchored and shared, not timestamped")
	}
	if _, err := s.Delete(orgA, h1.ID); err != nil {
		t.Fatal(err)
	}
	if !s.Subscribed(EventAnchored) {
		t.Error("Subscribed(anchored) false while orgB's webhook has it")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := newService(t, Config{DB: openDB(t, path)})
	if !s2.Subscribed(EventAnchored) || !s2.Subscribed(EventShared) {
		t.Error("reopened: the stored webhook's events are not counted")
	}
	if _, err := s2.Delete(orgB, h2.ID); err != nil {
		t.Fatal(err)
	}
	if s2.Subscribed(EventAnchored) || s2.Subscribed(EventShared) {
		t.Error("Subscribed true after every webhook was deleted")
	}
}

// PublishWithin queues deliveries in the act's own transaction: a rolled
// back act queues nothing, a committed one is delivered.
func TestPublishWithin(t *testing.T) {
	s := newService(t, Config{})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	errAct := errors.New("the act failed")
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.PublishWithin(tx, orgA, EventTimestamped, map[string]int{"n": 1}); err != nil {
			return err
		}
		return errAct // rolled back with the act
	}); !errors.Is(err, errAct) {
		t.Fatalf("Update = %v", err)
	}
	if ds, err := s.Deliveries(orgA, h.ID, 0); err != nil || len(ds) != 0 {
		t.Fatalf("deliveries after a rolled-back act = %+v, %v; want none", ds, err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if err := s.PublishWithin(tx, orgB, EventTimestamped, 0); err != nil { // orgB has no webhook
			return err
		}
		return s.PublishWithin(tx, orgA, EventTimestamped, map[string]int{"n": 2})
	}); err != nil {
		t.Fatal(err)
	}
	run(t, s)
	d := waitState(t, s, orgA, h.ID, StateDelivered)
	reqs := rcv.requests()
	if len(reqs) != 1 || d.Event != EventTimestamped || !strings.Contains(string(reqs[0].body), `"data":{"n":2}`) {
		t.Errorf("delivered %d requests (%+v), want the committed act's one", len(reqs), d)
	}
}

// TestWithinUndoes: an error of the function run in the transaction of a
// registration or a removal (where the API audits it) undoes the change:
// no webhook is stored, or the webhook stays with its delivery log, and
// the subscription count is as before.
func TestWithinUndoes(t *testing.T) {
	s := newService(t, Config{})
	failed := errors.New("audit failed")
	_, _, err := s.CreateWithin(orgA, "a:k", Input{URL: "https://h.example.com/", Events: []string{EventShared}},
		func(*bolt.Tx, *Webhook) error { return failed })
	if !errors.Is(err, failed) {
		t.Fatalf("CreateWithin = %v, want the within error", err)
	}
	if ws, _ := s.List(orgA); len(ws) != 0 || s.Subscribed(EventShared) {
		t.Errorf("after the undone registration: %d webhooks, subscribed %v; want none", len(ws), s.Subscribed(EventShared))
	}
	var seen string
	w, _, err := s.CreateWithin(orgA, "a:k", Input{URL: "https://h.example.com/", Events: []string{EventShared}},
		func(_ *bolt.Tx, w *Webhook) error { seen = w.ID; return nil })
	if err != nil || seen != w.ID {
		t.Fatalf("CreateWithin = %v, within saw %q, want %q", err, seen, w.ID)
	}
	s.Publish(orgA, EventShared, map[string]string{"x": "y"})
	if _, err := s.DeleteWithin(orgA, w.ID, func(*bolt.Tx, *Webhook) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("DeleteWithin = %v, want the within error", err)
	}
	if ds, err := s.Deliveries(orgA, w.ID, 10); err != nil || len(ds) != 1 || !s.Subscribed(EventShared) {
		t.Errorf("after the undone removal: deliveries %v, %v, subscribed %v; want the webhook and its log", ds, err, s.Subscribed(EventShared))
	}
	if _, err := s.DeleteWithin(orgA, w.ID, func(*bolt.Tx, *Webhook) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ws, _ := s.List(orgA); len(ws) != 0 || s.Subscribed(EventShared) {
		t.Errorf("after the removal: %d webhooks, subscribed %v", len(ws), s.Subscribed(EventShared))
	}
}
