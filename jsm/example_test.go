package jsm_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/jsm"
)

// exampleManager starts an in-process JetStream server, connects to it and returns a
// Manager, and the function that closes and stops everything.
func exampleManager() (*jsm.Manager, func()) {
	url, stopServer := natstest.Example(true)
	c, err := conn.Connect(context.Background(), url)
	if err != nil {
		panic(err)
	}
	return jsm.New(c), func() { c.Close(); stopServer() }
}

func ExampleNew() {
	m, stop := exampleManager()
	defer stop()
	ctx := context.Background() // each call is bounded by jsm.DefaultTimeout

	info, err := m.AccountInfo(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("streams:", info.Streams, "prefix:", m.APIPrefix())
	// Output: streams: 0 prefix: $JS.API
}

func ExampleManager_AddStream() {
	m, stop := exampleManager()
	defer stop()
	ctx := context.Background()

	info, err := m.AddStream(ctx, jsm.StreamConfig{
		Name:     "ORDERS",
		Subjects: []string{"orders.>"},
		Storage:  jsm.MemoryStorage,
		MaxAge:   24 * time.Hour,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Config.Name, info.Config.Retention, info.Config.Storage)

	_, err = m.StreamInfo(ctx, "MISSING")
	fmt.Println(errors.Is(err, jsm.ErrStreamNotFound))
	// Output:
	// ORDERS limits memory
	// true
}

func ExampleManager_AddConsumer() {
	m, stop := exampleManager()
	defer stop()
	ctx := context.Background()

	if _, err := m.AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		fmt.Println(err)
		return
	}
	ci, err := m.AddConsumer(ctx, "ORDERS", jsm.ConsumerConfig{
		Durable:       "proc",
		FilterSubject: "orders.new",
		AckWait:       30 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ci.Name, ci.Config.AckPolicy, ci.Config.AckWait)
	for name, err := range m.ConsumerNames(ctx, "ORDERS") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("consumer:", name)
	}
	// Output:
	// proc explicit 30s
	// consumer: proc
}

func ExampleManager_GetLastBatch() {
	m, stop := exampleManager()
	defer stop()
	ctx := context.Background()

	if _, err := m.AddStream(ctx, jsm.StreamConfig{Name: "PROFILES", Subjects: []string{"profile.>"}, AllowDirect: true}); err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range [][2]string{{"alice", "v1"}, {"bob", "v1"}, {"alice", "v2"}} {
		if _, err := m.Conn().Request(ctx, "profile."+kv[0], []byte(kv[1])); err != nil {
			fmt.Println(err)
			return
		}
	}
	for msg, err := range m.GetLastBatch(ctx, "PROFILES", jsm.LastBatchRequest{Subjects: []string{"profile.>"}}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(msg.Sequence, msg.Subject, string(msg.Data))
	}
	// Output:
	// 2 profile.bob v1
	// 3 profile.alice v2
}
