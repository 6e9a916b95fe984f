package svc_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/svc"
)

// exampleServer starts an in-process nats-server for the examples.
func exampleServer() (url string, stop func()) { return natstest.Example(false) }

// exampleConn starts a server and connects to it; done closes both.
func exampleConn() (ctx context.Context, c *conn.Conn, done func()) {
	url, stop := exampleServer()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	c, err := conn.Connect(ctx, url)
	if err != nil {
		panic(err)
	}
	return ctx, c, func() { c.Close(); cancel(); stop() }
}

func ExampleAdd() {
	ctx, c, done := exampleConn()
	defer done()

	srv, err := svc.Add(ctx, c, svc.Config{
		Name:        "greeter",
		Version:     "1.0.0",
		Description: "Says hello",
		Endpoint: &svc.EndpointConfig{Name: "hello", Handler: svc.HandlerFunc(func(r *svc.Request) {
			r.Respond([]byte("hello, " + string(r.Data())))
		})},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Stop()

	m, _ := c.Request(ctx, "hello", []byte("world"))
	fmt.Println(string(m.Data))
	fmt.Println(srv.Stats().Endpoints[0].NumRequests)
	// Output:
	// hello, world
	// 1
}

func ExampleService_AddGroup() {
	ctx, c, done := exampleConn()
	defer done()
	srv, _ := svc.Add(ctx, c, svc.Config{Name: "text", Version: "1.0.0"})
	defer srv.Stop()

	v1 := srv.AddGroup("text").AddGroup("v1")
	v1.AddEndpoint("upper", svc.HandlerFunc(func(r *svc.Request) {
		r.Respond([]byte(strings.ToUpper(string(r.Data()))))
	}))
	ep, _ := v1.AddEndpoint("lower", svc.HandlerFunc(func(r *svc.Request) {
		r.Respond([]byte(strings.ToLower(string(r.Data()))))
	}), svc.WithEndpointSubject("lowercase"), svc.WithEndpointQueueGroup("fast"))
	fmt.Println(ep.Subject(), ep.QueueGroup())

	m, _ := c.Request(ctx, "text.v1.upper", []byte("Shout"))
	fmt.Println(string(m.Data))
	// Output:
	// text.v1.lowercase fast
	// SHOUT
}

func ExampleRequest_Error() {
	ctx, c, done := exampleConn()
	defer done()
	srv, _ := svc.Add(ctx, c, svc.Config{Name: "strict", Version: "1.0.0"})
	defer srv.Stop()
	srv.AddEndpoint("check", svc.HandlerFunc(func(r *svc.Request) {
		if len(r.Data()) == 0 {
			r.Error("400", "empty request", nil)
			return
		}
		r.Respond([]byte("ok"))
	}))

	m, _ := c.Request(ctx, "check", nil)
	if err := svc.ResponseError(m); err != nil {
		fmt.Println(err.Code, err.Description)
		fmt.Println(m.Header.Get(svc.ErrorCodeHeader), m.Header.Get(svc.ErrorHeader))
	}
	fmt.Println(srv.Stats().Endpoints[0].LastError)
	// Output:
	// 400 empty request
	// 400 empty request
	// 400:empty request
}

func ExampleEndpoint_Requests() {
	ctx, c, done := exampleConn()
	defer done()
	srv, _ := svc.Add(ctx, c, svc.Config{Name: "counter", Version: "1.0.0"})
	incr, _ := srv.AddEndpoint("incr", nil, svc.WithRequestChannel())
	get, _ := srv.AddEndpoint("get", nil, svc.WithRequestChannel())

	// The service's state belongs to one select loop: no locks.
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		n := 0
		for {
			select {
			case r, ok := <-incr.Requests():
				if !ok {
					return // the service stopped
				}
				n++
				r.Respond(nil)
			case r, ok := <-get.Requests():
				if !ok {
					return
				}
				r.RespondJSON(map[string]int{"n": n})
			}
		}
	}()

	c.Request(ctx, "incr", nil)
	c.Request(ctx, "incr", nil)
	m, _ := c.Request(ctx, "get", nil)
	fmt.Println(string(m.Data))
	srv.Stop() // from another goroutine than the loop's
	<-loopDone
	// Output: {"n":2}
}

func ExamplePing() {
	ctx, c, done := exampleConn()
	defer done()
	for range 3 {
		srv, _ := svc.Add(ctx, c, svc.Config{Name: "worker", Version: "2.0.0"})
		defer srv.Stop()
	}
	other, _ := svc.Add(ctx, c, svc.Config{Name: "other", Version: "1.0.0"})
	defer other.Stop()

	all, _ := svc.Ping(ctx, c, "")
	workers, _ := svc.Ping(ctx, c, "worker")
	one, _ := svc.Info(ctx, c, "other", svc.WithID(other.ID()))
	fmt.Println(len(all), len(workers), one[0].Name, one[0].Version)
	// Output: 4 3 other 1.0.0
}
