package jsm

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/proto"
)

// Headers a direct get adds to the stored message (ADR-31).
const (
	hdrStream     = "Nats-Stream"
	hdrSubject    = "Nats-Subject"
	hdrSequence   = "Nats-Sequence"
	hdrTimeStamp  = "Nats-Time-Stamp"
	hdrNumPending = "Nats-Num-Pending"
	hdrLastSeq    = "Nats-Last-Sequence"
	hdrUpToSeq    = "Nats-UpTo-Sequence"
)

var (
	directHeaders = []string{hdrStream, hdrSubject, hdrSequence, hdrTimeStamp}
	batchHeaders  = []string{hdrStream, hdrSubject, hdrSequence, hdrTimeStamp, hdrNumPending, hdrLastSeq}
)

// directGet reads one message through $JS.API.DIRECT.GET. It returns
// conn.ErrNoResponders when the stream has no direct responder.
func (m *Manager) directGet(ctx context.Context, stream string, req msgGetRequest) (*RawStreamMsg, error) {
	ctx, cancel := m.WithDefaultTimeout(ctx)
	defer cancel()
	var subject string
	var body []byte
	if req.LastFor != "" && proto.ValidatePublishSubject(req.LastFor) == nil {
		// The subject-appended form, so that permissions can be granted per subject.
		subject = m.prefix + ".DIRECT.GET." + stream + "." + req.LastFor // one allocation
	} else {
		subject, body = m.prefix+".DIRECT.GET."+stream, mustJSON(req)
	}
	reply, err := m.c.Request(ctx, subject, body)
	if err != nil {
		return nil, err
	}
	if err := directStatus(reply); err != nil {
		return nil, err
	}
	return directMsg(reply, directHeaders)
}

// directStatus turns the status of a direct get reply into an *APIError. A 404 gets
// the API's "no message found" error code, so that it matches ErrMsgNotFound.
func directStatus(reply *conn.Msg) error {
	code, desc := reply.Status()
	if code == 0 {
		return nil
	}
	e := &APIError{Code: code, Description: desc}
	if code == 404 {
		e.ErrCode = errMsgNotFoundCode
	}
	return e
}

// directMsg builds the message of a direct get reply, taking the describing headers
// (names; the last value of each, matched without regard to case) off the reply's
// header, whatever is left being the stored message's own. It takes them off in place:
// the reply is the caller's alone and is not used afterwards, so its header map
// becomes the message's without a copy.
func directMsg(reply *conn.Msg, names []string) (*RawStreamMsg, error) {
	h := reply.Header
	msg := &RawStreamMsg{}
	var seq, ts string
	for _, name := range names {
		v := takeLast(h, name)
		switch name {
		case hdrSubject:
			msg.Subject = v
		case hdrSequence:
			seq = v
		case hdrTimeStamp:
			ts = v
		}
	}
	var err error
	if msg.Sequence, err = strconv.ParseUint(seq, 10, 64); err != nil {
		return nil, fmt.Errorf("%w: direct get reply without a valid %s", ErrBadResponse, hdrSequence)
	}
	if msg.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return nil, fmt.Errorf("%w: direct get reply with %s %q", ErrBadResponse, hdrTimeStamp, ts)
	}
	if len(h) > 0 {
		msg.Header = h
	}
	if len(reply.Data) > 0 {
		msg.Data = reply.Data
	}
	return msg, nil
}

// takeLast removes the last value of name from h and returns it ("" when there is
// none); the key goes with its last value.
func takeLast(h conn.Header, name string) string {
	key := name
	vs, ok := h[key]
	if !ok {
		for k, v := range h {
			if strings.EqualFold(k, name) {
				key, vs = k, v
				break
			}
		}
	}
	if len(vs) == 0 {
		return ""
	}
	if len(vs) == 1 {
		delete(h, key)
	} else {
		h[key] = vs[:len(vs)-1]
	}
	return vs[len(vs)-1]
}

// mustJSON encodes a request type that cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
