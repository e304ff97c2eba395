package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request headers of a delivery.
const (
	HeaderWebhookID  = "Custos-Webhook-Id"
	HeaderDeliveryID = "Custos-Delivery-Id"
	HeaderEvent      = "Custos-Event"
	HeaderSignature  = "Custos-Signature"
)

// DefaultTolerance is how far a signature's time may be from the receiver's
// clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// maxSignatureHeader bounds the header Verify parses.
const maxSignatureHeader = 4096

// Sign returns the Custos-Signature header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". The HMAC
// key is the secret string's bytes, exactly as shown at creation.
func Sign(secret string, t time.Time, body []byte) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(mac(secret, t.Unix(), body))
}

func mac(secret string, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(strconv.AppendInt(nil, t, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks that header, a delivery's Custos-Signature, signs body with
// secret, and that it was made within tolerance of now (DefaultTolerance if
// tolerance is not positive), so that a captured request cannot be replayed
// later. body must be the request body exactly as received, before any
// JSON decoding.
//
// The header may hold several v1 signatures (any one matching suffices) and
// schemes other than v1, which are ignored. Signatures are compared in
// constant time. The error wraps ErrSignatureHeader, ErrSignature or
// ErrTimestamp. A receiver should also drop Custos-Delivery-Id values it
// has already processed: delivery is at least once.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	t, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	if err := checkMAC(secret, t, body, sigs); err != nil {
		return err
	}
	return checkTime(t, now, tolerance)
}

// parseSignature splits "t=<unix>,v1=<hex>[,v1=<hex>...]". Exactly one t;
// at least one v1 of 64 lowercase hex digits; other schemes are skipped.
func parseSignature(header string) (t int64, sigs [][]byte, err error) {
	if len(header) > maxSignatureHeader {
		return 0, nil, fmt.Errorf("%w: longer than %d bytes", ErrSignatureHeader, maxSignatureHeader)
	}
	seenT := false
	for item := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		switch {
		case !ok:
			return 0, nil, fmt.Errorf("%w: item %q is not key=value", ErrSignatureHeader, item)
		case k == "t":
			if seenT {
				return 0, nil, fmt.Errorf("%w: more than one t", ErrSignatureHeader)
			}
			seenT = true
			if t, err = parseUnix(v); err != nil {
				return 0, nil, err
			}
		case k == "v1":
			s, err := hex.DecodeString(v)
			if err != nil || len(s) != sha256.Size || v != strings.ToLower(v) {
				return 0, nil, fmt.Errorf("%w: v1 is not 64 lowercase hex digits", ErrSignatureHeader)
			}
			sigs = append(sigs, s)
		}
	}
	if !seenT || len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%w: want t and at least one v1", ErrSignatureHeader)
	}
	return t, sigs, nil
}

func parseUnix(v string) (int64, error) {
	if v == "" || len(v) > 12 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%w: t %q is not unix seconds", ErrSignatureHeader, v)
	}
	return strconv.ParseInt(v, 10, 64)
}

// checkMAC compares every signature, in constant time, with the expected one.
func checkMAC(secret string, t int64, body []byte, sigs [][]byte) error {
	want := mac(secret, t, body)
	match := 0
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			match = 1
		}
	}
	if match == 0 {
		return ErrSignature
	}
	return nil
}

func checkTime(t int64, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	signed := time.Unix(t, 0)
	if d := now.Sub(signed); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)", ErrTimestamp,
			signed.UTC().Format(time.RFC3339), d.Round(time.Second), tolerance)
	}
	return nil
}
