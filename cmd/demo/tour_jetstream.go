package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
	"github.com/natsactor/natsactor/kv"
	"github.com/natsactor/natsactor/obj"
	"github.com/natsactor/natsactor/svc"
)

// Names carry a random suffix so the tour can run again against the same server (-server).
var suffix = fmt.Sprintf("%04x", rand.N(1<<16))

func streamPullConsumer(ctx context.Context, w io.Writer, c *conn.Conn) error {
	j := js.New(c)
	name := "DEMO_ORDERS_" + suffix
	subj := "demo.js." + suffix + ".orders"
	if _, err := j.Manager().AddStream(ctx, jsm.StreamConfig{Name: name, Subjects: []string{subj + ".>"}}); err != nil {
		return err
	}
	defer j.Manager().DeleteStream(context.WithoutCancel(ctx), name)
	const n = 100
	var last *js.PubAck
	for i := range n {
		ack, err := j.Publish(ctx, fmt.Sprintf("%s.%d", subj, i), []byte("order"), js.MsgID(fmt.Sprint("order-", i)))
		if err != nil {
			return err
		}
		last = ack
	}
	dup, err := j.Publish(ctx, subj+".0", []byte("order"), js.MsgID("order-0"))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   stream %s: %d messages acknowledged up to sequence %d; a re-sent Nats-Msg-Id was a duplicate: %v\n",
		name, n, last.Sequence, dup.Duplicate)
	pc, err := j.PullSubscribe(ctx, subj+".>", "processor")
	if err != nil {
		return err
	}
	defer pc.Stop()
	start := time.Now()
	got := 0
	for got < n {
		msgs, err := pc.Fetch(ctx, 25)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := m.Ack(); err != nil {
				return err
			}
			got++
		}
	}
	// AckSync on nothing more is needed: wait until the server shows the ack floor.
	var info *jsm.ConsumerInfo
	for {
		if info, err = pc.Info(ctx); err != nil {
			return err
		}
		if info.AckFloor.Stream == last.Sequence {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ack floor stuck at %d: %w", info.AckFloor.Stream, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	fmt.Fprintf(w, "   durable pull consumer %q fetched and acked %d in %v; ack floor %d, %d pending\n",
		pc.Name(), got, time.Since(start).Round(time.Millisecond), info.AckFloor.Stream, info.NumPending)

	oc, err := j.OrderedConsumer(ctx, subj+".>")
	if err != nil {
		return err
	}
	defer oc.Stop()
	var prev uint64
	for range n {
		m, err := oc.Next(ctx)
		if err != nil {
			return err
		}
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		if md.Sequence.Stream != prev+1 {
			return fmt.Errorf("ordered consumer skipped from %d to %d", prev, md.Sequence.Stream)
		}
		prev = md.Sequence.Stream
	}
	fmt.Fprintf(w, "   ordered consumer read sequences 1..%d in order, no gap, no repeat\n", prev)
	return nil
}

