package jsm

import (
	"context"
	"fmt"
)

// StepDownStreamLeader asks the leader of a replicated stream to step down, so that
// another replica is elected (a stream of one replica answers with an error). It
// returns once the old leader accepted; the election itself takes a moment more, during
// which publishes to the stream get no answer.
func (m *Manager) StepDownStreamLeader(ctx context.Context, stream string) error {
	if err := validateName("stream", stream); err != nil {
		return err
	}
	var resp apiSuccess
	if err := m.APIRequest(ctx, "STREAM.LEADER.STEPDOWN."+stream, nil, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("%w: stream %q leader did not step down", ErrBadResponse, stream)
	}
	return nil
}

// StepDownConsumerLeader asks the leader of a replicated consumer to step down, so that
// another replica is elected. It returns once the old leader accepted.
func (m *Manager) StepDownConsumerLeader(ctx context.Context, stream, consumer string) error {
	if err := validateName("stream", stream); err != nil {
		return err
	}
	if err := validateName("consumer", consumer); err != nil {
		return err
	}
	var resp apiSuccess
	if err := m.APIRequest(ctx, "CONSUMER.LEADER.STEPDOWN."+stream+"."+consumer, nil, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return fmt.Errorf("%w: consumer %q of %q leader did not step down", ErrBadResponse, consumer, stream)
	}
	return nil
}
