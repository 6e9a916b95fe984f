package conn

// WebSocket transport (RFC 6455) for ws:// and wss:// server URLs, for clients behind HTTP
// proxies. dial opens the link with dialWebSocket instead of a TCP dial and skips the
// NATS-level TLS upgrade: over wss the TLS runs below the WebSocket (nats-server's INFO on a
// websocket link says tls_required exactly when its websocket listener uses TLS, which must
// not start a second handshake). The connect_urls of an INFO received over a websocket are
// websocket listener addresses and join the pool with the link's scheme. The returned
// net.Conn is a plain byte stream: the handshake, the reader and the writer use it unchanged.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WebSocket opcodes and header bits (RFC 6455, section 5.2).
const (
	wsOpContinuation = 0x0
	wsOpText         = 0x1
	wsOpBinary       = 0x2
	wsOpClose        = 0x8
	wsOpPing         = 0x9
	wsOpPong         = 0xA

	wsFinBit  = 0x80
	wsRsvBits = 0x70
	wsMaskBit = 0x80

	wsMaxControlPayload = 125
	wsMaxHeader         = 14 // 2 + 8 (length) + 4 (mask key)

	// wsMaxFramePayload bounds the payload of one outgoing frame; larger writes are sent as
	// several complete binary frames, so the masking buffer stays bounded.
	wsMaxFramePayload = 64 * 1024
	// wsReadBufSize is the size of the buffered reader frame headers are parsed from. Payload
	// reads at least this large bypass it and land in the caller's buffer directly.
	wsReadBufSize = 32 * 1024
	// wsCloseTimeout bounds the best-effort close frame sent by Close.
	wsCloseTimeout = 100 * time.Millisecond

	wsCloseNormal = 1000
	wsGUID        = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
)

// errWSClosed is the error of a Write after the close handshake started.
var errWSClosed = fmt.Errorf("websocket closed: %w", net.ErrClosed)

