package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"syscall"
	"testing"
)

// TestReason checks that each kind of failure maps to its reason from the
// fixed vocabulary, whatever addresses its error text names.
func TestReason(t *testing.T) {
	dial := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://hooks.example.com/x", Err: &net.OpError{Op: "dial", Net: "tcp",
			Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 443}, Err: err}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"private address", dial(fmt.Errorf("%w: 10.1.2.3", ErrPrivateAddress)), ReasonNotAllowed},
		{"refused", dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), ReasonRefused},
		{"reset", dial(os.NewSyscallError("read", syscall.ECONNRESET)), ReasonReset},
		{"closed", &url.Error{Op: "Post", URL: "x", Err: io.EOF}, ReasonReset},
		{"deadline", &url.Error{Op: "Post", URL: "x", Err: context.DeadlineExceeded}, ReasonTimeout},
		{"dns", dial(&net.DNSError{Err: "no such host", Name: "hooks.example.com", Server: "10.0.0.53:53", IsNotFound: true}), ReasonDNS},
		{"dns timeout", dial(&net.DNSError{Err: "i/o timeout", Name: "hooks.example.com", Server: "10.0.0.53:53", IsTimeout: true}), ReasonTimeout},
		{"tls alert", dial(tls.AlertError(40)), ReasonTLS},
		{"unknown CA", &url.Error{Op: "Post", URL: "x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, ReasonTLS},
		{"hostname", &url.Error{Op: "Post", URL: "x", Err: x509.HostnameError{Host: "10.1.2.3"}}, ReasonTLS},
		{"other", dial(errors.New("something odd at 10.1.2.3")), ReasonNetwork},
	} {
		if got := reason(tc.err); got != tc.want || !slices.Contains(Reasons, got) {
			t.Errorf("%s: reason(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}
