package jsm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"time"
)

// AddStream creates a stream, or returns the existing one when a stream of that name
// has the same configuration. A stream of that name with another configuration gives
// ErrStreamNameInUse; a configuration the server rejects gives its *APIError as it
// came. It blocks until the server answers, ctx ends, or the Manager's timeout passes
// when ctx has no deadline.
//
// A server that has just deleted the account's last stream removes the account's
// streams directory in the background, and a create racing with that removal fails
// with "error creating store for stream" (err_code 10049) although nothing is wrong.
// AddStream retries that answer a few times, within ctx, before returning it.
func (m *Manager) AddStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	wait := storeRetryFirst
	for attempt := 1; ; attempt++ {
		info, err := m.putStream(ctx, "STREAM.CREATE.", cfg)
		if attempt == storeRetries || !errors.Is(err, errStoreFailed) {
			return info, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, err
		}
		wait *= 2
	}
}

// storeRetries and storeRetryFirst bound AddStream's retries of errStoreFailed: five
// attempts over about 150 ms, far longer than the server's directory removal takes.
const (
	storeRetries    = 5
	storeRetryFirst = 10 * time.Millisecond
)

// errStoreFailed matches the server's "error creating store for stream" (10049).
var errStoreFailed = &APIError{ErrCode: 10049}

// UpdateStream changes the configuration of an existing stream (ErrStreamNotFound when
// there is none). It blocks as AddStream does.
func (m *Manager) UpdateStream(ctx context.Context, cfg StreamConfig) (*StreamInfo, error) {
	return m.putStream(ctx, "STREAM.UPDATE.", cfg)
}

func (m *Manager) putStream(ctx context.Context, api string, cfg StreamConfig) (*StreamInfo, error) {
	if err := validateName("stream", cfg.Name); err != nil {
		return nil, err
	}
	var info StreamInfo
	if err := m.APIRequest(ctx, api+cfg.Name, cfg, &info); err != nil {
		return nil, err
	}
	m.learn(&info)
	return &info, nil
}

// learn records whether a stream answers direct gets.
func (m *Manager) learn(info *StreamInfo) {
	if info.Config.AllowDirect {
		m.noDirect.Delete(info.Config.Name)
	} else {
		m.noDirect.Store(info.Config.Name, struct{}{})
	}
}

// DeleteStream deletes a stream with all its messages and consumers. It blocks as
// AddStream does; a missing stream gives ErrStreamNotFound.
func (m *Manager) DeleteStream(ctx context.Context, name string) error {
	if err := validateName("stream", name); err != nil {
		return err
	}
	var resp apiSuccess
	if err := m.APIRequest(ctx, "STREAM.DELETE."+name, nil, &resp); err != nil {
		return err
	}
	m.noDirect.Delete(name)
	if !resp.Success {
		return fmt.Errorf("%w: stream %q not deleted", ErrBadResponse, name)
	}
	return nil
}

// StreamInfoOption asks StreamInfo for more detail.
type StreamInfoOption func(*streamInfoRequest) error

type streamInfoRequest struct {
	Offset         int    `json:"offset,omitempty"`
	DeletedDetails bool   `json:"deleted_details,omitempty"`
	SubjectsFilter string `json:"subjects_filter,omitempty"`
}

// StreamInfoDeletedDetails fills State.Deleted with the interior deleted sequences.
func StreamInfoDeletedDetails() StreamInfoOption {
	return func(r *streamInfoRequest) error { r.DeletedDetails = true; return nil }
}

// StreamInfoSubjects fills State.Subjects with the message count of every subject
// matching filter (wildcards allowed, ">" for all). Large answers come in pages that
// StreamInfo gathers.
func StreamInfoSubjects(filter string) StreamInfoOption {
	return func(r *streamInfoRequest) error {
		if filter == "" {
			return fmt.Errorf("%w: empty subjects filter", ErrInvalidOption)
		}
		r.SubjectsFilter = filter
		return nil
	}
}

type streamInfoResponse struct {
	apiPaged
	StreamInfo
}

