package svc_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

// A service whose endpoint delivers on a request channel, stopped or drained from the
// goroutine receiving its requests: the call cannot wait for that receiver, so it must
// return at once, and the receiver still gets and answers every request received
// before, until Requests is closed. Waiting for the receiver stalled for
// DefaultDrainTimeout and dropped the rest.
func TestDrainFromRequestReceiver(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	for _, call := range []string{"Stop", "Drain"} {
		t.Run(call, func(t *testing.T) {
			t.Parallel()
			c := connect(t, s)
			srv := addService(t, c, svc.Config{Name: "chan" + call, Version: "1.0.0"})
			ep, err := srv.AddEndpoint("work"+call, nil, svc.WithRequestChannel())
			if err != nil {
				t.Fatal(err)
			}
			// AddEndpoint returns once the SUB is queued: the server knows it after a flush.
			if err := c.Flush(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			client := connect(t, s)
			replies, err := client.Subscribe("replies." + call)
			if err != nil {
				t.Fatal(err)
			}
			client.Flush(testCtx(t))
			const n = 50
			for i := range n {
				client.PublishMsg(&conn.Msg{Subject: "work" + call, Reply: "replies." + call, Data: []byte(fmt.Sprint(i))})
			}
			// Every request is at the service once its connection sees all of them.
			waitFor(t, "every request received", func() bool { return c.Stats().InMsgs >= n })
			var callErr error
			answered := make(chan int, 1)
			go func() {
				k := 0
				for r := range ep.Requests() {
					r.Respond(r.Data())
					if k++; k == 1 {
						if call == "Stop" {
							callErr = srv.Stop()
						} else {
							callErr = srv.Drain(context.Background())
						}
					}
				}
				answered <- k
			}()
			if k := recv(t, answered); k != n || callErr != nil {
				t.Fatalf("%s from the request receiver: %v; %d of %d requests handed out", call, callErr, k, n)
			}
			recv(t, srv.Done())
			got := 0
			for got < n {
				if _, err := replies.Next(testCtx(t)); err != nil {
					t.Fatalf("%d of %d requests answered: %v", got, n, err)
				}
				got++
			}
		})
	}
}
