package natstest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// wsConn is a minimal websocket client: the upgrade, masked binary frames out, and
// unmasked frames in.
type wsConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialWS(t *testing.T, wsURL string) *wsConn {
	t.Helper()
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET / HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return &wsConn{t: t, conn: c, r: r}
}

// read returns the payload of the next frame.
func (w *wsConn) read() string {
	w.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(w.r, h[:]); err != nil {
		w.t.Fatal(err)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(w.r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(w.r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(w.r, p); err != nil {
		w.t.Fatal(err)
	}
	return string(p)
}

// write sends p as one masked binary frame (len(p) < 126).
func (w *wsConn) write(p string) {
	w.t.Helper()
	mask := [4]byte{1, 2, 3, 4}
	f := []byte{0x82, 0x80 | byte(len(p))}
	f = append(f, mask[:]...)
	for i := range len(p) {
		f = append(f, p[i]^mask[i%4])
	}
	if _, err := w.conn.Write(f); err != nil {
		w.t.Fatal(err)
	}
}

func TestWebSocket(t *testing.T) {
	t.Parallel()
	s := Start(t, WebSocket(), JetStream())
	wsURL := s.WebSocketURL()
	if !strings.HasPrefix(wsURL, "ws://127.0.0.1:") || wsURL == "ws://"+s.Addr() {
		t.Fatalf("WebSocketURL %q (client %s)", wsURL, s.Addr())
	}
	w := dialWS(t, wsURL)
	if info := w.read(); !strings.HasPrefix(info, "INFO ") {
		t.Fatalf("first frame %q", info)
	}
	w.write("CONNECT {\"verbose\":false}\r\nPING\r\n")
	if got := w.read(); got != "PONG\r\n" {
		t.Fatalf("got %q, want PONG", got)
	}

	s.Restart(t)
	if s.WebSocketURL() != wsURL {
		t.Fatalf("Restart moved the websocket listener: %q -> %q", wsURL, s.WebSocketURL())
	}
	w = dialWS(t, wsURL)
	w.read()
	w.write("CONNECT {\"verbose\":false}\r\nPING\r\n")
	if got := w.read(); got != "PONG\r\n" {
		t.Fatalf("after Restart got %q, want PONG", got)
	}
}
