package conn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/natsactor/natsactor/proto"
)

// LibraryVersion is the version natsactor reports to servers in CONNECT.
const LibraryVersion = "0.1.0"

// handshake is a link that completed INFO, TLS, CONNECT and PING/PONG, ready for the reader
// and the writer.
type handshake struct {
	srv      *server
	nc       net.Conn
	info     *proto.Info
	leftover []byte // bytes read past the PONG, to parse first
}

// dial connects to s and performs the whole handshake within the connect timeout. The
// socket is closed on every failure path.
func (c *Conn) dial(ctx context.Context, s *server) (hs *handshake, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.connectTimeout)
	defer cancel()
	var d Dialer = c.opts.dialer
	if d == nil {
		d = &net.Dialer{}
	}
	var nc net.Conn
	if s.isWebSocket() {
		var wssCfg *tls.Config
		if s.url.Scheme == "wss" {
			if wssCfg, err = c.tlsConfig(s); err != nil {
				return nil, err
			}
		}
		nc, err = dialWebSocket(ctx, d, s.url, wssCfg)
	} else {
		nc, err = d.DialContext(ctx, "tcp", s.addr())
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			nc.Close()
		}
	}()
	// A cancelled ctx interrupts any read or write of the handshake.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}

	// Over WebSocket, TLS (wss) sits below the WebSocket; the NATS-level upgrade is skipped.
	wantTLS := !s.isWebSocket() && (c.opts.wantTLS || s.url.Scheme == "tls")
	tlsDone := s.url.Scheme == "wss"
	if c.opts.tlsHandshakeFst && !s.isWebSocket() {
		tc, err := c.upgradeTLS(ctx, nc, s)
		if err != nil {
			return nil, err
		}
		nc, tlsDone = tc, true
	}
	br := bufio.NewReaderSize(nc, 4096)
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("reading INFO from %s: %w", s, err)
	}
	if len(line) < 5 || !bytes.EqualFold(line[:5], []byte("INFO ")) {
		return nil, fmt.Errorf("%w: expected INFO from %s, got %.40q", ErrProtocol, s, line)
	}
	info, err := proto.ParseInfo(line[5:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if !tlsDone && !s.isWebSocket() && (wantTLS || info.TLSRequired) {
		if !info.TLSRequired && !info.TLSAvailable {
			return nil, fmt.Errorf("%w: server %s does not offer TLS", ErrTLS, s)
		}
		tc, err := c.upgradeTLS(ctx, nc, s)
		if err != nil {
			return nil, err
		}
		nc, tlsDone = tc, true
		br = bufio.NewReaderSize(nc, 4096)
	}
	ci, err := c.connectInfo(s, info, tlsDone)
	if err != nil {
		return nil, err
	}
	out, err := proto.AppendConnect(nil, ci)
	if err != nil {
		return nil, err
	}
	out = append(out, proto.PingFrame...)
	if _, err := nc.Write(out); err != nil {
		return nil, fmt.Errorf("sending CONNECT to %s: %w", s, err)
	}
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, fmt.Errorf("waiting for PONG from %s: %w", s, err)
		}
		switch {
		case bytes.EqualFold(line, []byte("PONG")):
			leftover, _ := br.Peek(br.Buffered())
			_ = nc.SetDeadline(time.Time{})
			return &handshake{srv: s, nc: nc, info: info, leftover: bytes.Clone(leftover)}, nil
		case bytes.EqualFold(line, []byte("PING")):
			if _, err := nc.Write(proto.PongFrame); err != nil {
				return nil, err
			}
		case len(line) >= 4 && bytes.EqualFold(line[:4], []byte("-ERR")):
			return nil, classifyErr(string(trimErr(line[4:])))
		case len(line) >= 5 && bytes.EqualFold(line[:5], []byte("INFO ")):
			if i, err := proto.ParseInfo(line[5:]); err == nil {
				info = i
			}
		}
	}
}

// readLine returns one control line without its CRLF. The line is bounded by the parser's
// control-line limit.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		part, err := br.ReadSlice('\n')
		line = append(line, part...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return nil, err
		}
		if len(line) > proto.MaxControlLine*4 {
			return nil, fmt.Errorf("%w: control line too long", ErrProtocol)
		}
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

func trimErr(b []byte) []byte {
	return bytes.Trim(bytes.TrimSpace(b), "'")
}

func (c *Conn) upgradeTLS(ctx context.Context, nc net.Conn, s *server) (net.Conn, error) {
	cfg, err := c.tlsConfig(s)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: handshake with %s: %w", ErrTLS, s, err)
	}
	return tc, nil
}

// tlsConfig builds the TLS configuration for s from the options.
func (c *Conn) tlsConfig(s *server) (*tls.Config, error) {
	var cfg *tls.Config
	if c.opts.tlsConfig != nil {
		cfg = c.opts.tlsConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if len(c.opts.rootCAs) > 0 {
		pool := x509.NewCertPool()
		for _, f := range c.opts.rootCAs {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("%w: root CA: %w", ErrTLS, err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: no certificate in %s", ErrTLS, f)
			}
		}
		cfg.RootCAs = pool
	}
	if c.opts.clientCert[0] != "" {
		cert, err := tls.LoadX509KeyPair(c.opts.clientCert[0], c.opts.clientCert[1])
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate: %w", ErrTLS, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.url.Hostname()
		if s.tlsName != "" {
			cfg.ServerName = s.tlsName
		}
	}
	return cfg, nil
}

// connectInfo builds CONNECT: always with headers and no_responders, plus credentials from
// the options or the URL, and the nonce signature for nkeys and JWTs.
func (c *Conn) connectInfo(s *server, info *proto.Info, tlsUsed bool) (*proto.Connect, error) {
	o := &c.opts
	ci := &proto.Connect{
		TLSRequired: tlsUsed, Name: o.name, Lang: "go", Version: LibraryVersion, Protocol: 1,
		Echo: !o.noEcho, Headers: true, NoResponders: true,
	}
	if u := s.url.User; u != nil {
		if pass, ok := u.Password(); ok {
			ci.User, ci.Pass = u.Username(), pass
		} else {
			ci.AuthToken = u.Username()
		}
	}
	if o.user != "" {
		ci.User, ci.Pass = o.user, o.pass
	}
	if o.token != "" {
		ci.AuthToken = o.token
	}
	if o.tokenHandler != nil {
		ci.AuthToken = o.tokenHandler()
	}
	if o.userJWT != nil {
		jwt, err := o.userJWT()
		if err != nil {
			return nil, fmt.Errorf("%w: user JWT: %w", ErrAuthorization, err)
		}
		ci.JWT = jwt
	}
	if o.nkeyPub != "" {
		ci.NKey = o.nkeyPub
	}
	if o.nkeySign != nil && info.Nonce != "" {
		sig, err := o.nkeySign([]byte(info.Nonce))
		if err != nil {
			return nil, fmt.Errorf("%w: signing nonce: %w", ErrAuthorization, err)
		}
		ci.Sig = base64.RawURLEncoding.EncodeToString(sig)
	}
	return ci, nil
}
