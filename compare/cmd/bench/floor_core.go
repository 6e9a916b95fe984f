package main

// The floor of the core workloads (see floor.go).

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
)

// floorPub is pub16 at the floor: pre-encoded PUB frames written 32 KiB at a time, then
// a PING/PONG.
func floorPub(ctx context.Context, p params) (result, error) {
	pub, err := dialRaw(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer pub.close()
	batch, perWrite, frameLen := pubBatch(p)
	return timedRate(p.N, func() error {
		for sent := 0; sent < p.N; sent += perWrite {
			if err := pub.write(batch[:min(perWrite, p.N-sent)*frameLen]); err != nil {
				return err
			}
		}
		return pub.sync()
	})
}

// pubBatch returns 32 KiB of PUB frames of p (at least one), how many it holds and the
// length of one.
func pubBatch(p params) (batch []byte, perWrite, frameLen int) {
	one := pubFrame(nil, p.Subject, "", make([]byte, p.Size))
	perWrite = max(1, 32*1024/len(one))
	return bytes.Repeat(one, perWrite), perWrite, len(one)
}

// floorPubSub is pubsub16 and pubsub1k at the floor: the publisher writes pre-encoded PUB
// frames 32 KiB at a time; the subscriber reads into a large buffer and only counts bytes
// until it has as many as p.N MSG frames take (a server PING in between would end it
// one message early, which the figure cannot show). Timed from the first write to the
// last byte.
func floorPubSub(ctx context.Context, p params) (result, error) {
	sub, err := dialRaw(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer sub.close()
	pub, err := dialRaw(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer pub.close()
	if err := sub.subscribe(p.Subject); err != nil {
		return result{}, err
	}
	msgFrame := len("MSG "+p.Subject+" 1 "+strconv.Itoa(p.Size)+"\r\n") + p.Size + 2
	want := int64(msgFrame) * int64(p.N)

	received := make(chan error, 1)
	go func() {
		// The bytes the handshake's reader had buffered beyond the PONG count too.
		got := int64(sub.r.Buffered())
		buf := make([]byte, 256*1024)
		for got < want {
			n, err := sub.nc.Read(buf)
			got += int64(n)
			if err != nil {
				received <- fmt.Errorf("floor subscriber: %w", err)
				return
			}
		}
		received <- nil
	}()

	batch, perWrite, frameLen := pubBatch(p)
	var r result
	m := startMeter()
	for sent := 0; sent < p.N; sent += perWrite {
		k := min(perWrite, p.N-sent)
		if err := pub.write(batch[:k*frameLen]); err != nil {
			return result{}, err
		}
	}
	select {
	case err := <-received:
		if err != nil {
			return result{}, err
		}
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	wall := m.stop(&r)
	r.ops = p.N
	r.value = float64(p.N) / wall.Seconds()
	return r, nil
}

// floorReq is req16 at the floor: the responder echoes on the goroutine that read the
// request and the requester reads the reply on its own goroutine, so a round trip has
// no goroutine hand-off at all. It then measures the same with one hand-off on each
// side's receive path (reader → handler goroutine, reader → waiting caller), the fewest
// a client can have that never runs user code on its reader, and reports that p50 as
// handoff_p50.
func floorReq(ctx context.Context, p params) (result, error) {
	direct, err := floorReqRun(ctx, p, false)
	if err != nil {
		return result{}, err
	}
	handoff, err := floorReqRun(ctx, p, true)
	if err != nil {
		return result{}, err
	}
	direct.extra = append(direct.extra, measure{name: "handoff_p50", value: handoff.value, lowerIsBetter: true})
	return direct, nil
}

func floorReqRun(ctx context.Context, p params, handoff bool) (result, error) {
	srv, err := dialRaw(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer srv.close()
	if err := srv.subscribe(p.Subject); err != nil {
		return result{}, err
	}
	cli, inbox, err := dialInbox(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer cli.close()

	// The responder.
	type request struct {
		reply string
		data  []byte
	}
	respond := func(reply string, data []byte, frame []byte) []byte {
		frame = pubFrame(frame[:0], reply, "", data)
		_ = srv.write(frame)
		return frame
	}
	handlerCh := make(chan request, 64)
	stop := make(chan struct{})
	defer close(stop)
	if handoff {
		go func() {
			var frame []byte
			for {
				select {
				case req := <-handlerCh:
					frame = respond(req.reply, req.data, frame)
				case <-stop:
					return
				}
			}
		}()
	}
	go func() {
		var frame []byte
		for {
			m, err := srv.readMsg()
			if err != nil {
				return // closed at the end of the run
			}
			if handoff {
				select {
				case handlerCh <- request{m.reply, slices.Clone(m.data)}:
				case <-stop:
					return
				}
			} else {
				frame = respond(m.reply, m.data, frame)
			}
		}
	}()

	// The requester.
	replies := make(chan error, 1)
	if handoff {
		go func() {
			for {
				_, err := cli.readMsg()
				select {
				case replies <- err:
				case <-stop:
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	data := make([]byte, p.Size)
	var frame []byte
	seq := 0
	do := func() error {
		seq++
		frame = pubFrameSeq(frame[:0], p.Subject, inbox, seq, data)
		if err := cli.write(frame); err != nil {
			return err
		}
		if handoff {
			select {
			case err := <-replies:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		_, err := cli.readMsg()
		return err
	}
	return timedRequests(p.N, do)
}
