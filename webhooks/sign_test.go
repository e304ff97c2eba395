package webhooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I"
	body := []byte(`{"id":"d","type":"evidence.timestamped"}`)
	at := time.Unix(1_800_000_000, 0)
	good := Sign(secret, at, body)
	other := Sign("another secret", at, body)
	v1 := good[strings.Index(good, "v1="):]
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, good, body, at, nil},
		{"valid, receiver clock 4m ahead", secret, good, body, at.Add(4 * time.Minute), nil},
		{"valid, receiver clock 4m behind", secret, good, body, at.Add(-4 * time.Minute), nil},
		{"valid among several v1", secret, "t=1800000000," + other[strings.Index(other, "v1="):] + "," + v1, body, at, nil},
		{"unknown scheme ignored", secret, good + ",v9=zz", body, at, nil},
		{"tampered body", secret, good, []byte(`{"id":"d","type":"evidence.anchored"}`), at, ErrSignature},
		{"wrong secret", "not the secret", good, body, at, ErrSignature},
		{"replayed after tolerance", secret, good, body, at.Add(5*time.Minute + time.Second), ErrTimestamp},
		{"from the future", secret, good, body, at.Add(-6 * time.Minute), ErrTimestamp},
		{"time changed", secret, strings.Replace(good, "t=1800000000", "t=1800000001", 1), body, at, ErrSignature},
		{"empty", secret, "", body, at, ErrSignatureHeader},
		{"no v1", secret, "t=1800000000", body, at, ErrSignatureHeader},
		{"no t", secret, v1, body, at, ErrSignatureHeader},
		{"two t", secret, "t=1800000000," + good, body, at, ErrSignatureHeader},
		{"negative t", secret, "t=-1," + v1, body, at, ErrSignatureHeader},
		{"short v1", secret, "t=1800000000,v1=abcd", body, at, ErrSignatureHeader},
		{"uppercase v1", secret, "t=1800000000," + strings.ToUpper(v1[:2]) + v1[2:], body, at, ErrSignatureHeader},
		{"no equals", secret, good + ",junk", body, at, ErrSignatureHeader},
		{"huge", secret, good + strings.Repeat(",v9=x", 1000), body, at, ErrSignatureHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify(%q) = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

func TestVerifyDefaultTolerance(t *testing.T) {
	body := []byte("{}")
	at := time.Unix(1_800_000_000, 0)
	h := Sign("s", at, body)
	if err := Verify("s", h, body, at.Add(DefaultTolerance), 0); err != nil {
		t.Errorf("Verify at +DefaultTolerance, tolerance 0 = %v, want nil", err)
	}
	if err := Verify("s", h, body, at.Add(DefaultTolerance+time.Second), 0); !errors.Is(err, ErrTimestamp) {
		t.Errorf("Verify past DefaultTolerance, tolerance 0 = %v, want ErrTimestamp", err)
	}
}

// FuzzVerify: any header parses or fails cleanly, and a header that
// verifies for one body verifies for no other.
func FuzzVerify(f *testing.F) {
	at := time.Unix(1_800_000_000, 0)
	f.Add(Sign("s", at, []byte("a")), []byte("a"))
	f.Add("t=1800000000,v1=00", []byte(""))
	f.Add("t=,v1=", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify("s", header, body, at, time.Minute)
		if err == nil {
			if err := Verify("s", header, append(body, 'x'), at, time.Minute); err == nil {
				t.Fatalf("header %q verifies two bodies", header)
			}
		}
	})
}
