package proto

import (
	"bytes"
	"fmt"
	"slices"
)

// headerVersion starts every header block.
const headerVersion = "NATS/1.0"

// AppendHeader appends an encoded header block to dst and returns the
// extended buffer. The block starts with the status line "NATS/1.0", followed
// when code > 0 by " " and the code in (at least) three digits and, when
// desc is not empty, " " and desc. Each value of h then gets its own
// "Key: value\r\n" line, so a key with several values is repeated; keys are
// written with the case given, in sorted order. The block ends with an empty
// line, so it always ends in "\r\n\r\n".
//
// Nothing is checked: callers reject bad keys and values with ValidHeaderKey
// and ValidHeaderValue, and keep CR and LF out of desc. dst grows at most
// once; with no more than 16 keys nothing else is allocated.
func AppendHeader(dst []byte, code int, desc string, h map[string][]string) []byte {
	size := len(headerVersion+" 000 \r\n\r\n") + maxUintLen + len(desc)
	var arr [16]string
	keys := arr[:0]
	for k, vs := range h {
		keys = append(keys, k)
		for _, v := range vs {
			size += len(k) + len(": \r\n") + len(v)
		}
	}
	slices.Sort(keys)
	dst = slices.Grow(dst, size)

	dst = append(dst, headerVersion...)
	if code > 0 {
		dst = append(dst, ' ')
		for z := 100; z > 1 && code < z; z /= 10 {
			dst = append(dst, '0')
		}
		dst = appendUint(dst, uint64(code))
		if desc != "" {
			dst = append(dst, ' ')
			dst = append(dst, desc...)
		}
	}
	dst = append(dst, "\r\n"...)
	for _, k := range keys {
		for _, v := range h[k] {
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	return append(dst, "\r\n"...)
}

// ParseHeader decodes a header block such as HMSG carries (Handler.Msg's
// hdr): the status line "NATS/1.0", optionally followed by a three-digit code
// and a description, then "Key: value" lines and an empty line. code is 0
// when the status line has none. Keys keep their case; values are trimmed of
// surrounding spaces and tabs; the values of a repeated key accumulate in
// order. h is nil when there are no key lines. The results do not borrow b.
//
// Malformed input (no "NATS/1.0" prefix, a bad status code, a line without
// ':' or with an empty key, a bare CR or LF, a missing final CRLF, or bytes
// after the empty line) returns an error wrapping ErrBadHeader.
func ParseHeader(b []byte) (code int, desc string, h map[string][]string, err error) {
	if !bytes.HasPrefix(b, []byte(headerVersion)) {
		return 0, "", nil, headerErr("no "+headerVersion+" prefix", b)
	}
	rest := b[len(headerVersion):]
	status, rest, bad := headerLine(rest)
	if bad != "" {
		return 0, "", nil, headerErr(bad, b)
	}
	if len(status) > 0 {
		if !isSpace(status[0]) {
			return 0, "", nil, headerErr("bad status line", b)
		}
		status = trimSpace(status)
	}
	if len(status) > 0 {
		if len(status) < 3 || !isDigit(status[0]) || !isDigit(status[1]) || !isDigit(status[2]) ||
			(len(status) > 3 && !isSpace(status[3])) {
			return 0, "", nil, headerErr("status code is not three digits", b)
		}
		code = int(status[0]-'0')*100 + int(status[1]-'0')*10 + int(status[2]-'0')
		desc = string(trimSpace(status[3:]))
	}
	if len(rest) == 0 {
		return 0, "", nil, headerErr("missing CRLF terminator", b)
	}
	if bytes.Equal(rest, []byte("\r\n")) {
		return code, desc, nil, nil // a status line alone: no copy, no map
	}
	// Keys and values are cut out of one copy of the key lines, and the first value of
	// each key is a one-element window on one shared array: a block of n lines costs
	// three or four allocations instead of 3n+1. A repeated key's append copies its
	// values out (the window's capacity is one), so keys never share an array.
	str := string(rest)
	n := max(bytes.Count(rest, []byte{'\n'})-1, 0) // key lines, if the block is well formed
	vals := make([]string, n)
	h = make(map[string][]string, n)
	at := 0 // offset of rest (and str) where the next line starts
	for {
		var line []byte
		line, rest, bad = headerLine(rest)
		if bad != "" {
			return 0, "", nil, headerErr(bad, b)
		}
		if len(line) == 0 {
			if len(rest) > 0 {
				return 0, "", nil, headerErr("data after the end of the header", b)
			}
			return code, desc, h, nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return 0, "", nil, headerErr(fmt.Sprintf("line %s has no ':'", excerpt(line)), b)
		}
		ks, ke := span(line[:colon])
		if ks == ke {
			return 0, "", nil, headerErr(fmt.Sprintf("line %s has an empty key", excerpt(line)), b)
		}
		vs, ve := span(line[colon+1:])
		k := str[at+ks : at+ke]
		v := str[at+colon+1+vs : at+colon+1+ve]
		if old, ok := h[k]; ok || len(vals) == 0 {
			h[k] = append(old, v)
		} else {
			vals[0] = v
			h[k], vals = vals[:1:1], vals[1:]
		}
		at += len(line) + 2
	}
}

// headerLine splits off the line that starts b, up to its CRLF. bad says
// what is wrong when no CRLF ends it or it holds a bare CR or LF.
func headerLine(b []byte) (line, rest []byte, bad string) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil, nil, "missing CRLF terminator"
	}
	if i == 0 || b[i-1] != '\r' || bytes.IndexByte(b[:i-1], '\r') >= 0 {
		return nil, nil, "bare CR or LF in a line"
	}
	return b[:i-1], b[i+1:], ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func headerErr(what string, b []byte) error {
	return fmt.Errorf("%w: %s: %s", ErrBadHeader, what, excerpt(b))
}

// ValidHeaderKey reports whether k can be a header key: non-empty, printable
// ASCII (33 to 126) and no ':'.
func ValidHeaderKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// ValidHeaderValue reports whether v can be a header value: it holds no CR
// or LF.
func ValidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == '\r' || v[i] == '\n' {
			return false
		}
	}
	return true
}
