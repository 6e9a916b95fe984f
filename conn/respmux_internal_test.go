package conn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/natsactor/natsactor/internal/natstest"
)

// A waiter goes back to the mux when its request ends and serves the next one; a reply
// that came too late for the first (delivered, never taken), or that comes again for
// its subject, must not reach the second.
func TestRespMuxReusedWaiterStartsEmpty(t *testing.T) {
	t.Parallel()
	r := dial(t, natstest.Start(t).URL()).resp

	reply1, w1, err := r.register()
	if err != nil {
		t.Fatal(err)
	}
	r.deliver(&Msg{Data: []byte("for the first")}, []byte(reply1))
	r.unregister(reply1, w1) // its caller gave up before taking the reply

	reply2, w2, err := r.register()
	if err != nil {
		t.Fatal(err)
	}
	defer r.unregister(reply2, w2)
	if w2 != w1 {
		t.Fatal("the finished request's waiter was not reused (the test then proves nothing)")
	}
	if reply2 == reply1 {
		t.Fatalf("two requests got the reply subject %q", reply1)
	}
	r.deliver(&Msg{Data: []byte("for the first, again")}, []byte(reply1))
	select {
	case m := <-w2.ch:
		t.Fatalf("the second request got %q, a reply for the first", m.Data)
	default:
	}
	r.deliver(&Msg{Data: []byte("for the second")}, []byte(reply2))
	select {
	case m := <-w2.ch:
		if string(m.Data) != "for the second" || m.Subject != reply2 {
			t.Fatalf("the second request got %q on %q, want it on %q", m.Data, m.Subject, reply2)
		}
	default:
		t.Fatal("the second request's reply did not arrive")
	}
}

// Many requests at once, half of them abandoned while their replies are on the way,
// so that waiters go back and are reused while the reader delivers: every reply a
// request gets is its own.
func TestRequestsGetTheirOwnRepliesWhileWaitersAreReused(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := dial(t, s.URL())
	cli := dial(t, s.URL())
	if _, err := srv.QueueSubscribe("echo", "q", WithHandler(func(m *Msg) {
		if rand.IntN(4) == 0 {
			time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		}
		_ = m.Respond(m.Data)
	})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, abandoned := 0, 0
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				want := fmt.Sprint(g, ".", i)
				// Every other request gives up after up to 2 ms, about a round trip here.
				d := 10 * time.Second
				if i%2 == 0 {
					d = time.Duration(20+rand.IntN(2000)) * time.Microsecond
				}
				rctx, stop := context.WithTimeout(ctx, d)
				m, err := cli.Request(rctx, "echo", []byte(want))
				stop()
				mu.Lock()
				if err != nil {
					abandoned++
				} else {
					answered++
				}
				mu.Unlock()
				if err == nil && string(m.Data) != want {
					t.Errorf("request %s got the reply %q", want, m.Data)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d answered, %d abandoned", answered, abandoned)
	if answered == 0 || abandoned == 0 {
		t.Fatalf("%d answered, %d abandoned: the test needs both to mean anything", answered, abandoned)
	}
}
