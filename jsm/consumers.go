package jsm

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/natsactor/natsactor/proto"
)

// DefaultInactiveThreshold is given to ephemeral consumers (no Durable) created with
// a zero InactiveThreshold: the server removes them after this long without activity.
// It is the server's own default for ephemerals, made explicit so that it shows in
// the consumer's configuration whatever server version runs it.
const DefaultInactiveThreshold = 5 * time.Second

// consumerAction is the "action" of a create request: "" creates or updates.
type consumerAction string

const (
	actionCreateOrUpdate consumerAction = ""
	actionCreate         consumerAction = "create"
	actionUpdate         consumerAction = "update"
)

type createConsumerRequest struct {
	Stream string         `json:"stream_name"`
	Config ConsumerConfig `json:"config"`
	Action consumerAction `json:"action"`
}

// AddConsumer creates a consumer on stream, or updates it if one of that name exists.
// The name is cfg.Name, else cfg.Durable; with neither the consumer is ephemeral and
// named by the server. Ephemeral consumers without an InactiveThreshold get
// DefaultInactiveThreshold. A configuration the server rejects gives its *APIError.
// It blocks until the server answers, ctx ends, or the Manager's timeout passes when
// ctx has no deadline.
func (m *Manager) AddConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*ConsumerInfo, error) {
	return m.putConsumer(ctx, stream, cfg, actionCreateOrUpdate)
}

// CreateConsumer is AddConsumer that only creates: a consumer of that name with
// another configuration gives ErrConsumerExists (the same configuration succeeds).
func (m *Manager) CreateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*ConsumerInfo, error) {
	return m.putConsumer(ctx, stream, cfg, actionCreate)
}

// UpdateConsumer is AddConsumer that only updates: a missing consumer gives
// ErrConsumerNotFound.
func (m *Manager) UpdateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*ConsumerInfo, error) {
	return m.putConsumer(ctx, stream, cfg, actionUpdate)
}

func (m *Manager) putConsumer(ctx context.Context, stream string, cfg ConsumerConfig, action consumerAction) (*ConsumerInfo, error) {
	if err := validateName("stream", stream); err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Durable
	}
	if cfg.Durable != "" {
		if err := validateName("durable consumer", cfg.Durable); err != nil {
			return nil, err
		}
	}
	subject := "CONSUMER.CREATE." + stream
	if name != "" {
		if err := validateName("consumer", name); err != nil {
			return nil, err
		}
		subject += "." + name
		// A single literal filter goes into the subject too, so that permissions can
		// be granted per filter.
		if f := cfg.FilterSubject; f != "" && len(cfg.FilterSubjects) == 0 && proto.ValidatePublishSubject(f) == nil {
			subject += "." + f
		}
	} else if action == actionUpdate {
		return nil, fmt.Errorf("%w: updating a consumer needs its name", ErrInvalidName)
	}
	if cfg.Durable == "" && cfg.InactiveThreshold == 0 {
		cfg.InactiveThreshold = DefaultInactiveThreshold
	}
	var info ConsumerInfo
	err := m.APIRequest(ctx, subject, createConsumerRequest{Stream: stream, Config: cfg, Action: action}, &info)
	if err != nil {
		return nil, err
	}
	return &info, nil
}

func consumerSubject(api, stream, consumer string) (string, error) {
	if err := validateName("stream", stream); err != nil {
		return "", err
	}
	if err := validateName("consumer", consumer); err != nil {
		return "", err
	}
	return api + stream + "." + consumer, nil
}

// DeleteConsumer deletes a consumer (ErrConsumerNotFound when there is none). It
// blocks as AddConsumer does.
func (m *Manager) DeleteConsumer(ctx context.Context, stream, consumer string) error {
	subject, err := consumerSubject("CONSUMER.DELETE.", stream, consumer)
	if err != nil {
		return err
	}
	var resp apiSuccess
	if err := m.APIRequest(ctx, subject, nil, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("%w: consumer %q not deleted", ErrBadResponse, consumer)
	}
	return nil
}

