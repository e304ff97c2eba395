package webhooks

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestSpecialPurposeRanges: every block of the IANA IPv4 and IPv6
// special-purpose registries (and multicast) is refused at its first, a
// middle and its last address, and the public addresses just outside it
// are accepted. The two blocks that only spell an IPv4 address in IPv6
// (IPv4-mapped, NAT64) are judged by that IPv4 address instead.
func TestSpecialPurposeRanges(t *testing.T) {
	tests := []struct {
		prefix     string
		neighbours []string // public addresses beside the block
		byIPv4     bool     // an address is judged by the IPv4 address in its last 32 bits
	}{
		{"0.0.0.0/8", []string{"1.0.0.0"}, false},
		{"10.0.0.0/8", []string{"9.255.255.255", "11.0.0.0"}, false},
		{"100.64.0.0/10", []string{"100.63.255.255", "100.128.0.0"}, false},
		{"127.0.0.0/8", []string{"126.255.255.255", "128.0.0.0"}, false},
		{"169.254.0.0/16", []string{"169.253.255.255", "169.255.0.0"}, false},
		{"172.16.0.0/12", []string{"172.15.255.255", "172.32.0.0"}, false},
		{"192.0.0.0/24", []string{"191.255.255.255", "192.0.1.0"}, false},
		{"192.0.2.0/24", []string{"192.0.1.255", "192.0.3.0"}, false},
		{"192.31.196.0/24", []string{"192.31.195.255", "192.31.197.0"}, false},
		{"192.52.193.0/24", []string{"192.52.192.255", "192.52.194.0"}, false},
		{"192.88.99.0/24", []string{"192.88.98.255", "192.88.100.0"}, false},
		{"192.168.0.0/16", []string{"192.167.255.255", "192.169.0.0"}, false},
		{"192.175.48.0/24", []string{"192.175.47.255", "192.175.49.0"}, false},
		{"198.18.0.0/15", []string{"198.17.255.255", "198.20.0.0"}, false},
		{"198.51.100.0/24", []string{"198.51.99.255", "198.51.101.0"}, false},
		{"203.0.113.0/24", []string{"203.0.112.255", "203.0.114.0"}, false},
		{"224.0.0.0/4", []string{"223.255.255.255"}, false},
		{"240.0.0.0/4", nil, false},
		{"255.255.255.255/32", nil, false},

		{"::1/128", nil, false},
		{"::/128", nil, false},
		{"::/96", nil, false},
		{"::ffff:0:0/96", nil, true},
		{"64:ff9b::/96", nil, true},
		{"64:ff9b:1::/48", nil, false},
		{"100::/64", nil, false},
		{"100:0:0:1::/64", nil, false},
		{"2001::/23", []string{"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:200::"}, false},
		{"2001::/32", nil, false}, // Teredo
		{"2001:2::/48", nil, false},
		{"2001:10::/28", nil, false},
		{"2001:20::/28", nil, false},
		{"2001:db8::/32", []string{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"}, false},
		{"2002::/16", []string{"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2003::"}, false},
		{"2620:4f:8000::/48", []string{"2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "2620:4f:8001::"}, false},
		{"3fff::/20", []string{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::"}, false},
		{"5f00::/16", nil, false},
		{"fc00::/7", nil, false},
		{"fe80::/10", nil, false},
		{"fec0::/10", nil, false},
		{"ff00::/8", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			p := netip.MustParsePrefix(tt.prefix)
			for _, a := range []netip.Addr{p.Addr(), middle(p), last(p)} {
				want := false
				if tt.byIPv4 {
					b := a.As16()
					want = public(netip.AddrFrom4([4]byte(b[12:])))
				}
				if got := public(a); got != want {
					t.Errorf("public(%s) = %v, want %v (in %s)", a, got, want, p)
				}
			}
			for _, n := range tt.neighbours {
				a := netip.MustParseAddr(n)
				if p.Contains(a) {
					t.Fatalf("neighbour %s is inside %s", a, p)
				}
				if why := notPublic(a); why != "" {
					t.Errorf("notPublic(%s) = %q, want public (beside %s)", a, why, p)
				}
			}
		})
	}
}

// middle returns the address of p with its highest host bit set.
func middle(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	if p.Bits() < len(b)*8 {
		b[p.Bits()/8] |= 0x80 >> (p.Bits() % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// last returns the last address of p.
func last(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestEmbeddedIPv4: an IPv6 address that carries an IPv4 address is judged
// by it.
func TestEmbeddedIPv4(t *testing.T) {
	for _, tt := range []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"::ffff:8.8.8.8", true}, // dialed as 8.8.8.8
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.1.2.3", false},
		{"::ffff:169.254.169.254", false},
		{"::127.0.0.1", false}, // IPv4-compatible
		{"::10.0.0.1", false},
		{"::8.8.8.8", false},       // deprecated form, refused whatever it embeds
		{"64:ff9b::8.8.8.8", true}, // NAT64 of a public address
		{"64:ff9b::127.0.0.1", false},
		{"64:ff9b::10.0.0.1", false},
		{"64:ff9b::169.254.169.254", false},
		{"64:ff9b::192.168.1.1", false},
		{"64:ff9b::100.64.0.1", false},
		{"64:ff9b::255.255.255.255", false},
		{"64:ff9b:1::a00:1", false},
		{"2002:7f00:1::1", false},   // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::", false}, // 6to4 of 169.254.169.254
		{"2002:808:808::1", false},  // 6to4 is refused even of a public address
		// Teredo (RFC 4380 §4): server 65.54.227.120, client 192.0.2.45 (inverted).
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", false}, // client 127.0.0.1
		{"2001:0:7f00:1:8000:63bf:f7f7:f7f7", false},    // server 127.0.0.1
		{"fe80::1%eth0", false},
	} {
		if got := public(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("public(%s) = %v, want %v (%s)", tt.addr, got, tt.public, notPublic(netip.MustParseAddr(tt.addr)))
		}
	}
	for _, tt := range []struct{ addr, embeds string }{
		{"64:ff9b::7f00:1", "127.0.0.1"},
		{"2002:a00:1::", "10.0.0.1"},
		{"::a00:1", "10.0.0.1"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"},
	} {
		if why := notPublic(netip.MustParseAddr(tt.addr)); !strings.Contains(why, "embeds "+tt.embeds) {
			t.Errorf("notPublic(%s) = %q, want it to name the embedded %s", tt.addr, why, tt.embeds)
		}
	}
}

// TestRefusePrivateAtDialByName: the check runs on the address a name
// resolves to when connecting, not on the URL: a name that resolves to a
// loopback address (as a rebinding name would on its second resolution)
// is refused at dial time.
func TestRefusePrivateAtDialByName(t *testing.T) {
	rcv := newReceiver(t, 200)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rcv.URL, "http://"))
	url := "http://localhost:" + port + "/"
	_, err := defaultClient(false, time.Second).Post(url, "application/json", strings.NewReader("{}"))
	if !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("POST to %s without AllowPrivate = %v, want ErrPrivateAddress", url, err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
	resp, err := defaultClient(true, time.Second).Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("POST to %s with AllowPrivate = %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST with AllowPrivate = %d", resp.StatusCode)
	}
	resp.Body.Close()
}

// public reports whether a is a globally routable unicast address.
func public(a netip.Addr) bool { return notPublic(a) == "" }
