package client

import (
	"crypto/tls"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// unsent returns a function that tells how many bytes written to conn its
// peer has not yet acknowledged (Linux's SIOCOUTQ), or nil where conn
// has no socket to ask.
func unsent(conn net.Conn) func() (int, bool) {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return func() (int, bool) {
		var n int
		var qerr error
		if err := rc.Control(func(fd uintptr) { n, qerr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil || qerr != nil {
			return 0, false
		}
		return n, true
	}
}
