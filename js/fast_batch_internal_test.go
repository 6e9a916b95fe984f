package js

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/jsm"
)

// When the stream ends a batch (here: a refused message) and an Add reads its closing
// PubAck, Commit sends nothing and still returns that PubAck, what was stored, with the
// refusal; later calls say the batch is over. Which call reads the PubAck depends on
// timing (the external TestFastBatchRefusedMessage lost its acknowledgement in 4 of 150
// runs under load), so here the steps of AddMsg that read it are taken directly.
func TestFastBatchEndedByStreamBeforeCommit(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t, natstest.JetStream())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := conn.Connect(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j := New(c)
	if _, err := j.Manager().AddStream(ctx, jsm.StreamConfig{Name: "FE", Subjects: []string{"fe.>"},
		Storage: jsm.MemoryStorage, AllowBatchPublish: true}); err != nil {
		t.Fatal(err)
	}
	b, err := j.NewFastBatch(FastBatchFlow(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := b.Add(ctx, "fe.x", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.send(&conn.Msg{Subject: "fe.x"}, fastOpAppend, []PubOption{ExpectLastSeq(999)}); err != nil {
		t.Fatal(err)
	}
	for !b.done { // as AddMsg's wait for the flow, reading up to the stream's PubAck
		if err := b.await(ctx, func() bool { return b.done }); err != nil {
			t.Fatalf("waiting for the stream to end the batch: %v", err)
		}
	}
	if b.final == nil || !errors.Is(b.err, jsm.ErrWrongLastSequence) {
		t.Fatalf("the stream ended the batch without its PubAck or the refusal: %v, %v", b.final, b.err)
	}
	b.close() // what AddMsg does when it finds the batch done

	ack, err := b.Commit(ctx, "fe.x", nil)
	var me *FastMsgError
	if !errors.As(err, &me) || me.Sequence != 3 || !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("commit after the stream ended the batch: %v", err)
	}
	if ack == nil || ack.BatchSize != 2 || ack.Sequence != 2 {
		t.Fatalf("acknowledgement of what was stored: %+v", ack)
	}
	if b.seq != 3 {
		t.Fatalf("commit sent a message to an ended batch: last sequence sent %d, want 3", b.seq)
	}
	if ack, err := b.Commit(ctx, "fe.x", nil); ack != nil || !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("second commit: %+v %v", ack, err)
	}
	if _, err := b.Close(ctx); !errors.Is(err, jsm.ErrWrongLastSequence) {
		t.Fatalf("close after the commit: %v", err)
	}
}
