package jsm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/proto"
)

// RawStreamMsg is a message read from a stream: the subject it was stored under, its
// stream sequence, its own headers (nil when it has none; the headers a direct get
// adds to describe it are taken off), its payload and the time it was stored.
type RawStreamMsg struct {
	Subject  string
	Sequence uint64
	Header   conn.Header
	Data     []byte
	Time     time.Time
}

// msgGetRequest is the body of $JS.API.STREAM.MSG.GET and $JS.API.DIRECT.GET.
type msgGetRequest struct {
	Seq          uint64     `json:"seq,omitempty"`
	LastFor      string     `json:"last_by_subj,omitempty"`
	NextFor      string     `json:"next_by_subj,omitempty"`
	Batch        int        `json:"batch,omitempty"`
	MaxBytes     int        `json:"max_bytes,omitempty"`
	StartTime    *time.Time `json:"start_time,omitempty"`
	MultiLastFor []string   `json:"multi_last,omitempty"`
	UpToSeq      uint64     `json:"up_to_seq,omitempty"`
	UpToTime     *time.Time `json:"up_to_time,omitempty"`
}

// storedMsg is a message in a $JS.API.STREAM.MSG.GET answer.
type storedMsg struct {
	Subject  string    `json:"subject"`
	Sequence uint64    `json:"seq"`
	Header   []byte    `json:"hdrs,omitempty"`
	Data     []byte    `json:"data,omitempty"`
	Time     time.Time `json:"time"`
}

// GetMsg reads the message with sequence seq from stream (ErrMsgNotFound when there is
// none). It uses a direct get when the stream allows it (StreamConfig.AllowDirect),
// which any replica or mirror may answer, and the leader's API otherwise. It blocks
// until the answer, ctx's end, or the Manager's timeout when ctx has no deadline.
func (m *Manager) GetMsg(ctx context.Context, stream string, seq uint64) (*RawStreamMsg, error) {
	if seq == 0 {
		return nil, fmt.Errorf("%w: sequence 0", ErrInvalidOption)
	}
	return m.getMsg(ctx, stream, msgGetRequest{Seq: seq})
}

// GetLastMsg reads the last message stored under subject (wildcards allowed) in
// stream, as GetMsg does.
func (m *Manager) GetLastMsg(ctx context.Context, stream, subject string) (*RawStreamMsg, error) {
	if subject == "" {
		return nil, fmt.Errorf("%w: empty subject", ErrInvalidOption)
	}
	return m.getMsg(ctx, stream, msgGetRequest{LastFor: subject})
}

// GetNextMsg reads the first message at or after sequence seq whose subject matches
// subject ("" for any), as GetMsg does.
func (m *Manager) GetNextMsg(ctx context.Context, stream string, seq uint64, subject string) (*RawStreamMsg, error) {
	if subject == "" {
		subject = ">"
	}
	return m.getMsg(ctx, stream, msgGetRequest{Seq: max(seq, 1), NextFor: subject})
}

func (m *Manager) getMsg(ctx context.Context, stream string, req msgGetRequest) (*RawStreamMsg, error) {
	if err := validateName("stream", stream); err != nil {
		return nil, err
	}
	if m.optErr != nil {
		return nil, m.optErr
	}
	if _, no := m.noDirect.Load(stream); !no {
		msg, err := m.directGet(ctx, stream, req)
		if !errors.Is(err, conn.ErrNoResponders) {
			return msg, err
		}
		// No direct responder: the stream does not allow it, or does not exist.
		m.noDirect.Store(stream, struct{}{})
	}
	var resp struct {
		Message *storedMsg `json:"message"`
	}
	if err := m.APIRequest(ctx, "STREAM.MSG.GET."+stream, req, &resp); err != nil {
		return nil, err
	}
	if resp.Message == nil {
		return nil, fmt.Errorf("%w: no message in the answer", ErrBadResponse)
	}
	sm := resp.Message
	msg := &RawStreamMsg{Subject: sm.Subject, Sequence: sm.Sequence, Data: sm.Data, Time: sm.Time}
	if len(sm.Header) > 0 {
		_, _, h, err := proto.ParseHeader(sm.Header)
		if err != nil {
			return nil, fmt.Errorf("%w: message headers: %w", ErrBadResponse, err)
		}
		if len(h) > 0 {
			msg.Header = conn.Header(h)
		}
	}
	return msg, nil
}

