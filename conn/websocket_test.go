package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
)

// wsTestTimeout bounds every exchange of these tests; none of them waits for it unless it
// fails.
const wsTestTimeout = 10 * time.Second

func wsTestCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), wsTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustParseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// readProtoLine reads one NATS control line without its CRLF.
func readProtoLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a line: %v (got %q)", err, line)
	}
	return strings.TrimRight(line, "\r\n")
}

// readOpLine is readProtoLine skipping the INFO updates a server may send at any time (it
// sends one right after CONNECT).
func readOpLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	for {
		if l := readProtoLine(t, br); !strings.HasPrefix(l, "INFO ") {
			return l
		}
	}
}

func TestWebSocketNATSServer(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.WebSocket())
	nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, s.WebSocketURL()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.SetDeadline(time.Now().Add(wsTestTimeout)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)

	// The server sends INFO right after the 101: those bytes must not be lost.
	if info := readProtoLine(t, br); !strings.HasPrefix(info, "INFO {") || strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("first line %q, want INFO without tls_required", info)
	}
	if _, err := io.WriteString(nc, `CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}`+"\r\nPING\r\n"); err != nil {
		t.Fatal(err)
	}
	if l := readOpLine(t, br); l != "PONG" {
		t.Fatalf("got %q, want PONG", l)
	}

	if _, err := io.WriteString(nc, "SUB foo 1\r\nPUB foo 5\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	if l := readOpLine(t, br); l != "MSG foo 1 5" {
		t.Fatalf("got %q, want MSG foo 1 5", l)
	}
	if l := readOpLine(t, br); l != "hello" {
		t.Fatalf("payload %q, want hello", l)
	}

	// 200 KB each way: several frames from the client, whatever the server makes of it.
	big := make([]byte, 200*1024)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	werr := make(chan error, 1)
	go func() {
		_, err := fmt.Fprintf(nc, "PUB foo %d\r\n%s\r\nPING\r\n", len(big), big)
		werr <- err
	}()
	if l, want := readOpLine(t, br), fmt.Sprintf("MSG foo 1 %d", len(big)); l != want {
		t.Fatalf("got %q, want %q", l, want)
	}
	got := make([]byte, len(big)+2)
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:len(big)], big) || string(got[len(big):]) != "\r\n" {
		t.Fatal("large payload corrupted")
	}
	if l := readOpLine(t, br); l != "PONG" {
		t.Fatalf("got %q, want PONG", l)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
}

// fakeWS is one connection accepted by a scripted WebSocket server.
type fakeWS struct {
	t   *testing.T
	c   net.Conn
	br  *bufio.Reader
	req *http.Request
	key string
}

// startFakeWS listens on 127.0.0.1 (with TLS when cert is not nil), accepts one connection,
// reads its upgrade request and runs script on it. The test's cleanup waits for the script.
func startFakeWS(t *testing.T, cert *tls.Certificate, script func(f *fakeWS)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(wsTestTimeout))
		if cert != nil {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*cert}})
			if err := tc.Handshake(); err != nil {
				return // the client's error is what the test checks
			}
			c = tc
		}
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("fake server: reading the upgrade request: %v", err)
			return
		}
		script(&fakeWS{t: t, c: c, br: br, req: req, key: req.Header.Get("Sec-WebSocket-Key")})
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// accept answers the upgrade with 101 and the right accept key, followed by extra bytes
// in the same write.
func (f *fakeWS) accept(extra []byte) {
	f.t.Helper()
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + wsAcceptKey(f.key) + "\r\n\r\n"
	if _, err := f.c.Write(append([]byte(resp), extra...)); err != nil {
		f.t.Errorf("fake server: %v", err)
	}
}

