package main

// The floor of the JetStream and key-value workloads (see floor.go). Streams, buckets and
// consumers are set up and checked with natsactor, untimed; the timed part is raw frames.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// floorStream is a fresh stream made with natsactor and a raw connection subscribed to
// an inbox, for one run.
type floorStream struct {
	j       *js.Client
	s       benchStream
	rc      *rawConn
	inbox   string
	cleanup func()
}

func newFloorStream(ctx context.Context, p params, name string) (*floorStream, error) {
	_, j, s, cleanup, err := natsactorStream(ctx, p, name)
	if err != nil {
		return nil, err
	}
	rc, inbox, err := dialInbox(ctx, p.URL)
	if err != nil {
		cleanup()
		return nil, err
	}
	return &floorStream{j: j, s: s, rc: rc, inbox: inbox, cleanup: cleanup}, nil
}

func (f *floorStream) close() {
	f.rc.close()
	f.cleanup()
}

// floorAck reports a JetStream API error in an acknowledgement or reply.
func floorAck(m rawMsg) error {
	if m.status {
		return fmt.Errorf("floor: status reply %q", bytes.TrimSpace(m.hdr))
	}
	if bytes.Contains(m.data, []byte(`"error"`)) {
		return fmt.Errorf("floor: %s", m.data)
	}
	return nil
}

