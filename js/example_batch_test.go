package js_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

func ExampleClient_PublishBatch() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "USERS", Subjects: []string{"users.>"}, AllowAtomicPublish: true})

	// The address of a user spans three keys: all of them are stored, or none.
	ack, err := j.PublishBatch(ctx, []*conn.Msg{
		{Subject: "users.alice.street", Data: []byte("1 Main St")},
		{Subject: "users.alice.city", Data: []byte("Springfield")},
		{Subject: "users.alice.zip", Data: []byte("12345")},
	})
	fmt.Println(ack.Stream, ack.Sequence, ack.BatchSize, err)

	// An expectation that fails refuses the whole batch.
	_, err = j.PublishBatch(ctx, []*conn.Msg{
		{Subject: "users.bob.street", Data: []byte("2 Elm St"), Header: conn.Header{js.HeaderExpectedLastSeq: {"0"}}},
		{Subject: "users.bob.city", Data: []byte("Shelbyville")},
	})
	fmt.Println(errors.Is(err, jsm.ErrWrongLastSequence))
	si, _ := j.Manager().StreamInfo(ctx, "USERS")
	fmt.Println(si.State.Msgs)
	// Output:
	// USERS 3 3 <nil>
	// true
	// 3
}

func ExampleBatch() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}, AllowAtomicPublish: true})

	b := j.NewBatch()
	// The first Add waits for the stream to accept the batch; ExpectLastSeq is checked
	// when the batch commits.
	if err := b.Add(ctx, "orders.1.created", []byte("{}"), js.ExpectLastSeq(0)); err != nil {
		fmt.Println(err)
		return
	}
	for _, step := range []string{"paid", "packed"} {
		b.Add(ctx, "orders.1."+step, nil)
	}
	ack, err := b.Commit(ctx, "orders.1.shipped", nil)
	fmt.Println(ack.Sequence, ack.BatchSize, err)

	// A batch that is never committed is never seen.
	b = j.NewBatch()
	b.Add(ctx, "orders.2.created", []byte("{}"))
	b.Discard()
	si, _ := j.Manager().StreamInfo(ctx, "ORDERS")
	fmt.Println(si.State.Msgs)
	// Output:
	// 4 4 <nil>
	// 4
}

func ExampleClient_Incr() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "COUNTERS", Subjects: []string{"hits.>"}, AllowMsgCounter: true, AllowDirect: true})

	v, err := j.IncrInt(ctx, "hits.home", 1)
	fmt.Println(v, err)
	v, _ = j.IncrInt(ctx, "hits.home", 41)
	fmt.Println(v)
	// Beyond 64 bits.
	huge, _ := new(big.Int).SetString("100000000000000000000", 10)
	v, _ = j.Incr(ctx, "hits.home", huge)
	fmt.Println(v)

	v, _ = j.CounterValue(ctx, "COUNTERS", "hits.home")
	fmt.Println(v)
	_, err = j.IncrInt(ctx, "hits.home", 1, js.ExpectLastSeq(3))
	fmt.Println(errors.Is(err, js.ErrInvalidCounterIncr))
	// Output:
	// 1 <nil>
	// 42
	// 100000000000000000042
	// 100000000000000000042
	// true
}
