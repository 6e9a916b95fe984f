package main

// The core workloads written with nats.go, step for step like workloads_natsactor.go.

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

func natsgoConnect(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name("bench-natsgo-"+name))
	if err != nil {
		return nil, fmt.Errorf("nats.go connect: %w", err)
	}
	return nc, nil
}

// flushTimeout turns ctx's deadline into the timeout nats.go's Flush wants.
func flushTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return time.Minute
}

// natsgoPub is natsactorPub with nats.go.
func natsgoPub(ctx context.Context, p params) (result, error) {
	nc, err := natsgoConnect(p.URL, "pub")
	if err != nil {
		return result{}, err
	}
	defer nc.Close()
	data := make([]byte, p.Size)
	var r result
	m := startMeter()
	for range p.N {
		if err := nc.Publish(p.Subject, data); err != nil {
			return result{}, err
		}
	}
	if err := nc.FlushTimeout(flushTimeout(ctx)); err != nil {
		return result{}, err
	}
	wall := m.stop(&r)
	r.ops = p.N
	r.value = float64(p.N) / wall.Seconds()
	return r, nil
}

// natsgoPubSub is natsactorPubSub with nats.go: an async handler subscription with the
// same pending limits.
func natsgoPubSub(ctx context.Context, p params) (result, error) {
	subc, err := natsgoConnect(p.URL, "sub")
	if err != nil {
		return result{}, err
	}
	defer subc.Close()
	pub, err := natsgoConnect(p.URL, "pub")
	if err != nil {
		return result{}, err
	}
	defer pub.Close()

	var got atomic.Int64
	all := make(chan struct{})
	n := int64(p.N)
	sub, err := subc.Subscribe(p.Subject, func(*nats.Msg) {
		if got.Add(1) == n {
			close(all)
		}
	})
	if err != nil {
		return result{}, err
	}
	if err := sub.SetPendingLimits(subPendingMsgs, subPendingBytes); err != nil {
		return result{}, err
	}
	if err := subc.FlushTimeout(flushTimeout(ctx)); err != nil {
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
	if err := pub.FlushTimeout(flushTimeout(ctx)); err != nil {
		return result{}, err
	}
	waitAll(ctx, all, func() bool {
		dropped, _ := sub.Dropped()
		return got.Load()+int64(dropped) >= n
	})
	wall := m.stop(&r)
	received := got.Load()
	r.ops = p.N
	r.dropped = uint64(n - received)
	r.value = float64(received) / wall.Seconds()
	return r, nil
}

// natsgoReq is natsactorReq with nats.go (its shared response subscription, the default).
func natsgoReq(ctx context.Context, p params) (result, error) {
	srv, err := natsgoConnect(p.URL, "responder")
	if err != nil {
		return result{}, err
	}
	defer srv.Close()
	cli, err := natsgoConnect(p.URL, "requester")
	if err != nil {
		return result{}, err
	}
	defer cli.Close()
	if _, err := srv.Subscribe(p.Subject, func(m *nats.Msg) { m.Respond(m.Data) }); err != nil {
		return result{}, err
	}
	if err := srv.FlushTimeout(flushTimeout(ctx)); err != nil {
		return result{}, err
	}
	data := make([]byte, p.Size)
	return timedRequests(p.N, func() error {
		_, err := cli.RequestWithContext(ctx, p.Subject, data)
		return err
	})
}
