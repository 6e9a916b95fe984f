package main

// The JetStream workloads written with natsactor's js and jsm packages. Each mirrors its
// nats.go twin in workloads_js_natsgo.go step for step: a fresh file stream per run,
// default client settings, only the work itself timed.

import (
	"context"
	"fmt"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// natsactorStream connects and creates a fresh file stream for one run. The returned
// cleanup deletes the stream (so a long bench does not fill the disk) and closes the
// connection.
func natsactorStream(ctx context.Context, p params, name string) (*conn.Conn, *js.Client, benchStream, func(), error) {
	c, err := natsactorConnect(ctx, p.URL, name)
	if err != nil {
		return nil, nil, benchStream{}, nil, err
	}
	s := newBenchStream(p)
	j := js.New(c)
	if _, err := j.Manager().AddStream(ctx, jsm.StreamConfig{
		Name:     s.name,
		Subjects: []string{s.subjects},
		Storage:  jsm.FileStorage,
		// For js_ingest's fast batches; both clients' streams set it, and nothing but
		// fast batches looks at it.
		AllowBatchPublish: true,
	}); err != nil {
		_ = c.Close()
		return nil, nil, benchStream{}, nil, fmt.Errorf("natsactor add stream: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_ = j.Manager().DeleteStream(dctx, s.name)
		_ = c.Close()
	}
	return c, j, s, cleanup, nil
}

// natsactorPublishAll publishes n messages of data with PublishAsync (default window)
// and waits for every acknowledgement.
func natsactorPublishAll(ctx context.Context, j *js.Client, subject string, data []byte, n int) error {
	return publishAll(ctx, asyncPublisher[*js.PubAck, *js.PubAckFuture]{
		publish:  func() (*js.PubAckFuture, error) { return j.PublishAsync(subject, data, js.AsyncContext(ctx)) },
		complete: j.PublishAsyncComplete,
		pending:  j.PublishAsyncPending,
	}, n)
}

// natsactorJSPubAsync is js_pubasync: p.N messages published with PublishAsync, msgs/s
// from the first publish to the last acknowledgement.
func natsactorJSPubAsync(ctx context.Context, p params) (result, error) {
	_, j, s, cleanup, err := natsactorStream(ctx, p, "js-pubasync")
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	data := make([]byte, p.Size)
	return timedRate(p.N, func() error { return natsactorPublishAll(ctx, j, s.subject, data, p.N) })
}

// natsactorJSIngest is js_ingest: p.N messages into a stream as one fast-ingest batch
// (ADR-50, default options), msgs/s until the stream acknowledged the batch's end.
// nats.go has no fast batches: its side is natsgoJSPubAsync, its fastest way in.
func natsactorJSIngest(ctx context.Context, p params) (result, error) {
	_, j, s, cleanup, err := natsactorStream(ctx, p, "js-ingest")
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	data := make([]byte, p.Size)
	return timedRate(p.N, func() error {
		b, err := j.NewFastBatch()
		if err != nil {
			return err
		}
		for i := range p.N {
			if _, err := b.Add(ctx, s.subject, data); err != nil {
				return fmt.Errorf("fast batch add %d: %w", i+1, err)
			}
		}
		ack, err := b.Close(ctx)
		if err != nil {
			return fmt.Errorf("fast batch close: %w", err)
		}
		if ack.BatchSize != p.N {
			return fmt.Errorf("fast batch stored %d of %d", ack.BatchSize, p.N)
		}
		return nil
	})
}

// natsactorJSPubSync is js_pubsync: p.N messages published one after another with
// Publish, each waiting for its acknowledgement.
func natsactorJSPubSync(ctx context.Context, p params) (result, error) {
	_, j, s, cleanup, err := natsactorStream(ctx, p, "js-pubsync")
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

// natsactorJSConsumeAck is js_consume_ack: natsactorJSConsume with AckExplicit.
func natsactorJSConsumeAck(ctx context.Context, p params) (result, error) {
	return natsactorJSConsume(ctx, p, true)
}

// natsactorJSConsumeAckNone is js_consume_acknone: natsactorJSConsume with AckNone.
func natsactorJSConsumeAckNone(ctx context.Context, p params) (result, error) {
	return natsactorJSConsume(ctx, p, false)
}

// natsactorJSConsume fills a fresh stream with p.N messages (untimed), then consumes them
// all through a durable pull consumer's Consume (default window), acknowledging each
// with Ack when ack is set (AckExplicit) or not at all (AckNone). The timed part ends
// when the handler has seen every message and the connection is flushed (so the acks
// have left); afterwards the consumer's ack floor must reach p.N.
func natsactorJSConsume(ctx context.Context, p params, ack bool) (result, error) {
	c, j, s, cleanup, err := natsactorStream(ctx, p, "js-consume")
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	if err := natsactorPublishAll(ctx, j, s.subject, make([]byte, p.Size), p.N); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	policy := js.AckExplicit()
	if !ack {
		policy = js.AckNone()
	}
	pc, err := j.PullSubscribe(ctx, s.subjects, "bench", policy)
	if err != nil {
		return result{}, fmt.Errorf("pull subscribe: %w", err)
	}
	defer pc.Stop()

	cnt := newConsumeCounter(p.N)
	r, err := timedRate(p.N, func() error {
		err := pc.Consume(ctx, func(msg *js.Msg) {
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
		return c.Flush(ctx)
	})
	if err != nil {
		return result{}, err
	}
	return r, cnt.check(ctx, ack, func(ctx context.Context) (uint64, error) {
		ci, err := pc.Info(ctx)
		if err != nil {
			return 0, err
		}
		return ci.AckFloor.Stream, nil
	})
}