// dialWebSocket opens a WebSocket connection to u (scheme "ws" or "wss"; a missing port is 80
// or 443; the path is u's path or "/"). It dials with d (a *net.Dialer when nil), performs the
// TLS handshake for "wss" (with a clone of tlsCfg, ServerName defaulting to u.Hostname()),
// then the HTTP/1.1 upgrade, and checks the 101 answer and its Sec-WebSocket-Accept. ctx
// bounds the dial and the whole handshake; it has no effect on the returned connection, whose
// deadlines are cleared.
//
// The returned net.Conn is a byte stream over WebSocket frames: each Write goes out as one or
// more complete binary frames masked with fresh random keys; Read returns the payloads of
// binary and text frames in order, answers PINGs, skips PONGs and returns io.EOF once the
// server sent a CLOSE (which is echoed). Deadlines are those of the underlying connection.
//
// A failed upgrade returns an error wrapping ErrProtocol that quotes the server's answer;
// a TLS failure wraps ErrTLS. The socket is closed on every failure.
func dialWebSocket(ctx context.Context, d Dialer, u *url.URL, tlsCfg *tls.Config) (_ net.Conn, err error) {
	var secure bool
	var port string
	switch u.Scheme {
	case "ws":
		port = "80"
	case "wss":
		port, secure = "443", true
	default:
		return nil, fmt.Errorf("%w: websocket URL %q: scheme %q is not ws or wss", ErrInvalidOption, u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: websocket URL %q has no host", ErrInvalidOption, u.Redacted())
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	if d == nil {
		d = &net.Dialer{}
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			nc.Close()
			if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
				err = fmt.Errorf("%w (%w)", err, cerr)
			}
		}
	}()
	// A cancelled ctx interrupts any read or write of the handshake.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}

	if secure {
		var cfg *tls.Config
		if tlsCfg != nil {
			cfg = tlsCfg.Clone()
		} else {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			stop()
			return nil, fmt.Errorf("%w: websocket handshake with %s: %w", ErrTLS, addr, err)
		}
		nc = tc
	}

	br, err := wsUpgrade(nc, u, addr)
	if !stop() {
		// ctx ended: the deadline may have been set at any point; the link is unusable.
		if err == nil {
			err = fmt.Errorf("websocket handshake with %s: %w", addr, context.Cause(ctx))
		}
	}
	if err != nil {
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	var seed [32]byte
	_, _ = rand.Read(seed[:])
	return &wsConn{nc: nc, br: br, rng: mrand.NewChaCha8(seed)}, nil
}

// wsUpgrade sends the upgrade request over nc and reads and checks the answer. It returns the
// buffered reader that read the answer: it may already hold the first frames.
func wsUpgrade(nc net.Conn, u *url.URL, addr string) (*bufio.Reader, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var sb strings.Builder
	sb.WriteString("GET ")
	sb.WriteString(u.RequestURI()) // "/" when the path is empty
	sb.WriteString(" HTTP/1.1\r\nHost: ")
	sb.WriteString(u.Host)
	sb.WriteString("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ")
	sb.WriteString(key)
	sb.WriteString("\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if _, err := io.WriteString(nc, sb.String()); err != nil {
		return nil, fmt.Errorf("websocket upgrade request to %s: %w", addr, err)
	}

	br := bufio.NewReaderSize(nc, wsReadBufSize)
	tp := textproto.NewReader(br)
	status, err := tp.ReadLine()
	if err != nil {
		return nil, fmt.Errorf("websocket upgrade with %s: reading the answer: %w", addr, err)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("%w: websocket upgrade with %s: bad answer %.80q: %w", ErrProtocol, addr, status, err)
	}
	httpVer, code, _ := strings.Cut(status, " ")
	code, _, _ = strings.Cut(code, " ")
	if !strings.HasPrefix(httpVer, "HTTP/1.") || code != "101" {
		body := ""
		if n, err := strconv.Atoi(hdr.Get("Content-Length")); err == nil && n > 0 {
			b := make([]byte, min(n, 256))
			if m, _ := io.ReadFull(br, b); m > 0 {
				body = ": " + strings.TrimSpace(string(b[:m]))
			}
		}
		return nil, fmt.Errorf("%w: websocket upgrade refused by %s: server answered %.80q%.200s", ErrProtocol, addr, status, body)
	}
	if !wsHeaderHas(hdr, "Upgrade", "websocket") || !wsHeaderHas(hdr, "Connection", "upgrade") {
		return nil, fmt.Errorf("%w: websocket upgrade with %s: answer %q lacks Upgrade: websocket / Connection: Upgrade (Upgrade %q, Connection %q)",
			ErrProtocol, addr, status, hdr.Get("Upgrade"), hdr.Get("Connection"))
	}
	if got, want := hdr.Get("Sec-WebSocket-Accept"), wsAcceptKey(key); got != want {
		return nil, fmt.Errorf("%w: websocket upgrade with %s: server answered Sec-WebSocket-Accept %.64q, want %q", ErrProtocol, addr, got, want)
	}
	// Neither an extension nor a subprotocol was asked for, so none may be chosen.
	if ext := hdr.Get("Sec-WebSocket-Extensions"); ext != "" {
		return nil, fmt.Errorf("%w: websocket upgrade with %s: server chose extensions %.80q that were not offered", ErrProtocol, addr, ext)
	}
	if sp := hdr.Get("Sec-WebSocket-Protocol"); sp != "" {
		return nil, fmt.Errorf("%w: websocket upgrade with %s: server chose subprotocol %.80q that was not offered", ErrProtocol, addr, sp)
	}
	return br, nil
}

// wsAcceptKey is the Sec-WebSocket-Accept value for the request key (RFC 6455, 4.2.2).
func wsAcceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsHeaderHas reports whether one of the comma-separated tokens of header name is token,
// ignoring case.
func wsHeaderHas(h textproto.MIMEHeader, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// wsConn is a client-side WebSocket link presented as a byte stream. Read and Write may be
// called concurrently; concurrent Reads (or Writes) are serialised.
type wsConn struct {
	nc net.Conn
	br *bufio.Reader // over nc; frame headers are parsed from it

	rmu       sync.Mutex
	remaining uint64 // payload bytes of the current data frame not yet returned
	fragment  bool   // a fragmented data message is open: continuation frames expected
	rerr      error  // sticky: io.EOF after a CLOSE, or a protocol or transport error

	wmu       sync.Mutex
	wbuf      []byte         // header and masked payload of the frame being sent
	rng       *mrand.ChaCha8 // masking keys, seeded from crypto/rand
	closeSent bool
	werr      error // sticky: a frame was cut in the middle
}

// Read returns payload bytes of the data frames received, in order. Control frames are
// handled on the way: PING is answered with PONG, PONG is skipped, CLOSE is echoed and ends
// the stream with io.EOF. A frame that breaks RFC 6455 for a client (masked, reserved bits,
// unknown opcode, bad fragmentation) is an error wrapping ErrProtocol. A Read that times out
// leaves the stream intact and may be retried.
func (w *wsConn) Read(p []byte) (int, error) {
	w.rmu.Lock()
	defer w.rmu.Unlock()
	if len(p) == 0 {
		return 0, w.rerr
	}
	n := 0
	for {
		if w.rerr != nil {
			if n > 0 {
				return n, nil // the error comes with the next Read
			}
			return 0, w.rerr
		}
		if w.remaining > 0 {
			want := len(p) - n
			if uint64(want) > w.remaining {
				want = int(w.remaining)
			}
			k, err := w.br.Read(p[n : n+want])
			n += k
			w.remaining -= uint64(k)
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF // the frame was cut
				}
				if !isTimeout(err) {
					w.rerr = err
				}
				return n, err
			}
			if n == len(p) || w.remaining > 0 {
				return n, nil
			}
			continue
		}
		// Between frames: with data in hand, go on only while the next header is already
		// buffered, so that Read never blocks once it has something to return.
		if n > 0 && !w.headerBuffered() {
			return n, nil
		}
		if err := w.nextFrame(); err != nil {
			if !isTimeout(err) {
				w.rerr = err
			}
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
}

// isTimeout reports whether err is a deadline that passed, after which Read may be retried.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// headerBuffered reports whether the whole header of the next frame is in the read buffer.
func (w *wsConn) headerBuffered() bool {
	b, _ := w.br.Peek(min(w.br.Buffered(), 2))
	if len(b) < 2 {
		return false
	}
	return w.br.Buffered() >= wsHeaderLen(b[1])
}

// wsHeaderLen is the length of a server frame header (no mask key) whose second byte is b1.
func wsHeaderLen(b1 byte) int {
	switch b1 & 0x7f {
	case 126:
		return 4
	case 127:
		return 10
	}
	return 2
}

// nextFrame consumes the next frame header. For a data frame it sets remaining; a control
// frame is consumed whole and acted upon. Nothing is consumed until the header (and, for a
// control frame, its payload) is fully buffered, so a timeout leaves the stream intact.
func (w *wsConn) nextFrame() error {
	b, err := w.br.Peek(2)
	if err != nil {
		return w.readErr(err, len(b))
	}
	b0, b1 := b[0], b[1]
	if b0&wsRsvBits != 0 {
		return fmt.Errorf("%w: websocket frame with reserved bits %#x set", ErrProtocol, b0&wsRsvBits)
	}
	if b1&wsMaskBit != 0 {
		return fmt.Errorf("%w: websocket frame from the server is masked", ErrProtocol)
	}
	hl := wsHeaderLen(b1)
	op := b0 & 0x0f
	fin := b0&wsFinBit != 0
	if op >= wsOpClose { // control frame: whole, short, unfragmented
		if op > wsOpPong {
			return fmt.Errorf("%w: websocket frame with unknown opcode %#x", ErrProtocol, op)
		}
		plen := int(b1 & 0x7f)
		if !fin || plen > wsMaxControlPayload {
			return fmt.Errorf("%w: websocket control frame %#x fragmented or too long", ErrProtocol, op)
		}
		f, err := w.br.Peek(2 + plen)
		if err != nil {
			return w.readErr(err, len(f))
		}
		payload := f[2:]
		switch op {
		case wsOpPing:
			err = w.writeControl(wsOpPong, payload)
		case wsOpClose:
			// Echo the status code, if any, and end the stream.
			if len(payload) >= 2 {
				payload = payload[:2]
			} else {
				payload = nil
			}
			_ = w.writeControl(wsOpClose, payload)
			err = io.EOF
		}
		_, _ = w.br.Discard(2 + plen)
		return err
	}
	switch op {
	case wsOpContinuation:
		if !w.fragment {
			return fmt.Errorf("%w: websocket continuation frame without a message to continue", ErrProtocol)
		}
	case wsOpText, wsOpBinary:
		if w.fragment {
			return fmt.Errorf("%w: websocket data frame inside a fragmented message", ErrProtocol)
		}
	default:
		return fmt.Errorf("%w: websocket frame with unknown opcode %#x", ErrProtocol, op)
	}
	h, err := w.br.Peek(hl)
	if err != nil {
		return w.readErr(err, len(h))
	}
	var plen uint64
	switch hl {
	case 2:
		plen = uint64(b1 & 0x7f)
	case 4:
		plen = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 10:
		plen = binary.BigEndian.Uint64(h[2:10])
		if plen>>63 != 0 {
			return fmt.Errorf("%w: websocket frame length %#x out of range", ErrProtocol, plen)
		}
	}
	_, _ = w.br.Discard(hl)
	w.fragment = !fin
	w.remaining = plen
	return nil
}

// readErr turns an error met while peeking at a frame into the error of Read: the end of the
// stream is clean only between frames.
func (w *wsConn) readErr(err error, got int) error {
	if err == io.EOF && (got > 0 || w.fragment) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// writeControl sends a control frame (PONG, CLOSE) with payload, which is at most 125 bytes.
// After a CLOSE nothing more is sent.
func (w *wsConn) writeControl(op byte, payload []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.closeSent {
		return nil
	}
	if op == wsOpClose {
		w.closeSent = true
	}
	if w.werr != nil {
		return w.werr
	}
	_, err := w.writeFrame(op, payload)
	return err
}

// Write sends p as binary frames, masked with fresh random keys: one frame unless p is
// larger than 64 KiB. Writes are serialised and their frames never interleave. A Write cut
// in the middle of a frame leaves the link unusable: every later Write fails.
func (w *wsConn) Write(p []byte) (int, error) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if w.closeSent {
		return 0, errWSClosed
	}
	if w.werr != nil {
		return 0, w.werr
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for {
		chunk := p[n:]
		if len(chunk) > wsMaxFramePayload {
			chunk = chunk[:wsMaxFramePayload]
		}
		if _, err := w.writeFrame(wsOpBinary, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
		if n == len(p) {
			return n, nil
		}
	}
}

// writeFrame builds one complete frame into wbuf and writes it. It is called with wmu held.
func (w *wsConn) writeFrame(op byte, payload []byte) (int, error) {
	need := wsMaxHeader + len(payload)
	if cap(w.wbuf) < need {
		w.wbuf = make([]byte, 0, max(need, 512))
	}
	b := w.wbuf[:0]
	b = append(b, wsFinBit|op)
	switch l := len(payload); {
	case l <= 125:
		b = append(b, wsMaskBit|byte(l))
	case l <= 0xffff:
		b = append(b, wsMaskBit|126)
		b = binary.BigEndian.AppendUint16(b, uint16(l))
	default:
		b = append(b, wsMaskBit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(l))
	}
	key := uint32(w.rng.Uint64())
	b = binary.LittleEndian.AppendUint32(b, key)
	start := len(b)
	b = append(b, payload...)
	wsMask(key, b[start:])
	w.wbuf = b
	k, err := w.nc.Write(b)
	if err != nil && k > 0 {
		// Part of the frame went out: the stream cannot be resumed.
		w.werr = fmt.Errorf("websocket frame cut by: %w", err)
	}
	return k, err
}

// wsMask XORs b in place with the masking key whose bytes, in wire order, are the
// little-endian bytes of key (RFC 6455, 5.3).
func wsMask(key uint32, b []byte) {
	k64 := uint64(key) | uint64(key)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for j := 0; i < len(b); i, j = i+1, j+1 {
		b[i] ^= byte(key >> (8 * (j & 3)))
	}
}

// Close sends a CLOSE frame (status 1000) if it can do so at once, then closes the
// underlying connection, which unblocks pending Reads and Writes. It does not wait for the
// server's CLOSE.
func (w *wsConn) Close() error {
	if w.wmu.TryLock() {
		if !w.closeSent && w.werr == nil {
			w.closeSent = true
			_ = w.nc.SetWriteDeadline(time.Now().Add(wsCloseTimeout))
			var code [2]byte
			binary.BigEndian.PutUint16(code[:], wsCloseNormal)
			_, _ = w.writeFrame(wsOpClose, code[:])
		}
		w.closeSent = true
		w.wmu.Unlock()
	}
	return w.nc.Close()
}

func (w *wsConn) LocalAddr() net.Addr                { return w.nc.LocalAddr() }
func (w *wsConn) RemoteAddr() net.Addr               { return w.nc.RemoteAddr() }
func (w *wsConn) SetDeadline(t time.Time) error      { return w.nc.SetDeadline(t) }
func (w *wsConn) SetReadDeadline(t time.Time) error  { return w.nc.SetReadDeadline(t) }
func (w *wsConn) SetWriteDeadline(t time.Time) error { return w.nc.SetWriteDeadline(t) }
