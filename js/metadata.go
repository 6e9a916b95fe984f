package js

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SequencePair is a message's sequence in its stream and in its consumer.
type SequencePair struct {
	Stream   uint64
	Consumer uint64
}

// Metadata is what a JetStream message's acknowledgement subject says about it.
type Metadata struct {
	// Sequence is the message's stream sequence and its delivery's consumer sequence.
	Sequence SequencePair
	// NumDelivered counts the deliveries of this message, this one included.
	NumDelivered uint64
	// NumPending is how many messages of the consumer's filter follow this one.
	NumPending uint64
	// Timestamp is when the message was stored.
	Timestamp time.Time
	// Stream and Consumer name the stream and the consumer.
	Stream   string
	Consumer string
	// Domain is the JetStream domain ("" when there is none).
	Domain string
}

// ackPrefix starts every acknowledgement subject.
const ackPrefix = "$JS.ACK."

// Metadata parses the message's acknowledgement subject, in either of its formats
// (ADR-15): "$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>" and
// the one with the domain and account hash after "$JS.ACK." (and possibly further
// tokens at the end). It returns ErrNotJSMessage for any other reply subject.
func (m *Msg) Metadata() (*Metadata, error) { return parseMetadata(m.Reply) }

func parseMetadata(reply string) (*Metadata, error) {
	if !strings.HasPrefix(reply, ackPrefix) {
		return nil, fmt.Errorf("%w: reply subject %q", ErrNotJSMessage, reply)
	}
	// The tokens after the prefix, the first nine kept (in an array: this runs for every
	// message of an ordered consumer or a KV watcher), all counted.
	var tok [9]string
	count := 0
	for t := range strings.SplitSeq(reply[len(ackPrefix):], ".") {
		if count < len(tok) {
			tok[count] = t
		}
		count++
	}
	var md Metadata
	var t []string
	switch {
	case count == 7:
		md.Stream, md.Consumer = tok[0], tok[1]
		t = tok[2:7]
	case count >= 9:
		if tok[0] != "_" {
			md.Domain = tok[0]
		}
		md.Stream, md.Consumer = tok[2], tok[3]
		t = tok[4:9]
	default:
		return nil, fmt.Errorf("%w: reply subject %q has %d tokens", ErrNotJSMessage, reply, count+2)
	}
	var n [5]uint64
	for i := range n {
		v, err := strconv.ParseUint(t[i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: reply subject %q: %w", ErrNotJSMessage, reply, err)
		}
		n[i] = v
	}
	md.NumDelivered = n[0]
	md.Sequence = SequencePair{Stream: n[1], Consumer: n[2]}
	md.Timestamp = time.Unix(0, int64(n[3]))
	md.NumPending = n[4]
	if md.Stream == "" || md.Consumer == "" {
		return nil, fmt.Errorf("%w: reply subject %q", ErrNotJSMessage, reply)
	}
	return &md, nil
}
