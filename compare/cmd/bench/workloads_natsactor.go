package main

// The core workloads written with natsactor's conn package. Each mirrors its nats.go
// twin in workloads_natsgo.go step for step.

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/natsactor/natsactor/conn"
)

func natsactorConnect(ctx context.Context, url, name string) (*conn.Conn, error) {
	c, err := conn.Connect(ctx, url, conn.WithName("bench-natsactor-"+name))
	if err != nil {
		return nil, fmt.Errorf("natsactor connect: %w", err)
	}
	return c, nil
}

// natsactorPub publishes p.N messages of p.Size bytes, then flushes; the figure is
// messages per second until the flush returns.
func natsactorPub(ctx context.Context, p params) (result, error) {
	c, err := natsactorConnect(ctx, p.URL, "pub")
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	data := make([]byte, p.Size)
	var r result
	m := startMeter()
	for range p.N {
		if err := c.Publish(p.Subject, data); err != nil {
			return result{}, err
		}
	}
	if err := c.Flush(ctx); err != nil {
		return result{}, err
	}
	wall := m.stop(&r)
	r.ops = p.N
	r.value = float64(p.N) / wall.Seconds()
	return r, nil
}

// natsactorPubSub publishes p.N messages on one connection to a handler subscription on
// another; the figure is messages per second received by the subscriber, from the first
// publish to the last arrival (or to giving up, subTail after the publisher's flush).
func natsactorPubSub(ctx context.Context, p params) (result, error) {
	subc, err := natsactorConnect(ctx, p.URL, "sub")
	if err != nil {
		return result{}, err
	}
	defer subc.Close()
	pub, err := natsactorConnect(ctx, p.URL, "pub")
	if err != nil {
		return result{}, err
	}
	defer pub.Close()

	var got atomic.Int64
	all := make(chan struct{})
	n := int64(p.N)
	sub, err := subc.Subscribe(p.Subject,
		conn.WithPendingLimits(subPendingMsgs, subPendingBytes),
		conn.WithHandler(func(*conn.Msg) {
			if got.Add(1) == n {
				close(all)
			}
		}))
	if err != nil {
		return result{}, err
	}
	if err := subc.Flush(ctx); err != nil {
		return result{}, err
	}
	data := make([]byte, p.Size)
	var r result
	m := startMeter()
	for range p.N {
		if err := pub.Publish(p.Subject, data); err != nil {
			return result{}, err
		}
	}
	if err := pub.Flush(ctx); err != nil {
		return result{}, err
	}
	waitAll(ctx, all, func() bool { return got.Load()+int64(sub.Dropped()) >= n })
	wall := m.stop(&r)
	received := got.Load()
	r.ops = p.N
	r.dropped = uint64(n - received)
	r.value = float64(received) / wall.Seconds()
	return r, nil
}

// natsactorReq makes p.N sequential requests to a responder on another connection that
// echoes the payload; the figures are the p50 (primary) and p99 latencies in µs.
func natsactorReq(ctx context.Context, p params) (result, error) {
	srv, err := natsactorConnect(ctx, p.URL, "responder")
	if err != nil {
		return result{}, err
	}
	defer srv.Close()
	cli, err := natsactorConnect(ctx, p.URL, "requester")
	if err != nil {
		return result{}, err
	}
	defer cli.Close()
	if _, err := srv.Subscribe(p.Subject, conn.WithHandler(func(m *conn.Msg) { m.Respond(m.Data) })); err != nil {
		return result{}, err
	}
	if err := srv.Flush(ctx); err != nil {
		return result{}, err
	}
	data := make([]byte, p.Size)
	return timedRequests(p.N, func() error {
		_, err := cli.Request(ctx, p.Subject, data)
		return err
	})
}
