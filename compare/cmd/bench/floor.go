package main

// The floor: a third "client" that is no client library at all, only a socket writing
// pre-encoded protocol frames and reading the answers on the goroutine that waits for
// them, with no parsing beyond what the workload needs, no buffering layer, no goroutine
// hand-off and no allocation per message where it can be avoided. Run with
// -clients natsactor,natsgo,floor, it shows what the server and this machine allow any
// client to reach, so that a target ratio above floor_vs_natsgo is known to be out of
// reach rather than merely missed. It is not a usable client: it handles PING and
// nothing else of the protocol's upkeep.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// rawConn is one floor connection.
type rawConn struct {
	nc  net.Conn
	r   *bufio.Reader
	wmu sync.Mutex // the reading goroutine answers PINGs while another one may write
	buf []byte     // payload of the last message read
	// unwatch stops the closing of nc at the end of the run's ctx.
	unwatch func() bool
}

// rawMsg is a message read by rawConn.readMsg. data borrows rawConn's buffer until the
// next read.
type rawMsg struct {
	reply  string
	status bool // an HMSG whose header is a status line ("NATS/1.0 408 ...")
	hdr    []byte
	data   []byte
}

var errRawServer = errors.New("floor: server error")

// dialRaw connects to url ("nats://host:port") and completes the handshake with a
// PING/PONG, so the server has the connection before the caller subscribes.
func dialRaw(ctx context.Context, url string) (*rawConn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", strings.TrimPrefix(url, "nats://"))
	if err != nil {
		return nil, fmt.Errorf("floor dial: %w", err)
	}
	rc := &rawConn{nc: nc, r: bufio.NewReaderSize(nc, 64*1024)}
	// The floor's reads and writes know no ctx: the end of the run's ctx closes the
	// socket under them, so a floor that waits for an answer that never comes fails
	// instead of hanging the bench.
	rc.unwatch = context.AfterFunc(ctx, func() { _ = nc.Close() })
	if line, err := rc.r.ReadSlice('\n'); err != nil || !bytes.HasPrefix(line, []byte("INFO ")) {
		rc.close()
		return nil, fmt.Errorf("floor: no INFO from the server (%q, %v)", line, err)
	}
	if err := rc.write([]byte(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1,"name":"bench-floor"}` + "\r\n")); err != nil {
		rc.close()
		return nil, err
	}
	if err := rc.sync(); err != nil {
		rc.close()
		return nil, err
	}
	return rc, nil
}

func (rc *rawConn) close() {
	rc.unwatch()
	_ = rc.nc.Close()
}

// dialInbox is dialRaw plus a subscription to "P.*" for a fresh prefix P, which it
// returns. Every floor request takes a reply subject of its own under P (see
// pubFrameSeq), as both clients' do: the server then finds each reply's subscription
// as they make it find theirs, a fresh subject missing its cache, not one hot entry.
func dialInbox(ctx context.Context, url string) (*rawConn, string, error) {
	rc, err := dialRaw(ctx, url)
	if err != nil {
		return nil, "", err
	}
	inbox := "_FLOOR." + strconv.FormatInt(runSeq.Add(1), 10)
	if err := rc.subscribe(inbox + ".*"); err != nil {
		rc.close()
		return nil, "", err
	}
	return rc, inbox, nil
}

// write sends b in one call.
func (rc *rawConn) write(b []byte) error {
	rc.wmu.Lock()
	defer rc.wmu.Unlock()
	if _, err := rc.nc.Write(b); err != nil {
		return fmt.Errorf("floor write: %w", err)
	}
	return nil
}

// sync sends a PING and reads until its PONG; no message may arrive in between.
func (rc *rawConn) sync() error {
	if err := rc.write([]byte("PING\r\n")); err != nil {
		return err
	}
	m, pong, err := rc.read()
	if err != nil {
		return err
	}
	if !pong {
		return fmt.Errorf("floor: message on %q before PONG", m.reply)
	}
	return nil
}

// subscribe subscribes to subject with sid 1 and waits until the server has it.
func (rc *rawConn) subscribe(subject string) error {
	if err := rc.write([]byte("SUB " + subject + " 1\r\n")); err != nil {
		return err
	}
	return rc.sync()
}

// readMsg reads the next message, answering PINGs on the way.
func (rc *rawConn) readMsg() (rawMsg, error) {
	m, pong, err := rc.read()
	if err == nil && pong {
		err = errors.New("floor: unexpected PONG")
	}
	return m, err
}

// read reads up to the next message or PONG.
func (rc *rawConn) read() (m rawMsg, pong bool, err error) {
	for {
		line, err := rc.r.ReadSlice('\n')
		if err != nil {
			return m, false, fmt.Errorf("floor read: %w", err)
		}
		switch {
		case bytes.HasPrefix(line, []byte("MSG ")), bytes.HasPrefix(line, []byte("HMSG ")):
			return rc.msg(line)
		case bytes.HasPrefix(line, []byte("PING")):
			if err := rc.write([]byte("PONG\r\n")); err != nil {
				return m, false, err
			}
		case bytes.HasPrefix(line, []byte("PONG")):
			return m, true, nil
		case bytes.HasPrefix(line, []byte("-ERR")):
			return m, false, fmt.Errorf("%w: %s", errRawServer, bytes.TrimSpace(line))
		}
		// INFO and +OK need nothing.
	}
}

// msg reads the payload of the MSG or HMSG whose control line is line.
func (rc *rawConn) msg(line []byte) (m rawMsg, pong bool, err error) {
	headers := line[0] == 'H'
	f := bytes.Fields(line)
	// MSG subject sid [reply] size; HMSG subject sid [reply] hdrsize size
	want := 4
	if headers {
		want = 5
	}
	if len(f) != want && len(f) != want+1 {
		return m, false, fmt.Errorf("floor: bad control line %q", line)
	}
	if len(f) == want+1 {
		m.reply = string(f[3])
	}
	size, err := strconv.Atoi(string(f[len(f)-1]))
	if err != nil {
		return m, false, fmt.Errorf("floor: bad size in %q", line)
	}
	hdrSize := 0
	if headers {
		if hdrSize, err = strconv.Atoi(string(f[len(f)-2])); err != nil || hdrSize > size {
			return m, false, fmt.Errorf("floor: bad header size in %q", line)
		}
	}
	if cap(rc.buf) < size+2 {
		rc.buf = make([]byte, size+2)
	}
	b := rc.buf[:size+2]
	if _, err := io.ReadFull(rc.r, b); err != nil {
		return m, false, fmt.Errorf("floor read: %w", err)
	}
	m.hdr, m.data = b[:hdrSize], b[hdrSize:size]
	// A status line has a three-digit code after the version: "NATS/1.0 408 ...".
	m.status = hdrSize > 12 && bytes.HasPrefix(m.hdr, []byte("NATS/1.0 ")) && m.hdr[9] >= '1' && m.hdr[9] <= '9'
	return m, false, nil
}

// pubFrame encodes PUB subject [reply] with data.
func pubFrame(dst []byte, subject, reply string, data []byte) []byte {
	dst = append(dst, "PUB "...)
	dst = append(dst, subject...)
	dst = append(dst, ' ')
	if reply != "" {
		dst = append(dst, reply...)
		dst = append(dst, ' ')
	}
	return pubPayload(dst, data)
}

// pubFrameSeq is pubFrame with the reply subject inbox.seq, built in place.
func pubFrameSeq(dst []byte, subject, inbox string, seq int, data []byte) []byte {
	dst = append(dst, "PUB "...)
	dst = append(dst, subject...)
	dst = append(dst, ' ')
	dst = append(dst, inbox...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, ' ')
	return pubPayload(dst, data)
}

// pubPayload ends a PUB frame: the size, the control line's end and data.
func pubPayload(dst, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(data)), 10)
	dst = append(dst, "\r\n"...)
	dst = append(dst, data...)
	return append(dst, "\r\n"...)
}

// rawRequest writes frame and reads the one message that answers it.
func (rc *rawConn) request(frame []byte) (rawMsg, error) {
	if err := rc.write(frame); err != nil {
		return rawMsg{}, err
	}
	return rc.readMsg()
}