// serverFrame encodes a frame as a server would send it; with mask set it is masked,
// which a server must not do.
func serverFrame(b0 byte, payload []byte, mask bool) []byte {
	var f []byte
	var m byte
	if mask {
		m = 0x80
	}
	switch l := len(payload); {
	case l <= 125:
		f = append(f, b0, m|byte(l))
	case l <= 0xffff:
		f = append(f, b0, m|126)
		f = binary.BigEndian.AppendUint16(f, uint16(l))
	default:
		f = append(f, b0, m|127)
		f = binary.BigEndian.AppendUint64(f, uint64(l))
	}
	if mask {
		key := [4]byte{0x11, 0x22, 0x33, 0x44}
		f = append(f, key[:]...)
		for i, c := range payload {
			f = append(f, c^key[i%4])
		}
		return f
	}
	return append(f, payload...)
}

// readFrame reads one client frame, checks that it is masked and returns it unmasked.
func (f *fakeWS) readFrame() (b0 byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(f.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 == 0 {
		return 0, nil, errors.New("client frame not masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(f.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(f.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var key [4]byte
	if _, err := io.ReadFull(f.br, key[:]); err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(f.br, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return h[0], payload, nil
}

// expectFrame reads a client frame and checks its first byte and payload.
func (f *fakeWS) expectFrame(b0 byte, payload string) {
	f.t.Helper()
	g0, gp, err := f.readFrame()
	if err != nil {
		f.t.Errorf("fake server: reading a client frame: %v", err)
		return
	}
	if g0 != b0 || string(gp) != payload {
		f.t.Errorf("fake server: client frame %#x %q, want %#x %q", g0, gp, b0, payload)
	}
}

func TestWebSocketFramesFakeServer(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789abcdef"), 200*1024/16)
	addr := startFakeWS(t, nil, func(f *fakeWS) {
		reqLine := f.req.Method + " " + f.req.RequestURI + " " + f.req.Proto
		k, _ := base64.StdEncoding.DecodeString(f.key)
		h := f.req.Header
		if reqLine != "GET /nats?x=1 HTTP/1.1" || h.Get("Sec-WebSocket-Version") != "13" || len(k) != 16 ||
			!strings.EqualFold(h.Get("Upgrade"), "websocket") || !strings.EqualFold(h.Get("Connection"), "Upgrade") ||
			f.req.Host != f.c.LocalAddr().String() || h.Get("Sec-WebSocket-Extensions") != "" {
			f.t.Errorf("fake server: upgrade request %q with header %v", reqLine, h)
		}

		// The 101 and the first fragment in one write: the client must not lose it.
		var out []byte
		out = append(out, serverFrame(0x01, []byte("hel"), false)...)         // text, not final
		out = append(out, serverFrame(0x89, []byte("p1"), false)...)          // PING between fragments
		out = append(out, serverFrame(0x00, []byte("lo "), false)...)         // continuation
		out = append(out, serverFrame(0x8A, []byte("unsolicited"), false)...) // PONG: ignored
		out = append(out, serverFrame(0x80, []byte("world"), false)...)       // final continuation
		out = append(out, serverFrame(0x82, nil, false)...)                   // empty binary frame
		out = append(out, serverFrame(0x82, bytes.Repeat([]byte("x"), 300), false)...)
		// A 64-bit length for a short payload is accepted.
		out = append(out, 0x82, 127, 0, 0, 0, 0, 0, 0, 0, 2, 'y', 'z')
		f.accept(out)
		f.expectFrame(0x8A, "p1") // the PONG echoes the PING's payload

		// What the client writes: one binary frame per small write, FIN set.
		f.expectFrame(0x82, "PING\r\n")
		var got []byte
		frames := 0
		for len(got) < len(big) {
			b0, p, err := f.readFrame()
			if err != nil {
				f.t.Errorf("fake server: %v", err)
				return
			}
			if b0 != 0x82 {
				f.t.Errorf("fake server: frame %#x, want a final binary frame", b0)
			}
			got = append(got, p...)
			frames++
		}
		if !bytes.Equal(got, big) || frames < 2 {
			f.t.Errorf("fake server: large write came in %d frames, intact %v", frames, bytes.Equal(got, big))
		}
		// A large message back, fragmented, with a PING in the middle.
		half := len(big) / 2
		out = serverFrame(0x02, big[:half], false)
		out = append(out, serverFrame(0x89, nil, false)...)
		out = append(out, serverFrame(0x80, big[half:], false)...)
		if _, err := f.c.Write(out); err != nil {
			f.t.Errorf("fake server: %v", err)
		}
		f.expectFrame(0x8A, "")

		// CLOSE with status 1001: the client echoes the code and reports io.EOF.
		if _, err := f.c.Write(serverFrame(0x88, []byte{0x03, 0xE9, 'b', 'y', 'e'}, false)); err != nil {
			f.t.Errorf("fake server: %v", err)
		}
		f.expectFrame(0x88, "\x03\xe9")
	})

	nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "ws://"+addr+"/nats?x=1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.SetDeadline(time.Now().Add(wsTestTimeout)); err != nil {
		t.Fatal(err)
	}
	want := "hello world" + strings.Repeat("x", 300) + "yz"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(nc, got); err != nil {
		t.Fatalf("read: %v (got %q)", err, got)
	}
	if string(got) != want {
		t.Fatalf("read %q, want %q", got, want)
	}
	if _, err := nc.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if n, err := nc.Write(big); err != nil || n != len(big) {
		t.Fatalf("large write: %d, %v", n, err)
	}
	gotBig := make([]byte, len(big))
	if _, err := io.ReadFull(nc, gotBig); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotBig, big) {
		t.Fatal("large fragmented message corrupted")
	}
	if n, err := nc.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("after CLOSE: Read = %d, %v; want io.EOF", n, err)
	}
	if _, err := nc.Read(make([]byte, 10)); err != io.EOF {
		t.Fatalf("second Read after CLOSE: %v; want io.EOF", err)
	}
	if _, err := nc.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after CLOSE: %v; want net.ErrClosed", err)
	}
	nc.Close()
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read after Close succeeded")
	}
}

