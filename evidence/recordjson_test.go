package evidence

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/strictjson"
)

// appendRecordJSON writes what json.Marshal writes of a record, or gives
// up: with every field of Record and Meta set (a field added to either and
// not to the encoder fails here), with the optional ones left out, and for
// random strings and times, those it must leave to json.Marshal included.
func TestRecordJSON(t *testing.T) {
	check := func(name string, r *Record) (fast bool) {
		t.Helper()
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, ok := appendRecordJSON(nil, r)
		if ok && string(got) != string(want) {
			t.Fatalf("%s: appendRecordJSON =\n%s\nwant\n%s", name, got, want)
		}
		if b, err := marshalRecord(r); err != nil || string(b) != string(want) {
			t.Fatalf("%s: marshalRecord = %s, %v; want %s", name, b, err, want)
		}
		return ok
	}

	var full Record
	if err := strictjson.FillPlain(reflect.ValueOf(&full).Elem()); err != nil {
		t.Fatal(err)
	}
	if !check("every field set", &full) {
		t.Fatal("appendRecordJSON gave up on a record of plain strings")
	}
	if !check("no field set", &Record{}) {
		t.Fatal("appendRecordJSON gave up on the zero record")
	}
	at := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	no := false
	upload := Record{ID: "k2bzbpxd7a6p3qkaaaaaaaaaaa", Owner: "org:key", Status: StatusTimestamped, SHA256: "ab", Size: 4096,
		MediaType: "application/octet-stream", CreatedAt: at.Add(123456789), Meta: Meta{Unlisted: &no},
		Tokens: []TokenInfo{{TSA: "custos", Time: at.Add(120 * time.Millisecond), Serial: "1234", SHA256: "cd"}, {TSA: "ext", URL: "https://tsa.example/x?a=1", Time: at, Serial: "9", SHA256: "ef"}}}
	if !check("an upload's record", &upload) {
		t.Fatal("appendRecordJSON gave up on an upload's record")
	}

	for _, s := range []string{"a\"b", `a\b`, "<script>", "a&b", "tab\t", "\x7f", "é", "\u2028", "\xff", ""} {
		r := upload
		r.Title = s
		if check("title "+s, &r) != (s == "") {
			t.Errorf("title %q: appendRecordJSON did not give up where json.Marshal escapes", s)
		}
	}
	for _, tt := range []time.Time{at.In(time.FixedZone("", -5*3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		r := upload
		r.CapturedAt = &tt
		if _, ok := appendRecordJSON(nil, &r); ok {
			t.Errorf("captured at %v: appendRecordJSON did not give up", tt)
		}
		if tt.Year() == 2026 {
			check("captured at "+tt.String(), &r)
		}
	}

	rng := rand.New(rand.NewPCG(3, 4))
	str, tm := strictjson.PlainSamples(rng)
	fast := 0
	for range 2000 {
		r := Record{ID: str(), Owner: str(), Status: str(), SHA256: str(), SM3: str(), Size: rng.Int64N(1 << 40), MediaType: str(),
			CreatedAt: tm(), AnchoredHeight: rng.Int64N(3), Seq: rng.Uint64(),
			Meta: Meta{Title: str(), Description: str(), CaseRef: str(), MediaType: str(), FileName: str(), Matter: str()}}
		if rng.IntN(2) == 0 {
			c := tm()
			r.CapturedAt = &c
		}
		if rng.IntN(2) == 0 {
			u := rng.IntN(2) == 0
			r.Unlisted = &u
		}
		for range rng.IntN(3) {
			r.Tokens = append(r.Tokens, TokenInfo{TSA: str(), URL: str(), Time: tm(), Serial: str(), SHA256: str()})
		}
		if check("random record", &r) {
			fast++
		}
	}
	if fast < 1000 || fast == 2000 {
		t.Errorf("appendRecordJSON wrote %d of 2,000 random records; want most, not all", fast)
	}
}
