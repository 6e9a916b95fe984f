package proto

import (
	"bytes"
	"fmt"
)

// Handler receives the operations a [Parser] finds, in the order they arrive.
// Every []byte argument borrows the parser's input or scratch buffer and is
// valid only until the callback returns; a handler that keeps one must copy it.
// A handler must not call Parse or Reset on the parser that called it.
type Handler interface {
	// Msg is called for MSG and HMSG. For MSG hdr is nil; for HMSG hdr is
	// the raw header block, from "NATS/1.0" through the terminating
	// "\r\n\r\n" (see ParseHeader), and data is the payload after it.
	// reply is empty when the message has no reply subject.
	Msg(subject, reply []byte, sid uint64, hdr, data []byte)
	// Info is called for INFO with the JSON document that follows it (see
	// ParseInfo).
	Info(js []byte)
	// Ping is called for PING; the client must answer with PongFrame.
	Ping()
	// Pong is called for PONG.
	Pong()
	// OK is called for +OK (sent only to verbose connections).
	OK()
	// Err is called for -ERR with its text, without the surrounding
	// quotes and spaces, e.g. "Authorization Violation".
	Err(text []byte)
}

// MaxControlLine is the longest control line (the operation name and its
// arguments, without the terminating CRLF) the parser accepts.
const MaxControlLine = 4096

// DefaultMaxPayload is the largest MSG or HMSG (headers plus payload) a new
// Parser accepts; see [Parser.SetMaxPayload].
const DefaultMaxPayload = 64 << 20

// lineWindow is how far the parser looks for the '\n' of a control line:
// MaxControlLine bytes, then '\r' and '\n'.
const lineWindow = MaxControlLine + 2

// keepScratch is the largest payload scratch buffer the parser keeps between
// messages; a bigger one is released once its message is delivered.
const keepScratch = 1 << 20

// maxArgs is the most arguments an operation has (HMSG with a reply).
const maxArgs = 5

type parseState uint8

const (
	stateOp      parseState = iota // at the start of an operation
	stateLine                      // inside a control line, kept in p.line
	statePayload                   // inside a MSG/HMSG payload, kept in p.pay
)

// op codes returned by opCode.
const (
	opUnknown = iota
	opMsg
	opHMsg
	opPing
	opPong
	opOK
	opErr
	opInfo
)

// Parser is a streaming parser for the operations a NATS server sends to a
// client. It is a small state machine that accepts its input in arbitrary
// pieces. A Parser is not safe for concurrent use; it belongs to the
// connection's reader.
type Parser struct {
	h          Handler
	maxPayload int
	state      parseState
	err        error

	line []byte // a control line that arrived in pieces (stateLine)
	args []byte // subject then reply of a message whose payload is split
	pay  []byte // the split payload plus its CRLF (statePayload)

	subjLen  int    // length of the subject in args
	replyLen int    // length of the reply in args
	sid      uint64 // sid of the pending message
	hdrLen   int    // header size of the pending message, -1 for MSG
	total    int    // header plus payload size of the pending message
}

// NewParser returns a parser that reports operations to h, which must not be
// nil. Its payload limit is DefaultMaxPayload.
func NewParser(h Handler) *Parser {
	return &Parser{h: h, maxPayload: DefaultMaxPayload}
}

// SetMaxPayload sets the largest total size (header plus payload) of a MSG or
// HMSG; a larger one is a protocol error, which guards against allocating for
// a garbage size. n <= 0 restores DefaultMaxPayload. It may be called from a
// Handler callback; the new limit applies from the next operation.
func (p *Parser) SetMaxPayload(n int) {
	if n <= 0 {
		n = DefaultMaxPayload
	}
	p.maxPayload = n
}

// Reset discards any partly parsed operation and clears a failure, readying
// the parser for a new connection. The payload limit is kept.
func (p *Parser) Reset() {
	p.state = stateOp
	p.err = nil
	p.line = p.line[:0]
	p.args = p.args[:0]
	if cap(p.pay) > keepScratch {
		p.pay = nil
	}
	p.pay = p.pay[:0]
}

