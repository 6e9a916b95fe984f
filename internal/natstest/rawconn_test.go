package natstest

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawConn speaks the NATS client protocol over a plain socket, just enough to check
// what a server accepts.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	info map[string]any
}

// dialRaw connects to addr and reads the server's INFO.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	rc := dialTCP(t, addr)
	rc.readInfo()
	return rc
}

// dialTCP connects to addr and reads nothing; the socket is closed at cleanup.
func dialTCP(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, conn: c, r: bufio.NewReader(c)}
}

// dialTLS connects to addr, reads INFO in plain text, then upgrades to TLS; with
// handshakeFirst the TLS handshake comes before INFO.
func dialTLS(t testing.TB, addr string, cfg *tls.Config, handshakeFirst bool) (*rawConn, error) {
	t.Helper()
	rc := dialTCP(t, addr)
	if !handshakeFirst {
		rc.readInfo()
	}
	tc := tls.Client(rc.conn, cfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	rc.conn, rc.r = tc, bufio.NewReader(tc)
	if handshakeFirst {
		rc.readInfo()
	}
	return rc, nil
}

// mustDialTLS is dialTLS, failing the test if the handshake fails.
func mustDialTLS(t testing.TB, addr string, cfg *tls.Config, handshakeFirst bool) *rawConn {
	t.Helper()
	rc, err := dialTLS(t, addr, cfg, handshakeFirst)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	return rc
}

func (rc *rawConn) readInfo() {
	rc.t.Helper()
	line := rc.line()
	js, ok := strings.CutPrefix(line, "INFO ")
	if !ok {
		rc.t.Fatalf("want INFO, got %q", line)
	}
	rc.info = map[string]any{}
	if err := json.Unmarshal([]byte(js), &rc.info); err != nil {
		rc.t.Fatalf("INFO %q: %v", js, err)
	}
}

// line reads one protocol line without its CRLF. An error (EOF after the server closed
// the connection) is returned as a line starting with "read error".
func (rc *rawConn) line() string {
	rc.t.Helper()
	rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := rc.r.ReadString('\n')
	if err != nil {
		return "read error: " + err.Error()
	}
	return strings.TrimRight(s, "\r\n")
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	rc.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := rc.conn.Write([]byte(s)); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// connect sends CONNECT with the given fields and PING, and returns the server's
// answer: "PONG" or an -ERR line.
func (rc *rawConn) connect(fields map[string]any) string {
	rc.t.Helper()
	m := map[string]any{"verbose": false, "pedantic": false, "protocol": 1, "lang": "go", "version": "test", "headers": true}
	for k, v := range fields {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.send("CONNECT " + string(b) + "\r\nPING\r\n")
	return rc.next()
}

// next returns the next line that is not an asynchronous INFO or a server PING (which
// it answers).
func (rc *rawConn) next() string {
	rc.t.Helper()
	for {
		l := rc.line()
		switch {
		case strings.HasPrefix(l, "INFO "):
		case l == "PING":
			rc.send("PONG\r\n")
		default:
			return l
		}
	}
}

// mustConnect does connect and fails the test unless the answer is PONG.
func (rc *rawConn) mustConnect(fields map[string]any) {
	rc.t.Helper()
	if got := rc.connect(fields); got != "PONG" {
		rc.t.Fatalf("CONNECT: got %q, want PONG", got)
	}
}

const authViolation = "-ERR 'Authorization Violation'"

// request publishes data to subject with a reply subject and returns the payload of the
// first reply (the connection must be connected).
func (rc *rawConn) request(subject, data string) string {
	rc.t.Helper()
	inbox := "_INBOX.natstest" + strings.ReplaceAll(subject, ".", "_")
	rc.send("SUB " + inbox + " 1\r\nPUB " + subject + " " + inbox + " " + strconv.Itoa(len(data)) + "\r\n" + data + "\r\n")
	l := rc.next()
	if !strings.HasPrefix(l, "MSG ") {
		rc.t.Fatalf("request %s: got %q", subject, l)
	}
	f := strings.Fields(l)
	n, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		rc.t.Fatalf("bad %q", l)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(rc.r, buf); err != nil {
		rc.t.Fatalf("reading payload: %v", err)
	}
	return string(buf[:n])
}

// waitLDM reads until an INFO announcing lame duck mode, failing the test if the
// connection ends first.
func (rc *rawConn) waitLDM() {
	rc.t.Helper()
	for {
		l := rc.line()
		if strings.HasPrefix(l, "INFO ") && strings.Contains(l, `"ldm":true`) {
			return
		}
		if strings.HasPrefix(l, "read error") {
			rc.t.Fatalf("connection ended before an ldm INFO: %s", l)
		}
	}
}
