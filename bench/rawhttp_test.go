package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
)

// rawPoster is the small-ingest load generator's HTTP/1.1 client: one
// keep-alive TCP connection, each POST written with a single write(2) from
// a buffer that holds the fixed request head followed by the body, and the
// reply's status line and headers read just far enough to find its length
// (Content-Length; a chunked reply is an error) and whether the server
// closes the connection. The status is checked as before.
//
// It replaces net/http's Transport for this one load because the load
// generator shares the machine's two cores with the server it measures.
// The Transport runs a reader and a writer goroutine per connection and
// builds a Request, its headers and a Response per call: about 76 µs of
// CPU per upload here, a fifth of what the server spends; with
// http.ReadResponse instead of this parser it was still about 40 µs. The
// server sees the same bytes on the wire either way (Host, Authorization,
// Content-Type, Content-Length, the body), and the baseline is driven by
// the same client.
type rawPoster struct {
	addr string
	buf  []byte // request head ‖ body
	head int    // len of the head: buf[head:] is the body
	conn net.Conn
	br   *bufio.Reader
	body []byte // the last reply's body
}

// newRawPoster prepares POSTs of size-byte bodies to rawURL.
func newRawPoster(rawURL, token string, size int) (*rawPoster, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("rawPoster: %s: only http", rawURL)
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	head += "Content-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	buf := make([]byte, len(head)+size)
	copy(buf, head)
	return &rawPoster{addr: u.Host, buf: buf, head: len(head)}, nil
}

// request is the next request's body, to be filled by the caller.
func (p *rawPoster) request() []byte { return p.buf[p.head:] }

// post sends the request, reads the whole reply and checks its status.
// A connection the server closed, or asked to close, is replaced.
func (p *rawPoster) post(want int) error {
	if p.conn == nil {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			return err
		}
		p.conn = c
		if p.br == nil {
			p.br = bufio.NewReaderSize(c, 4<<10)
		} else {
			p.br.Reset(c)
		}
	}
	if _, err := p.conn.Write(p.buf); err != nil {
		p.close()
		return err
	}
	status, body, closing, err := readReply(p.br, p.body[:0])
	p.body = body
	if err != nil || closing {
		p.close()
	}
	if err != nil {
		return fmt.Errorf("POST %s: %w", p.addr, err)
	}
	if status != want {
		return fmt.Errorf("POST %s = %d, want %d: %.300s", p.addr, status, want, body)
	}
	return nil
}

// readReply reads one HTTP/1.1 reply with a Content-Length body into
// body[:0]: its status code, its body, and whether the server will close
// the connection (Connection: close).
func readReply(br *bufio.Reader, body []byte) (status int, _ []byte, closing bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, body, true, err
	}
	// "HTTP/1.1 201 Created\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, body, true, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, body, true, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return status, body, true, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return status, body, true, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return status, body, true, fmt.Errorf("unsupported Transfer-Encoding %q", value)
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			closing = true
		}
	}
	if length < 0 {
		return status, body, true, errors.New("reply without Content-Length")
	}
	body = slices.Grow(body[:0], length)[:length]
	_, err = io.ReadFull(br, body)
	return status, body, closing, err
}

func (p *rawPoster) close() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}
