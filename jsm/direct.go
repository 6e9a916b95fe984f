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
	subject := m.prefix + ".DIRECT.GET." + stream
	var body []byte
	if req.LastFor != "" && proto.ValidatePublishSubject(req.LastFor) == nil {
		// The subject-appended form, so that permissions can be granted per subject.
		subject += "." + req.LastFor
	} else {
		body = mustJSON(req)
	}
	reply, err := m.c.Request(ctx, subject, body)
	if err != nil {
		return nil, err
	}
	if err := directStatus(reply); err != nil {
		return nil, err
	}
	msg, _, err := directMsg(reply, directHeaders)
	return msg, err
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

// directMsg takes the describing headers (names, the last value of each) off a direct
// get reply and builds the message from them; it also returns the headers taken.
func directMsg(reply *conn.Msg, names []string) (*RawStreamMsg, map[string]string, error) {
	h := conn.Header{}
	for k, v := range reply.Header {
		h[k] = append([]string(nil), v...)
	}
	taken := make(map[string]string, len(names))
	for _, name := range names {
		key := name
		if _, ok := h[key]; !ok {
			for k := range h {
				if strings.EqualFold(k, name) {
					key = k
					break
				}
			}
		}
		v := h[key]
		if len(v) == 0 {
			continue
		}
		taken[name] = v[len(v)-1]
		if len(v) == 1 {
			delete(h, key)
		} else {
			h[key] = v[:len(v)-1]
		}
	}
	seq, err := strconv.ParseUint(taken[hdrSequence], 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: direct get reply without a valid %s", ErrBadResponse, hdrSequence)
	}
	ts, err := time.Parse(time.RFC3339Nano, taken[hdrTimeStamp])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: direct get reply with %s %q", ErrBadResponse, hdrTimeStamp, taken[hdrTimeStamp])
	}
	msg := &RawStreamMsg{Subject: taken[hdrSubject], Sequence: seq, Time: ts}
	if len(h) > 0 {
		msg.Header = h
	}
	if len(reply.Data) > 0 {
		msg.Data = reply.Data
	}
	return msg, taken, nil
}

// mustJSON encodes a request type that cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
