package strictjson

import (
	"encoding/json"
	"testing"
	"time"
)

// Plain writes what json.Marshal writes, or says it cannot.
func TestPlain(t *testing.T) {
	utc := time.Date(2026, 12, 6, 8, 30, 0, 123456789, time.UTC)
	for _, c := range []struct {
		name string
		s    string
		t    time.Time
		ok   bool
	}{
		{"plain", "01JD4M3Q8YV6ZK2N5T7R9XWB0C", utc, true},
		{"quote", `a"b`, utc, false},
		{"html", "a<b", utc, false},
		{"non-ASCII", "杭州", utc, false},
		{"control", "a\nb", utc, false},
		{"zone", "x", utc.In(time.FixedZone("CST", 8*3600)), false},
		{"year 10000", "x", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := NewPlain(nil)
			w.String(`{"s":`, c.s)
			w.Time(`,"t":`, c.t)
			w.Int(`,"n":`, -42)
			w.Bool(`,"b":`, true)
			w.Raw("}")
			if w.OK != c.ok {
				t.Fatalf("OK = %v, want %v (%s)", w.OK, c.ok, w.B)
			}
			if !c.ok {
				return
			}
			want, err := json.Marshal(struct {
				S string    `json:"s"`
				T time.Time `json:"t"`
				N int64     `json:"n"`
				B bool      `json:"b"`
			}{c.s, c.t, -42, true})
			if err != nil {
				t.Fatal(err)
			}
			if string(w.B) != string(want) {
				t.Errorf("Plain wrote %s, want %s", w.B, want)
			}
		})
	}
}