func TestWebSocketUpgradeRejected(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, answer, want string
	}{
		{"wrong accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", "Sec-WebSocket-Accept"},
		{"refused", "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\norigin not allowed", "403 Forbidden"},
		{"not http", "INFO {}\r\n\r\n", "INFO {}"},
		{"no upgrade header", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", "Upgrade"},
		{"extension not asked", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", "permessage-deflate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startFakeWS(t, nil, func(f *fakeWS) {
				answer := tc.answer
				if strings.Contains(answer, "%s") {
					answer = fmt.Sprintf(answer, wsAcceptKey(f.key))
				}
				_, _ = io.WriteString(f.c, answer)
			})
			nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "ws://"+addr), nil)
			if err == nil {
				nc.Close()
				t.Fatal("dial succeeded")
			}
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q: want ErrProtocol mentioning %q", err, tc.want)
			}
		})
	}
}

func TestWebSocketBadServerFrames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"masked", serverFrame(0x82, []byte("hello"), true)},
		{"reserved bit", serverFrame(0x82|0x40, []byte("hello"), false)},
		{"unknown data opcode", serverFrame(0x83, []byte("hello"), false)},
		{"unknown control opcode", serverFrame(0x8B, nil, false)},
		{"continuation first", serverFrame(0x80, []byte("hello"), false)},
		{"data inside fragments", append(serverFrame(0x02, []byte("a"), false), serverFrame(0x82, []byte("b"), false)...)},
		{"fragmented control", serverFrame(0x09, nil, false)},
		{"long control", serverFrame(0x89, make([]byte, 126), false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startFakeWS(t, nil, func(f *fakeWS) { f.accept(tc.frame) })
			nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "ws://"+addr), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(wsTestTimeout))
			b, err := io.ReadAll(nc)
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("Read: %q, %v; want ErrProtocol", b, err)
			}
			if _, err2 := nc.Read(make([]byte, 1)); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("the error is not sticky: %v", err2)
			}
		})
	}
}

func TestWebSocketTruncated(t *testing.T) {
	t.Parallel()
	// The server goes away in the middle of a frame.
	addr := startFakeWS(t, nil, func(f *fakeWS) { f.accept(serverFrame(0x82, []byte("hello"), false)[:4]) })
	nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "ws://"+addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(wsTestTimeout))
	if b, err := io.ReadAll(nc); err != io.ErrUnexpectedEOF || string(b) != "he" {
		t.Fatalf("Read: %q, %v; want \"he\" and io.ErrUnexpectedEOF", b, err)
	}
}

func TestWebSocketReadDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	addr := startFakeWS(t, nil, func(f *fakeWS) {
		// Half a header, then the rest once the client's Read timed out.
		frame := serverFrame(0x82, bytes.Repeat([]byte("z"), 200), false)
		f.accept(frame[:1])
		<-release
		_, _ = f.c.Write(frame[1:])
		f.expectFrame(0x88, "\x03\xe8") // Close sends status 1000
	})
	nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "ws://"+addr), nil)
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now()) // already passed: the Read times out at once
	_, err = nc.Read(make([]byte, 10))
	close(release)
	if !isTimeout(err) {
		t.Fatalf("Read: %v; want a timeout", err)
	}
	// The stream survived the timeout.
	_ = nc.SetReadDeadline(time.Now().Add(wsTestTimeout))
	got := make([]byte, 200)
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != strings.Repeat("z", 200) {
		t.Fatalf("after the timeout: %q, %v", got, err)
	}
}

func TestWebSocketDialContextCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(wsTestCtx(t))
	defer cancel()
	// The server reads the request and never answers; the ctx ends meanwhile.
	addr := startFakeWS(t, nil, func(f *fakeWS) {
		cancel()
		_, _ = f.br.ReadByte() // until the client closes
	})
	nc, err := dialWebSocket(ctx, &net.Dialer{}, mustParseURL(t, "ws://"+addr), nil)
	if err == nil {
		nc.Close()
		t.Fatal("dial succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v; want context.Canceled", err)
	}
}

func TestWebSocketTLS(t *testing.T) {
	t.Parallel()
	ca := natstest.NewCA(t)
	cert := ca.ServerCert()

	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		addr := startFakeWS(t, &cert, func(f *fakeWS) {
			f.accept(serverFrame(0x82, []byte("INFO {}\r\n"), false))
			f.expectFrame(0x82, "PING\r\n")
			_, _ = f.c.Write(serverFrame(0x88, nil, false))
			f.expectFrame(0x88, "")
		})
		// No ServerName: it defaults to the URL's host, 127.0.0.1, which the certificate covers.
		cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
		nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "wss://"+addr), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if cfg.ServerName != "" {
			t.Error("the caller's tls.Config was changed")
		}
		_ = nc.SetDeadline(time.Now().Add(wsTestTimeout))
		br := bufio.NewReader(nc)
		if l := readProtoLine(t, br); l != "INFO {}" {
			t.Fatalf("got %q", l)
		}
		if _, err := io.WriteString(nc, "PING\r\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Fatalf("after CLOSE: %v; want io.EOF", err)
		}
	})

	t.Run("untrusted", func(t *testing.T) {
		t.Parallel()
		addr := startFakeWS(t, &cert, func(f *fakeWS) { t.Error("the upgrade went through") })
		nc, err := dialWebSocket(wsTestCtx(t), &net.Dialer{}, mustParseURL(t, "wss://"+addr), nil)
		if err == nil {
			nc.Close()
			t.Fatal("dial succeeded")
		}
		if !errors.Is(err, ErrTLS) {
			t.Fatalf("error %v; want ErrTLS", err)
		}
	})
}

func TestWebSocketBadURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"nats://127.0.0.1:4222", "ws://:80"} {
		if _, err := dialWebSocket(t.Context(), nil, mustParseURL(t, raw), nil); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: %v; want ErrInvalidOption", raw, err)
		}
	}
}

func TestWebSocketMask(t *testing.T) {
	t.Parallel()
	key := uint32(0x44332211) // wire order 11 22 33 44
	for n := range 20 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		wsMask(key, b)
		for i := range b {
			if want := byte(i*7) ^ []byte{0x11, 0x22, 0x33, 0x44}[i%4]; b[i] != want {
				t.Fatalf("len %d: byte %d = %#x, want %#x", n, i, b[i], want)
			}
		}
	}
}
