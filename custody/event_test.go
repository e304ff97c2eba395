package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenEvents are the vectors in testdata/events.golden.json; regenerate
// with `go test ./custody -run TestEventGolden -update` and review the diff.
func goldenEvents() []Event {
	created := Event{
		V: 1, Evidence: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Seq: 0, Type: EventCreated,
		Time: "2026-11-21T08:30:00.123456789Z", Actor: "admin",
		SHA256:    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		SM3:       "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b",
		Size:      4096,
		MediaType: "application/pdf",
		Tokens:    []string{"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"},
	}
	cb, err := created.Encode()
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(cb)
	viewed := Event{
		V: 1, Evidence: created.Evidence, Seq: 1, Type: EventViewed,
		Time: "2026-11-21T08:31:00.000000000Z", Actor: "key:law-firm-1", Prev: hexOf(h[:]), Subject: "metadata",
	}
	vb, err := viewed.Encode()
	if err != nil {
		panic(err)
	}
	h = sha256.Sum256(vb)
	// The same actor's further 41 reads of the metadata in the fold window
	// that event 1 opened, folded into one version-2 event.
	folded := Event{
		V: FoldedVersion, Evidence: created.Evidence, Seq: 2, Type: EventViewed,
		Time: "2026-11-21T08:40:58.500000000Z", Actor: "key:law-firm-1", Prev: hexOf(h[:]), Subject: "metadata",
		Reads: 41, Since: "2026-11-21T08:31:05.250000000Z",
	}
	return []Event{created, viewed, folded}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	return s.String()
}

type goldenEvent struct {
	Canonical string `json:"canonical"`
	SHA256    string `json:"sha256"`
}

