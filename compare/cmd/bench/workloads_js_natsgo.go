package main

// The JetStream workloads written with nats.go's jetstream package, step for step like
// workloads_js_natsactor.go.

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsgoJetStream connects and returns a jetstream.JetStream with default options.
func natsgoJetStream(p params, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := natsgoConnect(p.URL, name)
	if err != nil {
		return nil, nil, err
	}
	j, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("nats.go jetstream: %w", err)
	}
	return nc, j, nil
}

// natsgoStream is natsactorStream with nats.go: the same stream configuration.
func natsgoStream(ctx context.Context, p params, name string) (*nats.Conn, jetstream.JetStream, benchStream, func(), error) {
	nc, j, err := natsgoJetStream(p, name)
	if err != nil {
		return nil, nil, benchStream{}, nil, err
	}
	s := newBenchStream(p)
	if _, err := j.CreateStream(ctx, jetstream.StreamConfig{
		Name:     s.name,
		Subjects: []string{s.subjects},
		Storage:  jetstream.FileStorage,
		// As natsactor's (for its js_ingest).
		AllowBatchPublish: true,
	}); err != nil {
		nc.Close()
		return nil, nil, benchStream{}, nil, fmt.Errorf("nats.go add stream: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = j.DeleteStream(dctx, s.name)
		nc.Close()
	}
	return nc, j, s, cleanup, nil
}

// natsgoPublishAll is natsactorPublishAll with nats.go.
func natsgoPublishAll(ctx context.Context, j jetstream.JetStream, subject string, data []byte, n int) error {
	return publishAll(ctx, asyncPublisher[*jetstream.PubAck, jetstream.PubAckFuture]{
		publish:  func() (jetstream.PubAckFuture, error) { return j.PublishAsync(subject, data) },
		complete: j.PublishAsyncComplete,
		pending:  j.PublishAsyncPending,
	}, n)
}

// natsgoJSPubAsync is natsactorJSPubAsync with nats.go.
func natsgoJSPubAsync(ctx context.Context, p params) (result, error) {
	_, j, s, cleanup, err := natsgoStream(ctx, p, "js-pubasync")
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	data := make([]byte, p.Size)
	return timedRate(p.N, func() error { return natsgoPublishAll(ctx, j, s.subject, data, p.N) })
}

// natsgoJSPubSync is natsactorJSPubSync with nats.go.
func natsgoJSPubSync(ctx context.Context, p params) (result, error) {
	_, j, s, cleanup, err := natsgoStream(ctx, p, "js-pubsync")
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	data := make([]byte, p.Size)
	return timedRate(p.N, func() error {
		return publishSync(p.N, func() error {
			_, err := j.Publish(ctx, s.subject, data)
			return err
		})
	})
}

// natsgoJSConsumeAck is natsactorJSConsumeAck with nats.go.
func natsgoJSConsumeAck(ctx context.Context, p params) (result, error) {
	return natsgoJSConsume(ctx, p, true)
}

// natsgoJSConsumeAckNone is natsactorJSConsumeAckNone with nats.go.
func natsgoJSConsumeAckNone(ctx context.Context, p params) (result, error) {
	return natsgoJSConsume(ctx, p, false)
}

// natsgoJSConsume is natsactorJSConsume with nats.go: the same durable consumer
// (filtered on the stream's subjects) and Consume with its default window.
func natsgoJSConsume(ctx context.Context, p params, ack bool) (result, error) {
	nc, j, s, cleanup, err := natsgoStream(ctx, p, "js-consume")
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	if err := natsgoPublishAll(ctx, j, s.subject, make([]byte, p.Size), p.N); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	policy := jetstream.AckExplicitPolicy
	if !ack {
		policy = jetstream.AckNonePolicy
	}
	cons, err := j.CreateOrUpdateConsumer(ctx, s.name, jetstream.ConsumerConfig{
		Durable:       "bench",
		AckPolicy:     policy,
		FilterSubject: s.subjects,
	})
	if err != nil {
		return result{}, fmt.Errorf("create consumer: %w", err)
	}

	cnt := newConsumeCounter(p.N)
	var cc jetstream.ConsumeContext
	defer func() {
		if cc != nil {
			cc.Stop()
		}
	}()
	r, err := timedRate(p.N, func() error {
		var err error
		cc, err = cons.Consume(func(msg jetstream.Msg) {
			if ack {
				cnt.handle(msg.Ack)
			} else {
				cnt.handle(nil)
			}
		})
		if err != nil {
			return fmt.Errorf("consume: %w", err)
		}
		if err := cnt.wait(ctx); err != nil {
			return err
		}
		return nc.FlushWithContext(ctx)
	})
	if err != nil {
		return result{}, err
	}
	return r, cnt.check(ctx, ack, func(ctx context.Context) (uint64, error) {
		ci, err := cons.Info(ctx)
		if err != nil {
			return 0, err
		}
		return ci.AckFloor.Stream, nil
	})
}
