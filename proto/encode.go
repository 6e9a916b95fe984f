package proto

import (
	"encoding/json"
	"errors"
	"slices"
)

// PingFrame is a whole PING frame.
var PingFrame = []byte("PING\r\n")

// PongFrame is a whole PONG frame, the answer to a server's PING.
var PongFrame = []byte("PONG\r\n")

// maxUintLen is the most decimal digits a uint64 needs.
const maxUintLen = 20

// AppendPub appends a PUB frame to dst and returns the extended buffer:
//
//	PUB <subject> [reply] <size>\r\n<data>\r\n
//
// An empty reply is left out. Names are not checked (see
// ValidatePublishSubject). It grows dst at most once and allocates nothing
// else.
func AppendPub(dst []byte, subject, reply string, data []byte) []byte {
	dst = slices.Grow(dst, len("PUB   \r\n\r\n")+len(subject)+len(reply)+maxUintLen+len(data))
	dst = AppendPubHead(dst, subject, reply, len(data))
	dst = append(dst, data...)
	return append(dst, "\r\n"...)
}

// AppendPubHead appends the part of a PUB frame that comes before its size
// bytes of data, "PUB <subject> [reply] <size>\r\n", for a writer that sends
// the data from where it is, and "\r\n" after it, instead of copying it.
func AppendPubHead(dst []byte, subject, reply string, size int) []byte {
	dst = append(dst, "PUB "...)
	dst = appendNames(dst, subject, reply)
	dst = appendUint(dst, uint64(size))
	return append(dst, "\r\n"...)
}

// AppendHPub appends an HPUB frame to dst and returns the extended buffer:
//
//	HPUB <subject> [reply] <header size> <total size>\r\n<hdr><data>\r\n
//
// hdr is an encoded header block, such as AppendHeader makes; total size is
// len(hdr)+len(data). An empty reply is left out. It grows dst at most once
// and allocates nothing else.
func AppendHPub(dst []byte, subject, reply string, hdr, data []byte) []byte {
	dst = slices.Grow(dst, len("HPUB    \r\n\r\n")+len(subject)+len(reply)+2*maxUintLen+len(hdr)+len(data))
	dst = AppendHPubHead(dst, subject, reply, hdr, len(data))
	dst = append(dst, data...)
	return append(dst, "\r\n"...)
}

// AppendHPubHead is AppendPubHead for an HPUB frame: it appends everything
// before the size bytes of data, the header block hdr included.
func AppendHPubHead(dst []byte, subject, reply string, hdr []byte, size int) []byte {
	dst = append(dst, "HPUB "...)
	dst = appendNames(dst, subject, reply)
	dst = appendUint(dst, uint64(len(hdr)))
	dst = append(dst, ' ')
	dst = appendUint(dst, uint64(len(hdr)+size))
	dst = append(dst, "\r\n"...)
	return append(dst, hdr...)
}

// AppendSub appends a SUB frame to dst and returns the extended buffer:
//
//	SUB <subject> [queue] <sid>\r\n
//
// An empty queue is left out. Names are not checked (see ValidateSubject and
// ValidateQueue).
func AppendSub(dst []byte, subject, queue string, sid uint64) []byte {
	dst = slices.Grow(dst, len("SUB   \r\n")+len(subject)+len(queue)+maxUintLen)
	dst = append(dst, "SUB "...)
	dst = appendNames(dst, subject, queue)
	dst = appendUint(dst, sid)
	return append(dst, "\r\n"...)
}

// AppendUnsub appends an UNSUB frame to dst and returns the extended buffer:
//
//	UNSUB <sid> [max]\r\n
//
// max is the number of messages after which the server ends the
// subscription; max <= 0 leaves it out, unsubscribing at once.
func AppendUnsub(dst []byte, sid uint64, max int) []byte {
	dst = slices.Grow(dst, len("UNSUB  \r\n")+2*maxUintLen)
	dst = append(dst, "UNSUB "...)
	dst = appendUint(dst, sid)
	if max > 0 {
		dst = append(dst, ' ')
		dst = appendUint(dst, uint64(max))
	}
	return append(dst, "\r\n"...)
}

// AppendConnect appends a CONNECT frame carrying c as JSON to dst and returns
// the extended buffer:
//
//	CONNECT {...}\r\n
//
// Unlike the other encoders it allocates (for the JSON); it is sent once per
// connection. It fails only for a nil c.
func AppendConnect(dst []byte, c *Connect) ([]byte, error) {
	if c == nil {
		return dst, errors.New("nats: AppendConnect: nil *Connect")
	}
	js, err := json.Marshal(c)
	if err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, len("CONNECT \r\n")+len(js))
	dst = append(dst, "CONNECT "...)
	dst = append(dst, js...)
	return append(dst, "\r\n"...), nil
}

// appendNames appends "name " and, when opt is not empty, "opt ".
func appendNames(dst []byte, name, opt string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ' ')
	if opt != "" {
		dst = append(dst, opt...)
		dst = append(dst, ' ')
	}
	return dst
}

// appendUint appends the decimal form of v.
func appendUint(dst []byte, v uint64) []byte {
	var b [maxUintLen]byte
	i := len(b)
	for v >= 10 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	b[i] = byte('0' + v)
	return append(dst, b[i:]...)
}
