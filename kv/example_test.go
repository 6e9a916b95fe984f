package kv_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/kv"
)

// exampleJetStream starts an in-process nats-server with JetStream in a
// temporary directory and connects to it; stop closes everything and removes
// the directory.
func exampleJetStream() (j *js.Client, stop func()) {
	url, stopServer := natstest.Example(true)
	c, err := conn.Connect(context.Background(), url)
	if err != nil {
		panic(err)
	}
	return js.New(c), func() { c.Close(); stopServer() }
}

func ExampleCreate() {
	j, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	b, err := kv.Create(ctx, j, kv.Config{Bucket: "profiles", History: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	rev, _ := b.Put(ctx, "alice", []byte("likes tea"))
	e, _ := b.Get(ctx, "alice")
	fmt.Println(e.Key, string(e.Value), e.Revision == rev)
	// Output: alice likes tea true
}

func ExampleBucket_Update() {
	j, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := kv.Create(ctx, j, kv.Config{Bucket: "counters"})

	first, _ := b.Create(ctx, "hits", []byte("1"))
	_, err := b.Create(ctx, "hits", []byte("1"))
	fmt.Println(errors.Is(err, kv.ErrKeyExists))
	_, _ = b.Update(ctx, "hits", []byte("2"), first)
	_, err = b.Update(ctx, "hits", []byte("3"), first) // first is no longer the latest
	fmt.Println(errors.Is(err, kv.ErrWrongRevision))
	// Output:
	// true
	// true
}

func ExampleBucket_Watch() {
	j, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := kv.Create(ctx, j, kv.Config{Bucket: "config"})
	b.PutString(ctx, "app.color", "blue")

	w, err := b.Watch(ctx, "app.>")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Stop()
	for e := range w.C() {
		if e == nil {
			fmt.Println("-- initial values done")
			b.PutString(ctx, "app.color", "green")
			continue
		}
		fmt.Println(e.Operation, e.Key, string(e.Value))
		if string(e.Value) == "green" {
			break
		}
	}
	// Output:
	// PUT app.color blue
	// -- initial values done
	// PUT app.color green
}

func ExampleBucket_Keys() {
	j, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := kv.Create(ctx, j, kv.Config{Bucket: "inventory"})
	b.PutString(ctx, "apples", "3")
	b.PutString(ctx, "pears", "0")
	b.Delete(ctx, "pears")

	for k, err := range b.Keys(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(k)
	}
	// Output: apples
}
