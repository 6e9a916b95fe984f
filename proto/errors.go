package proto

import (
	"errors"
	"strconv"
)

// Sentinel errors. The errors the parser, ParseHeader and the name
// validators return wrap one of them, so callers test with errors.Is.
var (
	// ErrProtocol reports input from the server that does not follow the
	// NATS client protocol.
	ErrProtocol = errors.New("nats: protocol error")
	// ErrBadSubject reports a subject that is not valid for the use asked.
	ErrBadSubject = errors.New("nats: invalid subject")
	// ErrBadQueue reports an invalid queue group name.
	ErrBadQueue = errors.New("nats: invalid queue name")
	// ErrBadHeader reports a malformed NATS header block.
	ErrBadHeader = errors.New("nats: invalid header")
)

// excerptLen is how many bytes of offending input an error message shows.
const excerptLen = 32

// excerpt quotes at most excerptLen bytes of b for an error message, marking
// a cut with "...". It runs only on error paths.
func excerpt(b []byte) string {
	if len(b) > excerptLen {
		return strconv.Quote(string(b[:excerptLen])) + "..."
	}
	return strconv.Quote(string(b))
}