// ConsumerInfo returns a consumer's configuration and state (ErrConsumerNotFound when
// there is none, ErrStreamNotFound without the stream). It blocks as AddConsumer does.
func (m *Manager) ConsumerInfo(ctx context.Context, stream, consumer string) (*ConsumerInfo, error) {
	subject, err := consumerSubject("CONSUMER.INFO.", stream, consumer)
	if err != nil {
		return nil, err
	}
	var info ConsumerInfo
	if err := m.APIRequest(ctx, subject, nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// PauseResponse is the state of a consumer after PauseConsumer or ResumeConsumer.
type PauseResponse struct {
	Paused         bool          `json:"paused"`
	PauseUntil     time.Time     `json:"pause_until"`
	PauseRemaining time.Duration `json:"pause_remaining,omitempty"`
}

// PauseConsumer stops a consumer from delivering until the time until (servers 2.11
// and newer); a time in the past resumes it. It blocks as AddConsumer does.
func (m *Manager) PauseConsumer(ctx context.Context, stream, consumer string, until time.Time) (*PauseResponse, error) {
	subject, err := consumerSubject("CONSUMER.PAUSE.", stream, consumer)
	if err != nil {
		return nil, err
	}
	var body any
	if !until.IsZero() {
		body = struct {
			PauseUntil time.Time `json:"pause_until"`
		}{until}
	}
	var resp PauseResponse
	if err := m.APIRequest(ctx, subject, body, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ResumeConsumer lets a paused consumer deliver again. It blocks as AddConsumer does.
func (m *Manager) ResumeConsumer(ctx context.Context, stream, consumer string) (*PauseResponse, error) {
	return m.PauseConsumer(ctx, stream, consumer, time.Time{})
}

// UnpinConsumer releases the pinned client of a consumer's priority group (ADR-42,
// policy PriorityPinnedClient), so that the next pull gets the pin. It blocks as
// AddConsumer does.
func (m *Manager) UnpinConsumer(ctx context.Context, stream, consumer, group string) error {
	subject, err := consumerSubject("CONSUMER.UNPIN.", stream, consumer)
	if err != nil {
		return err
	}
	if group == "" || strings.ContainsAny(group, " \t\r\n") {
		return fmt.Errorf("%w: priority group %q", ErrInvalidOption, group)
	}
	return m.APIRequest(ctx, subject, struct {
		Group string `json:"group"`
	}{group}, nil)
}

type offsetRequest struct {
	Offset int `json:"offset"`
}

// Consumers iterates over the information of every consumer of stream, page by page
// (256 each) as the loop goes. Errors and ctx end the iteration as in Streams.
func (m *Manager) Consumers(ctx context.Context, stream string) iter.Seq2[*ConsumerInfo, error] {
	err := validateName("stream", stream)
	return paged(ctx, func(ctx context.Context, offset int) ([]*ConsumerInfo, int, error) {
		if err != nil {
			return nil, 0, err
		}
		var resp struct {
			apiPaged
			Consumers []*ConsumerInfo `json:"consumers"`
		}
		if err := m.APIRequest(ctx, "CONSUMER.LIST."+stream, offsetRequest{offset}, &resp); err != nil {
			return nil, 0, err
		}
		return resp.Consumers, resp.Total, nil
	})
}

// ConsumerNames iterates over the names of the consumers of stream, page by page
// (1024 each), as Consumers does.
func (m *Manager) ConsumerNames(ctx context.Context, stream string) iter.Seq2[string, error] {
	err := validateName("stream", stream)
	return paged(ctx, func(ctx context.Context, offset int) ([]string, int, error) {
		if err != nil {
			return nil, 0, err
		}
		var resp struct {
			apiPaged
			Consumers []string `json:"consumers"`
		}
		if err := m.APIRequest(ctx, "CONSUMER.NAMES."+stream, offsetRequest{offset}, &resp); err != nil {
			return nil, 0, err
		}
		return resp.Consumers, resp.Total, nil
	})
}
