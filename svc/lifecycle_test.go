package svc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

// TestSlowConsumerReported forwards an endpoint's slow-consumer drops to ErrorHandler.
func TestSlowConsumerReported(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	errs := make(chan error, 10)
	srv := addService(t, c, svc.Config{Name: "tiny", Version: "1.0.0",
		ErrorHandler: func(_ *svc.Service, err error) { errs <- err }})
	release := make(chan struct{})
	if _, err := srv.AddEndpoint("slow", svc.HandlerFunc(func(r *svc.Request) { <-release }),
		svc.WithEndpointPendingLimits(1, 0)); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := c.Publish("slow", nil); err != nil {
			t.Fatal(err)
		}
	}
	err := recv(t, errs)
	close(release)
	if !errors.Is(err, conn.ErrSlowConsumer) {
		t.Fatalf("ErrorHandler got %v, want a slow consumer", err)
	}
}

// TestDrainDeadline gives up on a handler that does not return, and on a request channel
// nobody reads, when the ctx of Drain ends.
func TestDrainDeadline(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	srv := addService(t, c, svc.Config{Name: "stuck", Version: "1.0.0"})
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	if _, err := srv.AddEndpoint("stuck", svc.HandlerFunc(func(r *svc.Request) {
		entered <- struct{}{}
		<-release
	})); err != nil {
		t.Fatal(err)
	}
	unread, err := srv.AddEndpoint("unread", nil, svc.WithRequestChannel())
	if err != nil {
		t.Fatal(err)
	}
	c.Publish("stuck", nil)
	c.Publish("unread", nil)
	recv(t, entered)
	if err := c.Flush(testCtx(t)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain = %v, want the deadline", err)
	}
	select {
	case <-srv.Done():
		t.Fatal("Done closed while a handler still runs")
	default:
	}
	close(release)
	recv(t, srv.Done())
	for range unread.Requests() {
		t.Fatal("a request of the abandoned channel was delivered")
	}
}

// TestDoneHandlerStops calls Stop from DoneHandler and ErrorHandler without deadlock.
func TestDoneHandlerStops(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s)
	called := make(chan error, 1)
	srv := addService(t, c, svc.Config{Name: "reentrant", Version: "1.0.0",
		DoneHandler: func(s *svc.Service) { called <- s.Stop() },
		ErrorHandler: func(s *svc.Service, err error) {
			s.Stop()
		}})
	if _, err := srv.AddEndpoint("p", svc.HandlerFunc(func(*svc.Request) { panic("stop me") })); err != nil {
		t.Fatal(err)
	}
	m := request(t, c, "p", nil)
	if svc.ResponseError(m) == nil {
		t.Fatal("no error reply")
	}
	if err := recv(t, called); err != nil {
		t.Fatalf("Stop from DoneHandler: %v", err)
	}
}