// Parse consumes all of buf, which may end anywhere (inside an operation
// name, a control line, a CRLF or a payload), and calls the Handler for each
// operation that is complete. Bytes of an unfinished operation are kept for
// the next call. When whole operations are inside buf the Handler gets slices
// of buf; a payload split across calls is gathered in a reusable scratch
// buffer.
//
// Malformed input returns an error wrapping ErrProtocol that says what was
// wrong and quotes a short excerpt. After an error the parser stays failed:
// every later Parse returns the same error until Reset.
func (p *Parser) Parse(buf []byte) error {
	if p.err != nil {
		return p.err
	}
	var err error
	for len(buf) > 0 && err == nil {
		switch p.state {
		case stateOp:
			buf, err = p.ops(buf)
		case stateLine:
			buf, err = p.moreLine(buf)
		default:
			buf, err = p.morePayload(buf)
		}
	}
	p.err = err
	return err
}

// ops parses the operations that start at buf[0] for as long as buf holds
// them whole, and returns what it did not consume (nothing once it has saved
// an unfinished operation and changed state).
func (p *Parser) ops(buf []byte) ([]byte, error) {
	for len(buf) > 0 {
		win := buf
		if len(win) > lineWindow {
			win = win[:lineWindow]
		}
		nl := bytes.IndexByte(win, '\n')
		if nl < 0 {
			if len(win) == lineWindow {
				return nil, tooLong(win)
			}
			p.line = append(p.line[:0], buf...)
			p.state = stateLine
			return nil, nil
		}
		rest, err := p.op(trimCR(buf[:nl]), buf[nl+1:])
		if err != nil || p.state != stateOp {
			return rest, err
		}
		buf = rest
	}
	return nil, nil
}

// moreLine continues a control line that began in an earlier buffer.
func (p *Parser) moreLine(buf []byte) ([]byte, error) {
	win := buf
	if room := lineWindow - len(p.line); len(win) > room {
		win = win[:room]
	}
	nl := bytes.IndexByte(win, '\n')
	if nl < 0 {
		p.line = append(p.line, win...)
		if len(p.line) == lineWindow {
			return nil, tooLong(p.line)
		}
		return buf[len(win):], nil
	}
	p.line = append(p.line, buf[:nl]...)
	p.state = stateOp
	return p.op(trimCR(p.line), buf[nl+1:])
}

// morePayload continues a MSG/HMSG payload that began in an earlier buffer.
func (p *Parser) morePayload(buf []byte) ([]byte, error) {
	need := p.total + 2 - len(p.pay)
	if len(buf) < need {
		p.pay = append(p.pay, buf...)
		return nil, nil
	}
	p.pay = append(p.pay, buf[:need]...)
	t := p.total
	if p.pay[t] != '\r' || p.pay[t+1] != '\n' {
		return nil, noCRLF(p.hdrLen >= 0, p.pay[t:])
	}
	p.state = stateOp
	var reply []byte
	if p.replyLen > 0 {
		reply = p.args[p.subjLen : p.subjLen+p.replyLen]
	}
	subj := p.args[:p.subjLen:p.subjLen]
	if p.hdrLen < 0 {
		p.h.Msg(subj, reply, p.sid, nil, p.pay[:t:t])
	} else {
		p.h.Msg(subj, reply, p.sid, p.pay[:p.hdrLen:p.hdrLen], p.pay[p.hdrLen:t:t])
	}
	if cap(p.pay) > keepScratch {
		p.pay = nil
	}
	return buf[need:], nil
}

