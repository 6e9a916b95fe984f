package js_test

import (
	"context"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

func ExampleClient_NewFastBatch() {
	c, stop := exampleJetStream()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	j := js.New(c)
	j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "METRICS", Subjects: []string{"metrics.>"}, AllowBatchPublish: true})

	// Ten thousand readings without a round trip each: the stream paces the batch with
	// an acknowledgement every few messages, and Add waits only when it falls behind.
	b, err := j.NewFastBatch()
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 10_000 {
		if _, err := b.Add(ctx, "metrics.cpu", []byte(fmt.Sprint(i%100))); err != nil {
			fmt.Println(err)
			return
		}
	}
	ack, err := b.Close(ctx) // no last message: Commit would add one
	fmt.Println(ack.Stream, ack.BatchSize, err)
	// Output:
	// METRICS 10000 <nil>
}