// floorJSPubAsync is js_pubasync at the floor: PUB frames with a reply subject, written
// up to 256 at a time while fewer than the clients' default window (4,000) are
// unacknowledged; a reader goroutine counts the acknowledgements.
func floorJSPubAsync(ctx context.Context, p params) (result, error) {
	f, err := newFloorStream(ctx, p, "floor-pubasync")
	if err != nil {
		return result{}, err
	}
	defer f.close()
	rc, inbox, s := f.rc, f.inbox, f.s
	const window, perWrite = 4000, 256
	data := make([]byte, p.Size)
	var out []byte

	var acked atomic.Int64
	more := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		for n := 0; n < p.N; n++ {
			m, err := rc.readMsg()
			if err == nil {
				err = floorAck(m)
			}
			if err != nil {
				done <- err
				return
			}
			acked.Add(1)
			select {
			case more <- struct{}{}:
			default:
			}
		}
		done <- nil
	}()
	return timedRate(p.N, func() error {
		for sent := 0; sent < p.N; {
			room := window - (sent - int(acked.Load()))
			if room <= 0 {
				select {
				case <-more:
				case err := <-done:
					return err
				case <-ctx.Done():
					return ctx.Err()
				}
				continue
			}
			k := min(perWrite, p.N-sent, room)
			out = out[:0]
			for i := range k {
				out = pubFrameSeq(out, s.subject, inbox, sent+i, data)
			}
			if err := rc.write(out); err != nil {
				return err
			}
			sent += k
		}
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// floorJSPubSync is js_pubsync at the floor: one PUB with a reply subject, then read its
// acknowledgement, on one goroutine.
func floorJSPubSync(ctx context.Context, p params) (result, error) {
	f, err := newFloorStream(ctx, p, "floor-pubsync")
	if err != nil {
		return result{}, err
	}
	defer f.close()
	rc, inbox, s := f.rc, f.inbox, f.s
	data := make([]byte, p.Size)
	var frame []byte
	seq := 0
	return timedRate(p.N, func() error {
		return publishSync(p.N, func() error {
			seq++
			frame = pubFrameSeq(frame[:0], s.subject, inbox, seq, data)
			m, err := rc.request(frame)
			if err != nil {
				return err
			}
			return floorAck(m)
		})
	})
}

// floorJSConsumeAck is js_consume_ack at the floor.
func floorJSConsumeAck(ctx context.Context, p params) (result, error) {
	return floorJSConsume(ctx, p, true)
}

// floorJSConsumeAckNone is js_consume_acknone at the floor.
func floorJSConsumeAckNone(ctx context.Context, p params) (result, error) {
	return floorJSConsume(ctx, p, false)
}

// floorJSConsume is the consume workloads at the floor: a durable pull consumer (made with
// natsactor, as the stream's fill), then raw pull requests of 500 messages, the next one
// sent when half of the outstanding ones arrived (the clients' default window), and, with
// ack, an empty PUB to each message's reply subject. Acknowledgements are written in one
// call whenever the read buffer runs dry. The timed part ends when every message arrived
// and a PING/PONG came back after the last acknowledgement; the ack floor is checked
// afterwards.
func floorJSConsume(ctx context.Context, p params, ack bool) (result, error) {
	f, err := newFloorStream(ctx, p, "floor-consume")
	if err != nil {
		return result{}, err
	}
	defer f.close()
	j, s, rc, inbox := f.j, f.s, f.rc, f.inbox
	if err := natsactorPublishAll(ctx, j, s.subject, make([]byte, p.Size), p.N); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	policy := jsm.AckExplicit
	if !ack {
		policy = jsm.AckNone
	}
	m := j.Manager()
	if _, err := m.AddConsumer(ctx, s.name, jsm.ConsumerConfig{Durable: "bench", AckPolicy: policy}); err != nil {
		return result{}, fmt.Errorf("add consumer: %w", err)
	}
	const batch = 500
	pull := pubFrameSeq(nil, "$JS.API.CONSUMER.MSG.NEXT."+s.name+".bench", inbox, 0,
		[]byte(`{"batch":`+strconv.Itoa(batch)+`,"expires":30000000000}`))
	// A floor consume once stopped receiving mid-run (the clients never did in the same
	// loops; they re-pull after missed heartbeats): the watchdog re-pulls after an idle
	// second, as they would, and fails the run with its counts after idle 15 s.
	var progress atomic.Int64
	stopWatch := floorWatchdog(ctx, rc, pull, &progress, p.N)
	r, err := timedRate(p.N, func() error {
		var out []byte
		outstanding, got := 0, 0
		defer func() { progress.Store(int64(got)) }()
		for got < p.N {
			if outstanding <= batch/2 {
				out = append(out, pull...)
				outstanding += batch
			}
			if len(out) > 0 && rc.r.Buffered() == 0 {
				if err := rc.write(out); err != nil {
					return err
				}
				out = out[:0]
			}
			msg, err := rc.readMsg()
			if err != nil {
				return err
			}
			if msg.status {
				return fmt.Errorf("floor: pull status %q", bytes.TrimSpace(msg.hdr))
			}
			got++
			outstanding--
			if got&1023 == 0 {
				progress.Store(int64(got))
			}
			if ack {
				out = pubFrame(out, msg.reply, "", nil)
			}
		}
		if len(out) > 0 {
			if err := rc.write(out); err != nil {
				return err
			}
		}
		return rc.sync()
	})
	stopWatch()
	if err != nil {
		return result{}, err
	}
	if !ack {
		return r, nil
	}
	return r, waitAckFloor(ctx, uint64(p.N), func(ctx context.Context) (uint64, error) {
		ci, err := m.ConsumerInfo(ctx, s.name, "bench")
		if err != nil {
			return 0, err
		}
		return ci.AckFloor.Stream, nil
	})
}

// floorKVPut is kv_put at the floor: a PUB to the key's subject with a reply subject,
// then its acknowledgement, one after another.
func floorKVPut(ctx context.Context, p params) (result, error) {
	b, cleanup, err := natsactorBucket(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	rc, inbox, err := dialInbox(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer rc.close()
	subjects := make([]string, kvKeys)
	for i := range subjects {
		subjects[i] = "$KV." + b.Name() + "." + kvKey(i)
	}
	value := make([]byte, p.Size)
	var frame []byte
	return timedRate(p.N, func() error {
		for i := range p.N {
			frame = pubFrameSeq(frame[:0], subjects[i%kvKeys], inbox, i, value)
			m, err := rc.request(frame)
			if err == nil {
				err = floorAck(m)
			}
			if err != nil {
				return fmt.Errorf("put %d: %w", i, err)
			}
		}
		return nil
	})
}

// floorKVGet is kv_get at the floor: the keys are put with natsactor (untimed), then
// each is read with a direct get on the subject-appended form, one after another.
func floorKVGet(ctx context.Context, p params) (result, error) {
	b, cleanup, err := natsactorBucket(ctx, p)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	if err := putKeys(ctx, kvKeys, p.Size, b.Put); err != nil {
		return result{}, fmt.Errorf("fill: %w", err)
	}
	rc, inbox, err := dialInbox(ctx, p.URL)
	if err != nil {
		return result{}, err
	}
	defer rc.close()
	subjects := make([]string, kvKeys)
	for i := range subjects {
		subjects[i] = "$JS.API.DIRECT.GET.KV_" + b.Name() + ".$KV." + b.Name() + "." + kvKey(i)
	}
	var frame []byte
	return timedRate(p.N, func() error {
		for i := range p.N {
			frame = pubFrameSeq(frame[:0], subjects[i%kvKeys], inbox, i, nil)
			m, err := rc.request(frame)
			if err == nil && m.status {
				err = fmt.Errorf("floor: status reply %q", bytes.TrimSpace(m.hdr))
			}
			if err != nil {
				return fmt.Errorf("get %d: %w", i, err)
			}
			if len(m.data) != p.Size {
				return fmt.Errorf("get %d: %d bytes, want %d", i, len(m.data), p.Size)
			}
		}
		return nil
	})
}

// floorIdleTick and floorIdleTicks pace floorWatchdog (variables for its test).
var (
	floorIdleTick  = time.Second
	floorIdleTicks = 15
)

// floorWatchdog watches a floor consume's progress (messages received, updated every
// 1,024): after a second without progress it sends pull again and says so on stderr,
// after 15 s it closes rc, so that the blocked read fails and the run reports the counts
// instead of waiting for its ctx. The returned func stops it; call it once.
func floorWatchdog(ctx context.Context, rc *rawConn, pull []byte, progress *atomic.Int64, n int) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(floorIdleTick)
		defer t.Stop()
		last, idle := progress.Load(), 0
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := progress.Load()
			if now != last {
				last, idle = now, 0
				continue
			}
			idle++
			if idle == floorIdleTicks {
				fmt.Fprintf(os.Stderr, "floor consume: no progress for %v at %d of %d messages; closing\n", floorIdleTick*time.Duration(idle), now, n)
				rc.close()
				return
			}
			fmt.Fprintf(os.Stderr, "floor consume: no progress for %v at %d of %d messages; pulling again\n", floorIdleTick*time.Duration(idle), now, n)
			_ = rc.write(pull)
		}
	}()
	return func() { close(done) }
}