// op handles one control line (without its line end); after is the input
// that follows the line. It returns the input left after the operation: for
// a message whose payload is not all in after, it saves the message, enters
// statePayload and returns nil.
func (p *Parser) op(line, after []byte) ([]byte, error) {
	if len(line) > MaxControlLine {
		return nil, tooLong(line)
	}
	n := opLen(line)
	args := line[n:]
	switch opCode(line[:n]) {
	case opMsg:
		return p.msg(line, args, after, false)
	case opHMsg:
		return p.msg(line, args, after, true)
	case opPing:
		if !isBlank(args) {
			return nil, extraArgs(line)
		}
		p.h.Ping()
	case opPong:
		if !isBlank(args) {
			return nil, extraArgs(line)
		}
		p.h.Pong()
	case opOK:
		if !isBlank(args) {
			return nil, extraArgs(line)
		}
		p.h.OK()
	case opErr:
		p.h.Err(errText(args))
	case opInfo:
		js := trimSpace(args)
		if len(js) == 0 {
			return nil, fmt.Errorf("%w: INFO without a JSON document", ErrProtocol)
		}
		p.h.Info(js)
	default:
		return nil, fmt.Errorf("%w: unknown operation %s", ErrProtocol, excerpt(line))
	}
	return after, nil
}

// msg handles the control line of a MSG or HMSG:
//
//	MSG <subject> <sid> [reply] <size>
//	HMSG <subject> <sid> [reply] <header size> <total size>
func (p *Parser) msg(line, args, after []byte, hmsg bool) ([]byte, error) {
	var a [maxArgs][]byte
	n := splitArgs(args, &a)
	var reply, hdrTok, totTok []byte
	switch {
	case !hmsg && n == 3:
		totTok = a[2]
	case !hmsg && n == 4:
		reply, totTok = a[2], a[3]
	case hmsg && n == 4:
		hdrTok, totTok = a[2], a[3]
	case hmsg && n == 5:
		reply, hdrTok, totTok = a[2], a[3], a[4]
	default:
		return nil, badArgCount(hmsg, n, line)
	}
	subj := a[0]
	sid, ok := parseUint(a[1])
	if !ok {
		return nil, badNumber(hmsg, "sid", a[1], line)
	}
	t, ok := parseUint(totTok)
	if !ok {
		return nil, badNumber(hmsg, "size", totTok, line)
	}
	if t > uint64(p.maxPayload) {
		return nil, fmt.Errorf("%w: %s size %d exceeds the %d byte limit: %s",
			ErrProtocol, opName(hmsg), t, p.maxPayload, excerpt(line))
	}
	total, hdr := int(t), -1
	if hmsg {
		h, ok := parseUint(hdrTok)
		if !ok {
			return nil, badNumber(hmsg, "header size", hdrTok, line)
		}
		if h > t {
			return nil, fmt.Errorf("%w: HMSG header size %d exceeds total size %d: %s",
				ErrProtocol, h, t, excerpt(line))
		}
		hdr = int(h)
	}

	if len(after) >= total+2 {
		if after[total] != '\r' || after[total+1] != '\n' {
			return nil, noCRLF(hmsg, after[total:total+2])
		}
		subj = subj[:len(subj):len(subj)]
		if hdr < 0 {
			p.h.Msg(subj, reply, sid, nil, after[:total:total])
		} else {
			p.h.Msg(subj, reply, sid, after[:hdr:hdr], after[hdr:total:total])
		}
		return after[total+2:], nil
	}

	// The payload continues in later input: keep what is needed to finish.
	p.args = append(append(p.args[:0], subj...), reply...)
	p.subjLen, p.replyLen = len(subj), len(reply)
	p.sid, p.hdrLen, p.total = sid, hdr, total
	if need := total + 2; cap(p.pay) < need {
		p.pay = make([]byte, 0, need)
	}
	p.pay = append(p.pay[:0], after...)
	p.state = statePayload
	return nil, nil
}

// opCode identifies an operation name, ignoring ASCII case.
func opCode(b []byte) int {
	switch len(b) {
	case 3:
		if b[0] == '+' {
			if upper(b[1]) == 'O' && upper(b[2]) == 'K' {
				return opOK
			}
		} else if upper(b[0]) == 'M' && upper(b[1]) == 'S' && upper(b[2]) == 'G' {
			return opMsg
		}
	case 4:
		c1, c2, c3 := upper(b[1]), upper(b[2]), upper(b[3])
		switch upper(b[0]) {
		case 'H':
			if c1 == 'M' && c2 == 'S' && c3 == 'G' {
				return opHMsg
			}
		case 'P':
			if c2 == 'N' && c3 == 'G' {
				if c1 == 'I' {
					return opPing
				}
				if c1 == 'O' {
					return opPong
				}
			}
		case 'I':
			if c1 == 'N' && c2 == 'F' && c3 == 'O' {
				return opInfo
			}
		case '-':
			if c1 == 'E' && c2 == 'R' && c3 == 'R' {
				return opErr
			}
		}
	}
	return opUnknown
}

