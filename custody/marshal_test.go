package custody

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"testing"
)

// refMarshal is the reference canonical encoding: encoding/json's.
func refMarshal(t testing.TB, e *Event) []byte {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(e); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pool := []string{"", "a", "text/plain", "org:abc", "<>&", "\"q\"", `back\slash`, "tab\there", "nl\n", "\x00\x01\x1f\x7f",
		"é", "\u2028\u2029", "\xff\xfe bad utf8", "😀", "\b\f\r", "a&b<c>d", "key:x:admin"}
	str := func() string {
		if rng.IntN(4) == 0 {
			b := make([]byte, rng.IntN(12))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			return string(b)
		}
		return pool[rng.IntN(len(pool))]
	}
	for i := 0; i < 20000; i++ {
		e := &Event{V: rng.IntN(3) - 1, Evidence: str(), Seq: rng.Uint32() >> rng.IntN(32), Type: str(), Time: str(), Actor: str(),
			Prev: str(), SHA256: str(), SM3: str(), Size: rng.Int64N(1<<40) - 5, MediaType: str(), Subject: str()}
		if rng.IntN(3) == 0 {
			e.Size = 0
		}
		if rng.IntN(2) == 0 {
			e.Reads, e.Since = rng.Int64N(1<<40)-5, str()
		}
		switch rng.IntN(3) {
		case 1:
			e.Tokens = []string{}
		case 2:
			for range 1 + rng.IntN(3) {
				e.Tokens = append(e.Tokens, str())
			}
		}
		got, err := e.marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := refMarshal(t, e); !bytes.Equal(got, want) {
			t.Fatalf("marshal(%#v)\n got %s\nwant %s", e, got, want)
		}
	}
}

func benchEvent() *Event {
	return &Event{V: EventVersion, Evidence: "abcdefghijklmnopqrstuvwxyz", Type: EventCreated, Time: "2026-11-21T15:04:05.123456789Z",
		Actor: "key:abcdefghijklmnopqrstuvwxyz", SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Size: 4096, MediaType: "application/octet-stream", Tokens: []string{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}
}

func BenchmarkEncode(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRef(b *testing.B) {
	e := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.check(); err != nil {
			b.Fatal(err)
		}
		refMarshal(b, e)
	}
}

func TestMatchersMatchRegexps(t *testing.T) {
	pairs := []struct {
		m  matcher
		re *regexp.Regexp
	}{
		{hex64, regexp.MustCompile(`^[0-9a-f]{64}$`)},
		{idRE, regexp.MustCompile(`^[a-z2-7]{26}$`)},
		{typeRE, regexp.MustCompile(`^[a-z][a-z_.]{0,31}$`)},
		{actorRE, regexp.MustCompile(`^[A-Za-z0-9:._@-]{1,128}$`)},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alpha := "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:._@-/ \n\xff"
	for i := 0; i < 200000; i++ {
		n := []int{0, 1, 25, 26, 27, 31, 32, 33, 63, 64, 65, 127, 128, 129}[rng.IntN(14)]
		b := make([]byte, n)
		narrow := rng.IntN(4) // mostly from one pattern's alphabet, so that matches occur
		for j := range b {
			switch narrow {
			case 0:
				b[j] = "0123456789abcdef"[rng.IntN(16)]
			case 1:
				b[j] = "abcdefghijklmnopqrstuvwxyz234567"[rng.IntN(32)]
			case 2:
				b[j] = "abcdefghijklmnopqrstuvwxyz_."[rng.IntN(28)]
			default:
				b[j] = alpha[rng.IntN(len(alpha))]
			}
			if rng.IntN(200) == 0 {
				b[j] = byte(rng.IntN(256))
			}
		}
		s := string(b)
		for k, p := range pairs {
			if got, want := p.m.MatchString(s), p.re.MatchString(s); got != want {
				t.Fatalf("pattern %d on %q: %v, want %v", k, s, got, want)
			}
		}
	}
}
