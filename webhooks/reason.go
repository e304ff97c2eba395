package webhooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// Reasons a failed attempt gives the organization (Attempt.Reason), beside
// "HTTP <status>" for an answer other than 2xx. They say what to fix on
// the receiving side and nothing about the node's network: no address, no
// resolver, no error text.
const (
	ReasonNotAllowed = "address not allowed" // the URL's name resolved to a non-public address
	ReasonTimeout    = "timeout"             // no answer within Config.Timeout
	ReasonRefused    = "connection refused"
	ReasonReset      = "connection closed" // the receiver closed the connection before answering
	ReasonDNS        = "name not resolved"
	ReasonTLS        = "TLS error" // handshake or certificate
	ReasonNetwork    = "network error"
	// ReasonBacklog: the delivery was never attempted, the organization
	// had MaxPending deliveries pending already (see MaxPending).
	ReasonBacklog = "backlog full"
	// ReasonSecret: the delivery was never attempted, the webhook's
	// sealed secret did not open (tampered with in the node's database);
	// it is failed at once. The organization re-creates the webhook.
	ReasonSecret = "secret unreadable"
	// ReasonSealKey: the delivery was not attempted, the node's seal key
	// did not answer (its PKCS#11 token unreachable: it opens not even the
	// check value); it is retried like an attempt without an answer.
	ReasonSealKey = "seal key unavailable"
	// ReasonPaused: the delivery was not attempted, its webhook is paused
	// (the key that registered or adopted it is revoked, expired or
	// gone, see Config.CreatorActive); it stays pending, without a next
	// attempt, until a key of the organization adopts the webhook
	// (Adopt). It does not count toward Config.MaxAttempts.
	ReasonPaused = "paused: creator key inactive"
)

// Reasons lists the reasons of an attempt without an answer, and of a
// delivery not attempted.
var Reasons = []string{ReasonNotAllowed, ReasonTimeout, ReasonRefused, ReasonReset, ReasonDNS, ReasonTLS, ReasonNetwork, ReasonBacklog, ReasonSecret, ReasonSealKey, ReasonPaused}

// reason maps the error of an attempt without an answer to its Reason.
func reason(err error) string {
	var (
		netErr   net.Error
		dnsErr   *net.DNSError
		alert    tls.AlertError
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return ReasonNotAllowed
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ReasonReset
	case errors.As(err, &dnsErr):
		return ReasonDNS
	case errors.As(err, &alert), errors.As(err, &record), errors.As(err, &verify),
		errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return ReasonTLS
	}
	return ReasonNetwork
}
