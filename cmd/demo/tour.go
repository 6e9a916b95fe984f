package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// step is one stop of the tour.
type step struct {
	name string
	run  func(ctx context.Context, w io.Writer, c *conn.Conn) error
}

var steps = []step{
	{"publish/subscribe over a Go channel", pubSub},
	{"queue group sharing work", queueGroup},
	{"request/reply and no responders", requestReply},
	{"JetStream stream, durable pull consumer with acks, ordered consumer", streamPullConsumer},
	{"fast-ingest batch: many messages without a round trip each (ADR-50)", fastIngest},
	{"key-value bucket with watch and history", keyValue},
	{"object store put and get with digest", objectStore},
	{"service answering requests, discovered with PING/INFO/STATS", service},
}

// Tour runs every step against the server at url, printing what happened to w.
func Tour(ctx context.Context, w io.Writer, url string) error {
	start := time.Now()
	c, err := conn.Connect(ctx, url, conn.WithName("natsactor-demo"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	fmt.Fprintf(w, "connected to %s (server %s)\n", c.ConnectedURL(), c.ServerInfo().Version)
	for i, s := range steps {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, s.name)
		if err := s.run(ctx, w, c); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	fmt.Fprintf(w, "\ntour finished in %v\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func pubSub(ctx context.Context, w io.Writer, c *conn.Conn) error {
	sub, err := c.Subscribe("demo.orders.>")
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := c.Flush(ctx); err != nil {
		return err
	}
	const n = 1000
	start := time.Now()
	for i := range n {
		if err := c.Publish(fmt.Sprintf("demo.orders.%d", i%10), []byte("order")); err != nil {
			return err
		}
	}
	got := 0
	for got < n {
		select {
		case _, ok := <-sub.C():
			if !ok {
				return errors.New("subscription ended early")
			}
			got++
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fmt.Fprintf(w, "   published %d messages on demo.orders.*, received all %d on sub.C() in %v\n",
		n, got, time.Since(start).Round(time.Microsecond))
	return nil
}

func queueGroup(ctx context.Context, w io.Writer, c *conn.Conn) error {
	const n = 300
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	wg.Add(n)
	for _, name := range []string{"worker-a", "worker-b", "worker-c"} {
		sub, err := c.QueueSubscribe("demo.jobs", "workers", conn.WithHandler(func(*conn.Msg) {
			mu.Lock()
			counts[name]++
			mu.Unlock()
			wg.Done()
		}))
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
	}
	if err := c.Flush(ctx); err != nil {
		return err
	}
	for range n {
		if err := c.Publish("demo.jobs", nil); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Fprintf(w, "   %d jobs shared by queue group \"workers\": a=%d b=%d c=%d (each job once)\n",
		n, counts["worker-a"], counts["worker-b"], counts["worker-c"])
	return nil
}

func requestReply(ctx context.Context, w io.Writer, c *conn.Conn) error {
	sub, err := c.Subscribe("demo.echo", conn.WithHandler(func(m *conn.Msg) {
		m.Respond(append([]byte("echo: "), m.Data...))
	}))
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := c.Flush(ctx); err != nil {
		return err
	}
	start := time.Now()
	r, err := c.Request(ctx, "demo.echo", []byte("hello"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   request \"hello\" -> %q in %v\n", r.Data, time.Since(start).Round(time.Microsecond))
	start = time.Now()
	_, err = c.Request(ctx, "demo.nobody", nil)
	if !errors.Is(err, conn.ErrNoResponders) {
		return fmt.Errorf("expected no responders, got %v", err)
	}
	fmt.Fprintf(w, "   request to a subject nobody serves: ErrNoResponders after %v, not a timeout\n",
		time.Since(start).Round(time.Microsecond))
	return nil
}
