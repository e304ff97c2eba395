package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// defaultClient is the Client used when Config.Client is nil.
func defaultClient(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refusePrivate
	}
	t := &http.Transport{
		Proxy:                 nil, // a proxy would hide the address checked below
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: t,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a 3xx is a failed attempt
		},
	}
}

// refusePrivate is a net.Dialer Control: it runs after DNS resolution, on
// the address actually dialed (each one, when a name has several), so a
// name that resolves, or re-resolves between the URL check and the
// connection (DNS rebinding), to an internal address is refused too.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if why := notPublic(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s (%s)", ErrPrivateAddress, ap.Addr(), why)
	}
	return nil
}

// specialPurpose are the blocks of the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890, updated by RFC 8190 and the RFCs that
// register each block), with IPv4 multicast (RFC 5771), IPv6 multicast
// (RFC 4291 §2.7) and the deprecated IPv4-compatible and site-local IPv6
// blocks. No webhook may be delivered to an address in any of them.
// 64:ff9b::/96, the NAT64 well-known prefix, is not listed: it is judged by
// the IPv4 address it embeds (see notPublic).
var specialPurpose = []struct {
	prefix netip.Prefix
	name   string
}{
	// IPv4 (https://www.iana.org/assignments/iana-ipv4-special-registry).
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (RFC 791)`},
	{netip.MustParsePrefix("10.0.0.0/8"), "private-use (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (RFC 1122)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (RFC 3927)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private-use (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (RFC 6890)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation, TEST-NET-1 (RFC 5737)"},
	{netip.MustParsePrefix("192.31.196.0/24"), "AS112-v4 (RFC 7535)"},
	{netip.MustParsePrefix("192.52.193.0/24"), "AMT (RFC 7450)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "deprecated 6to4 relay anycast (RFC 7526)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private-use (RFC 1918)"},
	{netip.MustParsePrefix("192.175.48.0/24"), "direct delegation AS112 service (RFC 7534)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (RFC 2544)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation, TEST-NET-2 (RFC 5737)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation, TEST-NET-3 (RFC 5737)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast (RFC 5771)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (RFC 1112)"},
	{netip.MustParsePrefix("255.255.255.255/32"), "limited broadcast (RFC 8190)"},

	// IPv6 (https://www.iana.org/assignments/iana-ipv6-special-registry).
	{netip.MustParsePrefix("::1/128"), "loopback (RFC 4291)"},
	{netip.MustParsePrefix("::/128"), "unspecified (RFC 4291)"},
	{netip.MustParsePrefix("::/96"), "deprecated IPv4-compatible (RFC 4291 §2.5.5.1)"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped (RFC 4291)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use IPv4/IPv6 translation (RFC 8215)"},
	{netip.MustParsePrefix("100::/64"), "discard-only (RFC 6666)"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "dummy prefix (RFC 9780)"},
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments (RFC 2928), with Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation (RFC 3849)"},
	{netip.MustParsePrefix("2002::/16"), "6to4 (RFC 3056)"},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "direct delegation AS112 service (RFC 7534)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation (RFC 9637)"},
	{netip.MustParsePrefix("5f00::/16"), "segment routing SIDs (RFC 9602)"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local (RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (RFC 4291)"},
	{netip.MustParsePrefix("fec0::/10"), "deprecated site-local (RFC 3879)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast (RFC 4291)"},
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix
	sixToFour = netip.MustParsePrefix("2002::/16")    // RFC 3056 §2
	teredo    = netip.MustParsePrefix("2001::/32")    // RFC 4380 §4
	compat    = netip.MustParsePrefix("::/96")        // RFC 4291 §2.5.5.1
	// globalUnicast is the only IPv6 block IANA allocates from for global
	// unicast (IPv6 Address Space registry); the rest is reserved.
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// notPublic says why a is not an address a webhook may be delivered to,
// or returns "" when it is. An IPv6 address that embeds an IPv4 address
// (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) is judged by the
// IPv4 address too: one that embeds a non-public address is refused
// whatever its own block. An IPv4-mapped address is dialed as its IPv4
// address, and a NAT64 address (64:ff9b::/96) reaches the IPv4 address it
// embeds through the network's translator, so both are judged by it alone.
func notPublic(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is4In6() {
		a = a.Unmap()
	}
	for _, v4 := range embeddedIPv4(a) {
		if why := notPublic(v4); why != "" {
			return fmt.Sprintf("embeds %s, %s", v4, why)
		}
	}
	if a.Is6() && nat64.Contains(a) {
		return "" // its IPv4 address, checked above, is public
	}
	for _, s := range specialPurpose {
		if s.prefix.Contains(a) {
			return s.name
		}
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a.Is6() && !globalUnicast.Contains(a):
		return "reserved by the IETF (IPv6 address space registry)"
	case !a.IsGlobalUnicast():
		return "not global unicast"
	}
	return ""
}

// embeddedIPv4 returns the IPv4 addresses an IPv6 address carries: the
// last 32 bits of an IPv4-compatible (other than :: and ::1) or NAT64
// address (RFC 6052 §2.2, /96), bits 16-47 of a 6to4 address (RFC 3056
// §2), and a Teredo address's server (bits 32-63) and client (the last 32
// bits, inverted) (RFC 4380 §4).
func embeddedIPv4(a netip.Addr) []netip.Addr {
	if !a.Is6() {
		return nil
	}
	b := a.As16()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte(b[i : i+4])) }
	switch {
	case nat64.Contains(a):
		return []netip.Addr{v4(12)}
	case compat.Contains(a) && !a.IsLoopback() && !a.IsUnspecified():
		return []netip.Addr{v4(12)}
	case sixToFour.Contains(a):
		return []netip.Addr{v4(2)}
	case teredo.Contains(a):
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		return []netip.Addr{v4(4), netip.AddrFrom4(client)}
	}
	return nil
}