// StreamInfo returns a stream's configuration and state (ErrStreamNotFound when there
// is none). It blocks until the server answered every page, ctx ends, or the Manager's
// timeout passes for a request when ctx has no deadline.
func (m *Manager) StreamInfo(ctx context.Context, name string, opts ...StreamInfoOption) (*StreamInfo, error) {
	if err := validateName("stream", name); err != nil {
		return nil, err
	}
	var req streamInfoRequest
	for _, o := range opts {
		if err := o(&req); err != nil {
			return nil, err
		}
	}
	var info *StreamInfo
	subjects := map[string]uint64{}
	for {
		var body any
		if req != (streamInfoRequest{}) {
			body = req
		}
		var resp streamInfoResponse
		if err := m.APIRequest(ctx, "STREAM.INFO."+name, body, &resp); err != nil {
			return nil, err
		}
		if info == nil {
			info = &resp.StreamInfo
		}
		maps.Copy(subjects, resp.State.Subjects)
		got := len(resp.State.Subjects)
		if req.SubjectsFilter == "" || got == 0 || resp.Offset+got >= resp.Total {
			break
		}
		req.Offset = resp.Offset + got
	}
	if len(subjects) > 0 {
		info.State.Subjects = subjects
	}
	m.learn(info)
	return info, nil
}

// ListOption narrows Streams and StreamNames.
type ListOption func(*streamListRequest) error

type streamListRequest struct {
	Offset  int    `json:"offset"`
	Subject string `json:"subject,omitempty"`
}

// ListSubject keeps the streams whose subjects overlap subject (wildcards allowed).
func ListSubject(subject string) ListOption {
	return func(r *streamListRequest) error {
		if subject == "" {
			return fmt.Errorf("%w: empty subject", ErrInvalidOption)
		}
		r.Subject = subject
		return nil
	}
}

func listRequest(opts []ListOption) (streamListRequest, error) {
	var req streamListRequest
	for _, o := range opts {
		if err := o(&req); err != nil {
			return req, err
		}
	}
	return req, nil
}

// Streams iterates over the information of every stream of the account, asking the
// server page by page (256 streams each) as the loop goes. The iteration ends with an
// error yielded as its last pair, or when ctx ends; each page's request is bounded by
// the Manager's timeout when ctx has no deadline.
func (m *Manager) Streams(ctx context.Context, opts ...ListOption) iter.Seq2[*StreamInfo, error] {
	req, err := listRequest(opts)
	return paged(ctx, func(ctx context.Context, offset int) ([]*StreamInfo, int, error) {
		if err != nil {
			return nil, 0, err
		}
		req.Offset = offset
		var resp struct {
			apiPaged
			Streams []*StreamInfo `json:"streams"`
		}
		if err := m.APIRequest(ctx, "STREAM.LIST", req, &resp); err != nil {
			return nil, 0, err
		}
		for _, si := range resp.Streams {
			m.learn(si)
		}
		return resp.Streams, resp.Total, nil
	})
}

// StreamNames iterates over the names of the account's streams, page by page (1024
// names each), as Streams does.
func (m *Manager) StreamNames(ctx context.Context, opts ...ListOption) iter.Seq2[string, error] {
	req, err := listRequest(opts)
	return paged(ctx, func(ctx context.Context, offset int) ([]string, int, error) {
		if err != nil {
			return nil, 0, err
		}
		req.Offset = offset
		return m.names(ctx, req)
	})
}

func (m *Manager) names(ctx context.Context, req streamListRequest) ([]string, int, error) {
	var resp struct {
		apiPaged
		Streams []string `json:"streams"`
	}
	if err := m.APIRequest(ctx, "STREAM.NAMES", req, &resp); err != nil {
		return nil, 0, err
	}
	return resp.Streams, resp.Total, nil
}

// StreamNameBySubject returns the name of the stream that captures subject
// (ErrStreamNotFound when none does). With wildcards, the first of the streams whose
// subjects overlap it. It blocks as AddStream does.
func (m *Manager) StreamNameBySubject(ctx context.Context, subject string) (string, error) {
	if subject == "" {
		return "", fmt.Errorf("%w: empty subject", ErrInvalidOption)
	}
	names, _, err := m.names(ctx, streamListRequest{Subject: subject})
	if err != nil {
		return "", err
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%w: no stream captures %q", ErrStreamNotFound, subject)
	}
	return names[0], nil
}
