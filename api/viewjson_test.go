package api

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/strictjson"
)

// appendViewJSON writes what json.Marshal writes, or gives up: with every
// field of wire.EvidenceView set (a field added to the view and not to the
// encoder fails here), with the optional ones left out, and for random
// strings and times, those it must leave to json.Marshal included.
func TestViewJSON(t *testing.T) {
	check := func(name string, v *wire.EvidenceView) (fast bool) {
		t.Helper()
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, ok := appendViewJSON(nil, v)
		if ok && string(got) != string(want) {
			t.Fatalf("%s: appendViewJSON =\n%s\nwant\n%s", name, got, want)
		}
		if b, err := marshalView(v); err != nil || string(b) != string(want) {
			t.Fatalf("%s: marshalView = %s, %v; want %s", name, b, err, want)
		}
		return ok
	}

	var full wire.EvidenceView
	if err := strictjson.FillPlain(reflect.ValueOf(&full).Elem()); err != nil {
		t.Fatal(err)
	}
	if !check("every field set", &full) {
		t.Fatal("appendViewJSON gave up on a view of plain strings")
	}
	if !check("no field set", &wire.EvidenceView{}) {
		t.Fatal("appendViewJSON gave up on the zero view")
	}
	at := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	upload := wire.EvidenceView{ID: "k2bzbpxd7a6p3qkaaaaaaaaaaa", Status: "timestamped", SHA256: "ab", Size: 4096,
		MediaType: "application/octet-stream", CreatedAt: at.Add(123456789), Owner: "org:key",
		Timestamp: wire.TokenInfo{TSA: "custos", Time: at.Add(120 * time.Millisecond), Serial: "1234", SHA256: "cd"}}
	upload.Timestamps = []wire.TokenInfo{upload.Timestamp, {TSA: "ext", URL: "https://tsa.example/x?a=1", Time: at, Serial: "9", SHA256: "ef"}}
	if !check("an upload's answer", &upload) {
		t.Fatal("appendViewJSON gave up on an upload's answer")
	}

	for _, s := range []string{"a\"b", `a\b`, "<script>", "a&b", "tab\t", "\x7f", "é", "\u2028", "\xff", ""} {
		v := upload
		v.Title = s
		if check("title "+s, &v) != (s == "") {
			t.Errorf("title %q: appendViewJSON did not give up where json.Marshal escapes", s)
		}
	}
	for _, tt := range []time.Time{at.In(time.FixedZone("", 8*3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		v := upload
		v.CapturedAt = &tt
		if _, ok := appendViewJSON(nil, &v); ok {
			t.Errorf("captured at %v: appendViewJSON did not give up", tt)
		}
		if tt.Year() == 2026 {
			check("captured at "+tt.String(), &v)
		} else if _, err := marshalView(&v); err == nil {
			t.Errorf("captured at %v: marshalView = nil error, want json.Marshal's", tt)
		}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	str, tm := strictjson.PlainSamples(rng)
	fast := 0
	for i := range 2000 {
		v := wire.EvidenceView{ID: str(), Status: str(), SHA256: str(), SM3: str(), Size: rng.Int64N(1 << 40), MediaType: str(),
			FileName: str(), Title: str(), Description: str(), CaseRef: str(), Matter: str(), Unlisted: rng.IntN(2) == 0,
			AnchoredHeight: rng.Int64N(3), CreatedAt: tm(), Owner: str(), OwnerOrgName: str(),
			Timestamp: wire.TokenInfo{TSA: str(), URL: str(), Time: tm(), Serial: str(), SHA256: str()}}
		if rng.IntN(2) == 0 {
			c := tm()
			v.CapturedAt = &c
		}
		for range rng.IntN(3) {
			v.Timestamps = append(v.Timestamps, wire.TokenInfo{TSA: str(), Time: tm(), Serial: str(), SHA256: str()})
		}
		if check("random view "+string(rune('0'+i%10)), &v) {
			fast++
		}
	}
	if fast < 1000 || fast == 2000 {
		t.Errorf("appendViewJSON wrote %d of 2,000 random views; want most, not all", fast)
	}
}