type msgDeleteRequest struct {
	Seq     uint64 `json:"seq"`
	NoErase bool   `json:"no_erase,omitempty"`
}

// DeleteMsg removes the message with sequence seq from stream (ErrMsgNotFound when
// there is none), leaving its bytes in the store until they are compacted away. It
// blocks until the answer, ctx's end, or the Manager's timeout when ctx has no deadline.
func (m *Manager) DeleteMsg(ctx context.Context, stream string, seq uint64) error {
	return m.deleteMsg(ctx, stream, msgDeleteRequest{Seq: seq, NoErase: true})
}

// SecureDeleteMsg is DeleteMsg that also overwrites the message's bytes in the store.
func (m *Manager) SecureDeleteMsg(ctx context.Context, stream string, seq uint64) error {
	return m.deleteMsg(ctx, stream, msgDeleteRequest{Seq: seq})
}

func (m *Manager) deleteMsg(ctx context.Context, stream string, req msgDeleteRequest) error {
	if err := validateName("stream", stream); err != nil {
		return err
	}
	var resp apiSuccess
	if err := m.APIRequest(ctx, "STREAM.MSG.DELETE."+stream, req, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("%w: message %d not deleted", ErrBadResponse, req.Seq)
	}
	return nil
}

// PurgeOption narrows PurgeStream.
type PurgeOption func(*purgeRequest) error

type purgeRequest struct {
	Sequence uint64 `json:"seq,omitempty"`
	Subject  string `json:"filter,omitempty"`
	Keep     uint64 `json:"keep,omitempty"`
}

// PurgeSubject purges only the messages whose subject matches subject (wildcards allowed).
func PurgeSubject(subject string) PurgeOption {
	return func(r *purgeRequest) error {
		if subject == "" {
			return fmt.Errorf("%w: empty purge subject", ErrInvalidOption)
		}
		r.Subject = subject
		return nil
	}
}

// PurgeSequence purges the messages below sequence seq (not seq itself).
func PurgeSequence(seq uint64) PurgeOption {
	return func(r *purgeRequest) error {
		if seq == 0 {
			return fmt.Errorf("%w: purge sequence 0", ErrInvalidOption)
		}
		r.Sequence = seq
		return nil
	}
}

// PurgeKeep keeps the newest n messages (of the subject, with PurgeSubject). It cannot
// be combined with PurgeSequence; the server rejects that.
func PurgeKeep(n uint64) PurgeOption {
	return func(r *purgeRequest) error {
		r.Keep = n
		return nil
	}
}

// PurgeStream removes messages from stream: all of them, or those the options select.
// It returns how many were removed. It blocks until the answer, ctx's end, or the
// Manager's timeout when ctx has no deadline.
func (m *Manager) PurgeStream(ctx context.Context, stream string, opts ...PurgeOption) (uint64, error) {
	if err := validateName("stream", stream); err != nil {
		return 0, err
	}
	var req purgeRequest
	for _, o := range opts {
		if err := o(&req); err != nil {
			return 0, err
		}
	}
	var body any
	if req != (purgeRequest{}) {
		body = req
	}
	var resp struct {
		Success bool   `json:"success"`
		Purged  uint64 `json:"purged"`
	}
	if err := m.APIRequest(ctx, "STREAM.PURGE."+stream, body, &resp); err != nil {
		return 0, err
	}
	if !resp.Success {
		return 0, fmt.Errorf("%w: stream %q not purged", ErrBadResponse, stream)
	}
	return resp.Purged, nil
}