func fastIngest(ctx context.Context, w io.Writer, c *conn.Conn) error {
	j := js.New(c)
	name := "DEMO_METRICS_" + suffix
	subj := "demo.fast." + suffix + ".cpu"
	if _, err := j.Manager().AddStream(ctx, jsm.StreamConfig{Name: name, Subjects: []string{subj}, AllowBatchPublish: true}); err != nil {
		return err
	}
	defer j.Manager().DeleteStream(context.WithoutCancel(ctx), name)
	b, err := j.NewFastBatch()
	if err != nil {
		return err
	}
	const n = 50_000
	start := time.Now()
	for i := range n {
		if _, err := b.Add(ctx, subj, []byte(fmt.Sprint(i%100))); errors.Is(err, js.ErrNotSupported) {
			fmt.Fprintf(w, "   skipped: %v\n", err)
			return nil
		} else if err != nil {
			return err
		}
	}
	ack, err := b.Close(ctx)
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(w, "   fast batch: %d stored in %v (%.0f msgs/s), paced by the stream's flow acknowledgements\n",
		ack.BatchSize, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

func keyValue(ctx context.Context, w io.Writer, c *conn.Conn) error {
	j := js.New(c)
	bucket := "demo_profiles_" + suffix
	b, err := kv.Create(ctx, j, kv.Config{Bucket: bucket, History: 5})
	if err != nil {
		return err
	}
	defer kv.Delete(context.WithoutCancel(ctx), j, bucket)
	if _, err := b.Put(ctx, "alice", []byte("v1")); err != nil {
		return err
	}
	wt, err := b.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer wt.Stop()
	initial := 0
	for e := range wt.C() {
		if e == nil {
			break
		}
		initial++
	}
	rev2, err := b.Put(ctx, "alice", []byte("v2"))
	if err != nil {
		return err
	}
	if _, err := b.Update(ctx, "alice", []byte("stale"), rev2-1); !errors.Is(err, kv.ErrWrongRevision) {
		return fmt.Errorf("update with an old revision: %v", err)
	}
	var update *kv.Entry
	select {
	case update = <-wt.C():
	case <-ctx.Done():
		return ctx.Err()
	}
	hist, err := b.History(ctx, "alice")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   bucket %s: watcher saw %d initial value then the marker, then %s=%s at revision %d\n",
		bucket, initial, update.Key, update.Value, update.Revision)
	fmt.Fprintf(w, "   history of alice: %d revisions; an update against revision %d was refused (ErrWrongRevision)\n",
		len(hist), rev2-1)
	return nil
}

func objectStore(ctx context.Context, w io.Writer, c *conn.Conn) error {
	j := js.New(c)
	bucket := "demo_files_" + suffix
	s, err := obj.Create(ctx, j, obj.Config{Bucket: bucket})
	if err != nil {
		return err
	}
	defer obj.Delete(context.WithoutCancel(ctx), j, bucket)
	data := make([]byte, 3*1024*1024+123)
	for i := range data {
		data[i] = byte(i * 7)
	}
	start := time.Now()
	info, err := s.PutBytes(ctx, "report.bin", data)
	if err != nil {
		return err
	}
	put := time.Since(start)
	start = time.Now()
	back, err := s.GetBytes(ctx, "report.bin")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(back)
	want := "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
	if len(back) != len(data) || info.Digest != want {
		return fmt.Errorf("read back %d bytes, digest %s, want %s", len(back), want, info.Digest)
	}
	fmt.Fprintf(w, "   put %d bytes as %d chunks in %v, read back in %v; digest %s matches\n",
		info.Size, info.Chunks, put.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), info.Digest)
	return nil
}

func service(ctx context.Context, w io.Writer, c *conn.Conn) error {
	name := "demo-calc-" + suffix
	srv, err := svc.Add(ctx, c, svc.Config{Name: name, Version: "1.0.0", Description: "adds numbers"})
	if err != nil {
		return err
	}
	defer srv.Stop()
	g := srv.AddGroup("calc" + suffix)
	if _, err := g.AddEndpoint("add", svc.HandlerFunc(func(r *svc.Request) {
		var a, b int
		if _, err := fmt.Sscan(string(r.Data()), &a, &b); err != nil {
			r.Error("400", "want two numbers", nil)
			return
		}
		r.Respond([]byte(fmt.Sprint(a + b)))
	})); err != nil {
		return err
	}
	if err := c.Flush(ctx); err != nil {
		return err
	}
	r, err := c.Request(ctx, "calc"+suffix+".add", []byte("40 2"))
	if err != nil {
		return err
	}
	bad, err := c.Request(ctx, "calc"+suffix+".add", []byte("forty two"))
	if err != nil {
		return err
	}
	se := svc.ResponseError(bad)
	if se == nil {
		return errors.New("bad input was not answered with a service error")
	}
	pings, err := svc.Ping(ctx, c, name)
	if err != nil {
		return err
	}
	infos, err := svc.Info(ctx, c, name)
	if err != nil {
		return err
	}
	stats, err := svc.Stats(ctx, c, name)
	if err != nil {
		return err
	}
	if len(pings) != 1 || len(infos) != 1 || len(stats) != 1 || len(stats[0].Endpoints) != 1 {
		return fmt.Errorf("discovery found %d/%d/%d instances", len(pings), len(infos), len(stats))
	}
	ep := stats[0].Endpoints[0]
	fmt.Fprintf(w, "   service %s answered 40+2=%s; bad input got error %d %q\n", name, r.Data, se.Code, se.Description)
	fmt.Fprintf(w, "   discovered over $SRV: PING %d, INFO %d endpoint(s), STATS %d requests %d error(s)\n",
		len(pings), len(infos[0].Endpoints), ep.NumRequests, ep.NumErrors)
	return nil
}