func TestEventGolden(t *testing.T) {
	var got []goldenEvent
	for _, e := range goldenEvents() {
		b, err := e.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v) error: %v", e, err)
		}
		h := sha256.Sum256(b)
		got = append(got, goldenEvent{Canonical: string(b), SHA256: hexOf(h[:])})
	}
	path := filepath.Join("testdata", "events.golden.json")
	out, _ := json.MarshalIndent(got, "", "  ")
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("canonical encoding changed:\n got %s\nwant %s", out, want)
	}
	var vecs []goldenEvent
	if err := json.Unmarshal(want, &vecs); err != nil {
		t.Fatal(err)
	}
	var evs []*Event
	for _, v := range vecs {
		e, err := Decode([]byte(v.Canonical))
		if err != nil {
			t.Fatalf("Decode(golden) error: %v", err)
		}
		evs = append(evs, e)
	}
	if i, err := CheckChain(evs); err != nil {
		t.Errorf("CheckChain(golden) = %d, %v; want valid", i, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := goldenEvents()[1].Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	tests := []struct{ name, in string }{
		{"whitespace", strings.Replace(s, `,"seq"`, `, "seq"`, 1)},
		{"reordered", strings.Replace(s, `{"v":1,"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa"`, `{"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa","v":1`, 1)},
		{"unknown field", strings.Replace(s, `{"v":1`, `{"v":1,"x":1`, 1)},
		{"trailing", s + " "},
		{"trailing object", s + "{}"},
		{"version 2", strings.Replace(s, `"v":1`, `"v":2`, 1)},
		{"time not UTC", strings.Replace(s, `.000000000Z`, `.000000000+08:00`, 1)},
		{"time short", strings.Replace(s, `.000000000Z`, `Z`, 1)},
		{"uppercase prev", strings.Replace(s, `"prev":"`, `"prev":"A`, 1)[:len(s)]},
		{"missing prev", strings.Replace(s, `"prev":"`+goldenEvents()[1].Prev+`",`, ``, 1)},
		{"digest on viewed", strings.Replace(s, `"subject"`, `"size":1,"subject"`, 1)},
		{"bad id", strings.Replace(s, `aaaaaaaaaaaaaaaaaaaaaaaaaa`, `AAAAAAAAAAAAAAAAAAAAAAAAAA`, 1)},
		{"escaped differently", strings.Replace(s, `"metadata"`, `"\u006detadata"`, 1)},
		{"not json", "created"},
		{"empty", ""},
		{"v1 with reads", strings.Replace(s, `}`, `,"reads":2,"since":"2026-11-21T08:30:00.000000000Z"}`, 1)},
		{"v1 with since", strings.Replace(s, `}`, `,"since":"2026-11-21T08:30:00.000000000Z"}`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode([]byte(tt.in)); !errors.Is(err, ErrBadEvent) {
				t.Errorf("Decode(%q) = %v, want ErrBadEvent", tt.in, err)
			}
		})
	}
}

// TestDecodeRejectsFolded: a version-2 event must fold at least two reads
// of a read type, with since no later than time; and every field has one
// spelling, as in version 1.
func TestDecodeRejectsFolded(t *testing.T) {
	good, err := goldenEvents()[2].Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	if _, err := Decode(good); err != nil {
		t.Fatalf("Decode(golden folded) = %v", err)
	}
	tests := []struct{ name, in string }{
		{"v2 without reads", strings.Replace(s, `,"reads":41,"since":"2026-11-21T08:31:05.250000000Z"`, ``, 1)},
		{"v2 without since", strings.Replace(s, `,"since":"2026-11-21T08:31:05.250000000Z"`, ``, 1)},
		{"v2 without reads, with since", strings.Replace(s, `"reads":41,`, ``, 1)},
		{"v1 with reads", strings.Replace(s, `"v":2`, `"v":1`, 1)},
		{"v3", strings.Replace(s, `"v":2`, `"v":3`, 1)},
		{"one read", strings.Replace(s, `"reads":41`, `"reads":1`, 1)},
		{"zero reads", strings.Replace(s, `"reads":41`, `"reads":0`, 1)},
		{"negative reads", strings.Replace(s, `"reads":41`, `"reads":-41`, 1)},
		{"reads leading zero", strings.Replace(s, `"reads":41`, `"reads":041`, 1)},
		{"reads fraction", strings.Replace(s, `"reads":41`, `"reads":41.0`, 1)},
		{"reads exponent", strings.Replace(s, `"reads":41`, `"reads":4.1e1`, 1)},
		{"reads as string", strings.Replace(s, `"reads":41`, `"reads":"41"`, 1)},
		{"reads too big", strings.Replace(s, `"reads":41`, `"reads":9223372036854775808`, 1)},
		{"since after time", strings.Replace(s, `08:31:05.250000000Z`, `08:40:58.500000001Z`, 1)},
		{"since short", strings.Replace(s, `08:31:05.250000000Z`, `08:31:05.25Z`, 1)},
		{"since not UTC", strings.Replace(s, `08:31:05.250000000Z`, `16:31:05.250000000+08:00`, 1)},
		{"since not a date", strings.Replace(s, `2026-11-21T08:31:05`, `2026-02-30T08:31:05`, 1)},
		{"since before reads", strings.Replace(s, `"reads":41,"since":"2026-11-21T08:31:05.250000000Z"`, `"since":"2026-11-21T08:31:05.250000000Z","reads":41`, 1)},
		{"reads before subject", strings.Replace(s, `,"subject":"metadata","reads":41`, `,"reads":41,"subject":"metadata"`, 1)},
		{"duplicate reads", strings.Replace(s, `"reads":41`, `"reads":2,"reads":41`, 1)},
		{"shared folded", strings.Replace(s, `"type":"viewed"`, `"type":"shared"`, 1)},
		{"certified folded", strings.Replace(s, `"type":"viewed"`, `"type":"certified"`, 1)},
		{"trailing", s + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode([]byte(tt.in)); !errors.Is(err, ErrBadEvent) {
				t.Errorf("Decode(%q) = %v, want ErrBadEvent", tt.in, err)
			}
		})
	}
	// Encode refuses what Decode refuses.
	evs := goldenEvents()
	for _, mut := range []func(e *Event){
		func(e *Event) { e.Reads = 1 },
		func(e *Event) { e.Reads = 0 },
		func(e *Event) { e.V = EventVersion },
		func(e *Event) { e.Since = "" },
		func(e *Event) { e.Since = "2026-11-21T09:00:00.000000000Z" },
		func(e *Event) { e.Type = EventUnshared },
	} {
		e := evs[2]
		mut(&e)
		if b, err := e.Encode(); !errors.Is(err, ErrBadEvent) {
			t.Errorf("Encode(%+v) = %s, %v; want ErrBadEvent", e, b, err)
		}
	}
	// Reads of every read type fold, and since may equal time.
	for _, typ := range []string{EventViewed, EventDownloaded, EventListed} {
		e := evs[2]
		e.Type, e.Since = typ, e.Time
		if _, err := e.Encode(); err != nil {
			t.Errorf("Encode(folded %s) = %v", typ, err)
		}
	}
}

func TestCount(t *testing.T) {
	evs := goldenEvents()
	for i, want := range []int64{1, 1, 41} {
		if got := evs[i].Count(); got != want {
			t.Errorf("goldenEvents()[%d].Count() = %d, want %d", i, got, want)
		}
	}
}