// opLen returns the length of the operation name that starts line.
func opLen(line []byte) int {
	n := 0
	for n < len(line) && !isSpace(line[n]) {
		n++
	}
	return n
}

// upper maps an ASCII lower-case letter to upper case and leaves any other
// byte alone.
func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// splitArgs stores the space- or tab-separated fields of b in a and returns
// how many there are; maxArgs+1 means more than maxArgs.
func splitArgs(b []byte, a *[maxArgs][]byte) int {
	n, i := 0, 0
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			return n
		}
		if n == maxArgs {
			return n + 1
		}
		start := i
		// Most bytes are above ' ', so test that first: one compare a byte.
		for i < len(b) && (b[i] > ' ' || !isSpace(b[i])) {
			i++
		}
		a[n] = b[start:i]
		n++
	}
}

// parseUint parses a non-empty run of decimal digits that fits in a uint64.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	if len(b) < 20 { // 19 digits cannot overflow
		for _, c := range b {
			d := uint64(c - '0')
			if d > 9 {
				return 0, false
			}
			n = n*10 + d
		}
		return n, true
	}
	for _, c := range b {
		d := uint64(c - '0')
		if d > 9 || n > (^uint64(0)-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// trimCR drops one trailing '\r'.
func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// isBlank reports whether b holds only spaces and tabs.
func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// span returns where b's content starts and ends once leading and trailing spaces and
// tabs are left out: trimSpace as offsets, for ParseHeader, which cuts its strings out of
// one copy of the block by offset.
func span(b []byte) (start, end int) {
	end = len(b)
	for start < end && isSpace(b[start]) {
		start++
	}
	for end > start && isSpace(b[end-1]) {
		end--
	}
	return start, end
}

// trimSpace drops leading and trailing spaces and tabs.
func trimSpace(b []byte) []byte {
	start, end := span(b)
	return b[start:end]
}

// errText extracts the text of an -ERR: trimmed, and without one pair of
// surrounding single quotes.
func errText(args []byte) []byte {
	t := trimSpace(args)
	if len(t) >= 2 && t[0] == '\'' && t[len(t)-1] == '\'' {
		t = t[1 : len(t)-1]
	}
	return t
}

func opName(hmsg bool) string {
	if hmsg {
		return "HMSG"
	}
	return "MSG"
}

// tooLong reports a control line over MaxControlLine bytes, or an unknown
// operation if its name is not one.
func tooLong(line []byte) error {
	if opCode(line[:opLen(line)]) == opUnknown {
		return fmt.Errorf("%w: unknown operation %s", ErrProtocol, excerpt(line))
	}
	return fmt.Errorf("%w: control line longer than %d bytes: %s", ErrProtocol, MaxControlLine, excerpt(line))
}

func extraArgs(line []byte) error {
	return fmt.Errorf("%w: unexpected arguments: %s", ErrProtocol, excerpt(line))
}

func badArgCount(hmsg bool, n int, line []byte) error {
	want, got := "3 or 4", fmt.Sprint(n)
	if hmsg {
		want = "4 or 5"
	}
	if n > maxArgs {
		got = fmt.Sprintf("more than %d", maxArgs)
	}
	return fmt.Errorf("%w: %s wants %s arguments, got %s: %s", ErrProtocol, opName(hmsg), want, got, excerpt(line))
}

func badNumber(hmsg bool, what string, tok, line []byte) error {
	return fmt.Errorf("%w: %s %s %s is not a decimal number: %s",
		ErrProtocol, opName(hmsg), what, excerpt(tok), excerpt(line))
}

func noCRLF(hmsg bool, got []byte) error {
	return fmt.Errorf("%w: %s payload not followed by CRLF, found %s", ErrProtocol, opName(hmsg), excerpt(got))
}
