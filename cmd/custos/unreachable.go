package main

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/evidence"
)

// How the CLI says that a server could not be reached, in the CLI's
// language, rather than Go's 'Get "http://…": dial tcp …: connect:
// connection refused'. A person at a court or a notary office should read
// which server was asked, why it did not answer, and where the address
// came from (--server, $CUSTOS_SERVER, the profile).

// unreachable is err put into the catalog's words if it is a request that
// reached no server (refused, no such host, timed out, or plain HTTP
// where https:// was asked for), that its server did not answer in time
// or whose transfer stalled (timeouts.go), or that ^C interrupted before
// its server answered, with exit status 1; else nil.
func unreachable(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return nil
	}
	server := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		server = u.Scheme + "://" + u.Host
	}
	var dns *net.DNSError
	var op *net.OpError
	var te *client.TimeoutError
	switch {
	case errors.Is(err, context.Canceled): // the commands' contexts end only on ^C
		return failure(1, "fail.interrupted", "server", server)
	case errors.As(err, &te): // the commands' timeouts (timeouts.go)
		return timedOut(server, te)
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure(1, "fail.unreachable", "server", server, "why", tr("why.refused"))
	case errors.As(err, &dns) && dns.IsNotFound:
		return failure(1, "fail.unreachable", "server", server, "why", tr("why.no-host"))
	case ue.Timeout():
		return failure(1, "fail.unreachable", "server", server, "why", tr("why.timeout"))
	case strings.Contains(ue.Err.Error(), "server gave HTTP response to HTTPS client"):
		return failure(1, "fail.unreachable", "server", server, "why", tr("why.not-https"))
	case errors.As(err, &op):
		return failure(1, "fail.unreachable", "server", server, "why", op.Err.Error())
	}
	return nil
}

// checkServerURL refuses a server address that is not an http:// or
// https:// URL with a host (such as "127.0.0.1:8080", which Go would
// otherwise report as 'first path segment in URL cannot contain colon'),
// as a usage error naming where the address came from.
func checkServerURL(server, from string) error {
	u, err := url.Parse(server)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	switch from {
	case "env":
		from = "$CUSTOS_SERVER"
	case "profile":
		from = tr("from.profile")
	default:
		from = "--server"
	}
	if err != nil && (strings.HasPrefix(server, "http://") || strings.HasPrefix(server, "https://")) {
		return usageError("usage.server-url-bad", "server", server, "from", from)
	}
	return usageError("usage.server-url", "server", server, "from", from)
}

// fileWhy is why a local file could not be read, in the CLI's language for
// the common cases (missing, not readable), else the error's own words.
func fileWhy(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return tr("why.no-file")
	case errors.Is(err, fs.ErrPermission):
		return tr("why.no-permission")
	case errors.Is(err, syscall.EISDIR):
		return tr("why.is-folder")
	case errors.Is(err, syscall.ENOTDIR):
		return tr("why.path-not-folder")
	}
	return err.Error()
}

// metadataWhy is why metadata the CLI read (a work's WORK.json) is not
// valid: each field with its message from the catalog, in the CLI's
// language, as the server would answer it ("title is required; type must
// be one of: …"), never the Go error's "evidence: invalid metadata: …";
// an error that names no field, in its own words.
func metadataWhy(err error) string {
	var me *evidence.MetadataError
	if !errors.As(err, &me) || len(me.Fields) == 0 {
		return err.Error()
	}
	parts := make([]string, len(me.Fields))
	for i, f := range me.Fields {
		msg := f.Message
		if m := f.Msg(); !m.IsZero() {
			msg = m.In(lang)
		}
		parts[i] = f.Field + " " + msg
	}
	if inChinese() {
		return strings.Join(parts, "；")
	}
	return strings.Join(parts, "; ")
}