func TestCheckChainDetectsBrokenLinks(t *testing.T) {
	evs := goldenEvents()
	a, b := evs[0], evs[1]
	b.Prev = strings.Repeat("0", 64)
	if i, err := CheckChain([]*Event{&a, &b}); i != 1 || err == nil {
		t.Errorf("CheckChain(broken prev) = %d, %v; want 1, error", i, err)
	}
	b = evs[1]
	b.Seq = 2
	if i, err := CheckChain([]*Event{&a, &b}); i != 1 || err == nil {
		t.Errorf("CheckChain(gap) = %d, %v; want 1, error", i, err)
	}
	a2 := evs[0]
	a2.Size = 4097 // changes the hash b links to
	if i, err := CheckChain([]*Event{&a2, &evs[1]}); i != 1 || err == nil {
		t.Errorf("CheckChain(altered created) = %d, %v; want 1, error", i, err)
	}
	// A folded read's count is covered by the hash: changing it breaks the
	// link of the event after it, and a bad count fails the chain itself.
	evs = goldenEvents()
	next := Event{V: EventVersion, Evidence: evs[0].Evidence, Seq: 3, Type: EventShared, Time: "2026-11-21T08:42:00.000000000Z", Actor: "admin", Subject: "org:x"}
	h, err := evs[2].Hash()
	if err != nil {
		t.Fatal(err)
	}
	next.Prev = hexOf(h[:])
	chain := []*Event{&evs[0], &evs[1], &evs[2], &next}
	if i, err := CheckChain(chain); err != nil {
		t.Fatalf("CheckChain(with a folded read) = %d, %v", i, err)
	}
	evs[2].Reads = 40
	if i, err := CheckChain(chain); i != 3 || err == nil {
		t.Errorf("CheckChain(folded count altered) = %d, %v; want 3, error", i, err)
	}
	evs[2].Reads = 1
	if i, err := CheckChain(chain); i != 2 || !errors.Is(err, ErrBadEvent) {
		t.Errorf("CheckChain(folded event with one read) = %d, %v; want 2, ErrBadEvent", i, err)
	}
}

// FuzzDecodeEvent: DecodeEvent never panics, and whatever it accepts
// re-encodes to exactly the same bytes (no malleability).
func FuzzDecode(f *testing.F) {
	for _, e := range goldenEvents() {
		b, _ := e.Encode()
		f.Add(b)
	}
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":2,"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa","seq":1,"type":"listed","time":"2026-11-21T08:31:00.000000000Z","actor":"a","prev":"cba69aac687a625d1ddc8172b070dc5c6f4ffc0a4cc953cb641b8bc7cad0a135","reads":2,"since":"2026-11-21T08:31:00.000000000Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		again, err := e.Encode()
		if err != nil {
			t.Fatalf("Encode(Decode(%q)) error: %v", b, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("Encode(Decode(%q)) = %q", b, again)
		}
	})
}

func TestAuditChain(t *testing.T) {
	org := Event{V: 1, Evidence: "bbbbbbbbbbbbbbbbbbbbbbbbbb", Type: AuditOrgCreated, Time: "2026-11-21T08:00:00.000000000Z", Actor: "admin", Subject: "lawfirm"}
	b, err := org.Encode()
	if err != nil {
		t.Fatalf("Encode(org.created) = %v", err)
	}
	h := sha256.Sum256(b)
	key := Event{V: 1, Evidence: org.Evidence, Seq: 1, Type: AuditKeyCreated, Time: "2026-11-21T08:01:00.000000000Z", Actor: "admin", Prev: hexOf(h[:]), Subject: "key:cccccccccccccccccccccccccc:submitter"}
	if i, err := CheckChain([]*Event{&org, &key}); err != nil {
		t.Errorf("CheckChain(audit chain) = %d, %v", i, err)
	}
	viewed := key
	viewed.Type = EventViewed
	if i, err := CheckChain([]*Event{&org, &viewed}); i != 1 || err == nil {
		t.Errorf("CheckChain(custody event in an audit chain) = %d, %v; want 1, error", i, err)
	}
	ev := goldenEvents()
	mixed := key
	mixed.Evidence, mixed.Prev = ev[0].Evidence, ev[1].Prev
	if i, err := CheckChain([]*Event{&ev[0], &mixed}); i != 1 || err == nil {
		t.Errorf("CheckChain(audit event in an evidence chain) = %d, %v; want 1, error", i, err)
	}
	withDigest := org
	withDigest.SHA256 = ev[0].SHA256
	if _, err := withDigest.Encode(); err == nil {
		t.Errorf("Encode(org.created with a digest) accepted")
	}
}
