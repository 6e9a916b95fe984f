package kv

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/js"
	"github.com/natsactor/natsactor/jsm"
)

// This file is the watcher's ordered push consumer (ADR-17, ADR-8): an ephemeral,
// ack-less, flow-controlled consumer with idle heartbeats, whose actor tracks the
// last stream and consumer sequences and recreates the consumer from the next
// stream sequence on a gap, missed heartbeats, a reconnect or the consumer's loss,
// with one reset in flight. It is kept apart so that it can be replaced by an
// ordered consumer of package js.

// Headers and statuses of push consumers.
const (
	hdrLastConsumer    = "Nats-Last-Consumer"
	hdrConsumerStalled = "Nats-Consumer-Stalled"
	statusControl      = 100
)

// resetBackoff bounds the wait between failed attempts to recreate the consumer.
var resetBackoff = [...]time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}

// errGap, errNoHeartbeat and errReconnected say why a consumer was reset.
var (
	errGap         = errors.New("nats: watcher consumer sequence gap")
	errNoHeartbeat = errors.New("nats: watcher missed two idle heartbeats")
	errReconnected = errors.New("nats: watcher reconnected")
	errLost        = errors.New("nats: watcher consumer gone")
)

type watcherActor struct {
	b        *Bucket
	c        *conn.Conn
	subjects []string
	o        watchOpts

	out    chan *Entry
	stopc  chan struct{}
	drainc chan struct{}
	fenced chan struct{} // closed once a drain's fence is done (Drain waits for it)
	done   chan struct{}

	stopOnce, drainOnce sync.Once
	lockedStatus

	// Owned by the actor's goroutine (and by start before it runs).
	sub      *conn.Subscription
	consumer string
	lastSeq  uint64 // last stream sequence accepted
	consSeq  uint64 // last consumer sequence of the current consumer
	initDone bool
	initLeft uint64              // messages of the current consumer until the end of the initial values
	initKeys map[string]struct{} // keys delivered by a last-per-subject consumer before the marker
	queue    []*Entry
	emitted  uint64
	fc       []fcReply
	attempt  int
}

// fcReply is a flow-control request to answer once the entries queued before it
// were delivered.
type fcReply struct {
	subject string
	after   uint64
}

// created is the result of one consumer creation.
type created struct {
	sub *conn.Subscription
	ci  *jsm.ConsumerInfo
	err error
}

func newWatcherActor(b *Bucket, subjects []string, o watchOpts) *watcherActor {
	return &watcherActor{
		b:        b,
		c:        b.c,
		subjects: subjects,
		o:        o,
		out:      make(chan *Entry, 32),
		stopc:    make(chan struct{}),
		drainc:   make(chan struct{}),
		fenced:   make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// start creates the first consumer (bounded by ctx) and starts the actor.
func (a *watcherActor) start(ctx context.Context) error {
	ctx, cancel := a.b.m.WithDefaultTimeout(ctx)
	defer cancel()
	events, stopEvents := a.c.Events(conn.EventReconnected, conn.EventClosed)
	r := a.create(ctx, 0, false)
	if r.err != nil {
		stopEvents()
		return bucketErr(a.b.name, r.err)
	}
	if p, _ := a.o.deliverPolicy(); p == jsm.DeliverNew || p == jsm.DeliverByStartSequence {
		a.lastSeq = r.ci.Delivered.Stream
	}
	if a.o.updatesOnly {
		a.initDone = true
		a.queue = append(a.queue, nil)
	}
	a.adopt(r)
	go a.run(events, stopEvents)
	return nil
}

// create subscribes to a new inbox and creates a consumer delivering to it,
// starting after lastSeq (or as the options say when nothing was delivered yet,
// or with the latest per key again while the initial values are not done).
func (a *watcherActor) create(ctx context.Context, lastSeq uint64, initDone bool) created {
	inbox := a.b.newInbox()
	sub, err := a.c.Subscribe(inbox)
	if err != nil {
		return created{err: err}
	}
	cfg := jsm.ConsumerConfig{
		DeliverSubject: inbox,
		AckPolicy:      jsm.AckNone,
		MaxDeliver:     1,
		FlowControl:    true,
		Heartbeat:      a.o.heartbeat,
		HeadersOnly:    a.o.metaOnly,
		MemoryStorage:  true,
		Replicas:       1,
		ReplayPolicy:   jsm.ReplayInstant,
	}
	if len(a.subjects) == 1 {
		cfg.FilterSubject = a.subjects[0]
	} else {
		cfg.FilterSubjects = a.subjects
	}
	policy, start := a.o.deliverPolicy()
	switch {
	case policy == jsm.DeliverLastPerSubject && !initDone:
		// Recreated during the initial values: the latest per key again; the actor
		// skips what it already delivered.
	case lastSeq > 0:
		policy, start = jsm.DeliverByStartSequence, lastSeq+1
	}
	cfg.DeliverPolicy = policy
	cfg.OptStartSeq = start
	ci, err := a.b.m.AddConsumer(ctx, a.b.stream, cfg)
	if err != nil {
		_ = sub.Unsubscribe()
		return created{err: err}
	}
	return created{sub: sub, ci: ci}
}

// adopt makes r's consumer the current one.
func (a *watcherActor) adopt(r created) {
	a.sub, a.consumer, a.consSeq = r.sub, r.ci.Name, 0
	if a.initDone {
		return
	}
	// The consumer's pending count at creation (plus what it may have pushed
	// already) is the number of initial values.
	a.initLeft = r.ci.NumPending + r.ci.Delivered.Consumer
	if p, _ := a.o.deliverPolicy(); p == jsm.DeliverLastPerSubject {
		a.initKeys = make(map[string]struct{})
	}
	if a.initLeft == 0 {
		a.finishInit()
	}
}

func (a *watcherActor) finishInit() {
	a.initDone = true
	a.initKeys = nil
	a.queue = append(a.queue, nil)
}

// run is the actor's loop.
func (a *watcherActor) run(events <-chan conn.Event, stopEvents func()) {
	defer close(a.done)
	defer stopEvents()
	alarmEvery := 2 * a.o.heartbeat
	alarm := time.NewTimer(alarmEvery)
	defer alarm.Stop()
	var (
		resetc     chan created     // the reset in flight, or nil
		retry      <-chan time.Time // the wait before the next attempt
		retryTimer *time.Timer
		draining   bool
		endErr     error
	)
	defer func() {
		if retryTimer != nil {
			retryTimer.Stop()
		}
	}()
	startReset := func(cause error) {
		if resetc != nil || retry != nil || draining {
			return // one reset in flight
		}
		a.set(WatcherResetting, cause)
		a.dropConsumer()
		resetc = make(chan created, 1)
		last, initDone := a.lastSeq, a.initDone
		go func(ch chan created) {
			ctx, cancel := a.b.m.WithDefaultTimeout(context.Background())
			defer cancel()
			ch <- a.create(ctx, last, initDone)
		}(resetc)
	}
	for {
		var (
			send chan *Entry
			head *Entry
			msgs <-chan *conn.Msg
		)
		if len(a.queue) > 0 {
			send, head = a.out, a.queue[0]
		} else if draining && a.sub == nil {
			break
		}
		if a.sub != nil {
			msgs = a.sub.C()
		}
		select {
		case send <- head:
			a.queue[0] = nil
			a.queue = a.queue[1:]
			a.emitted++
			a.answerFlowControl()
		case m, ok := <-msgs:
			if !ok {
				// The subscription ended: drained (everything the server sent before the
				// drain's UNSUB came first), or under us (a permission error, the close).
				a.sub = nil
				a.deleteConsumer(a.consumer)
				if draining {
					continue // what is queued still goes to C()
				}
				if a.c.Status() == conn.StatusClosed {
					endErr = conn.ErrConnectionClosed
					goto end
				}
				startReset(errLost)
				continue
			}
			if !alarm.Stop() {
				select {
				case <-alarm.C:
				default:
				}
			}
			alarm.Reset(alarmEvery)
			if err := a.onMsg(m); err != nil {
				startReset(err)
			}
		case <-alarm.C:
			alarm.Reset(alarmEvery)
			if a.sub != nil {
				startReset(errNoHeartbeat)
			}
		case ev := <-events:
			switch ev.Kind {
			case conn.EventClosed:
				if draining {
					continue // the drained subscription and the queue go on to C()
				}
				endErr = conn.ErrConnectionClosed
				goto end
			case conn.EventReconnected:
				startReset(errReconnected)
			}
		case r := <-resetc:
			resetc = nil
			if r.err != nil {
				if errors.Is(r.err, jsm.ErrStreamNotFound) {
					endErr = bucketErr(a.b.name, r.err)
					goto end
				}
				if errors.Is(r.err, conn.ErrConnectionClosed) {
					endErr = r.err
					goto end
				}
				a.set(WatcherResetting, r.err)
				wait := resetBackoff[min(a.attempt, len(resetBackoff)-1)]
				a.attempt++
				retryTimer = time.NewTimer(wait)
				retry = retryTimer.C
				continue
			}
			a.attempt = 0
			if draining {
				_ = r.sub.Unsubscribe()
				a.deleteConsumer(r.ci.Name)
				continue
			}
			a.adopt(r)
			a.set(WatcherActive, nil)
			alarm.Reset(alarmEvery)
		case <-retry:
			retry, retryTimer = nil, nil
			startReset(nil)
		case <-a.drainc:
			a.drainc = nil
			draining = true
			// The subscription's drain stops the server sending and hands over what it
			// sent before; its end (above) then deletes the consumer. Once its fence is
			// done the connection no longer holds the subscription: a close cannot
			// discard what it received.
			go func(sub *conn.Subscription) {
				if sub != nil {
					_ = sub.Drain(context.Background())
				}
				close(a.fenced)
			}(a.sub)
			if retryTimer != nil {
				retryTimer.Stop()
				retry, retryTimer = nil, nil
			}
		case <-a.stopc:
			goto end
		}
		if draining && len(a.queue) == 0 && a.sub == nil {
			break
		}
	}
end:
	a.dropConsumer()
	if resetc != nil {
		// Clean up the reset in flight without waiting on the actor's own loop.
		go func(ch chan created) {
			if r := <-ch; r.err == nil {
				_ = r.sub.Unsubscribe()
				a.deleteConsumer(r.ci.Name)
			}
		}(resetc)
	}
	a.set(WatcherStopped, endErr)
	close(a.out)
}

// dropConsumer unsubscribes from the current consumer and deletes it.
func (a *watcherActor) dropConsumer() {
	if a.sub == nil {
		return
	}
	_ = a.sub.Unsubscribe()
	a.sub = nil
	a.deleteConsumer(a.consumer)
	a.fc = a.fc[:0]
}

// deleteConsumer asks the server to delete a consumer without waiting for the
// answer (the server acts on API requests without a reply subject); the consumer
// would go anyway once it has no interest for its inactive threshold.
func (a *watcherActor) deleteConsumer(name string) {
	if name == "" {
		return
	}
	_ = a.c.Publish(a.b.m.APIPrefix()+".CONSUMER.DELETE."+a.b.stream+"."+name, nil)
}

// answerFlowControl answers the flow-control requests whose earlier entries
// have all been delivered.
func (a *watcherActor) answerFlowControl() {
	n := 0
	for _, f := range a.fc {
		if f.after > a.emitted {
			a.fc[n] = f
			n++
			continue
		}
		_ = a.c.Publish(f.subject, nil)
	}
	a.fc = a.fc[:n]
}

// onMsg handles one message of the current consumer; an error asks for a reset.
func (a *watcherActor) onMsg(m *conn.Msg) error {
	if code, desc := m.Status(); code != 0 {
		if code != statusControl {
			return fmt.Errorf("%w: status %d %s", errLost, code, desc)
		}
		if m.Reply != "" { // flow-control request
			a.fc = append(a.fc, fcReply{subject: m.Reply, after: a.emitted + uint64(len(a.queue))})
			a.answerFlowControl()
			return nil
		}
		if s := m.Header.Get(hdrConsumerStalled); s != "" {
			_ = a.c.Publish(s, nil)
		} else if !a.initDone {
			// An idle heartbeat: the consumer has nothing left to deliver, so the
			// initial values are done even if fewer came than counted (values
			// removed by limits before their delivery).
			a.finishInit()
		}
		if last := m.Header.Get(hdrLastConsumer); last != "" {
			if n, err := strconv.ParseUint(last, 10, 64); err == nil && n != a.consSeq {
				return fmt.Errorf("%w: heartbeat says %d, delivered %d", errGap, n, a.consSeq)
			}
		}
		return nil
	}
	md, err := (&js.Msg{Reply: m.Reply}).Metadata()
	if err != nil {
		return nil // not a consumer delivery; ignore it
	}
	if md.Sequence.Consumer != a.consSeq+1 {
		return fmt.Errorf("%w: got %d after %d", errGap, md.Sequence.Consumer, a.consSeq)
	}
	a.consSeq = md.Sequence.Consumer
	if !a.initDone && a.initKeys != nil {
		// A key never repeats among the latest values per key: a second one is an
		// update, so the initial values are done (some of them were removed by the
		// history limit before their delivery).
		k := strings.TrimPrefix(m.Subject, a.b.readPre)
		if _, dup := a.initKeys[k]; dup {
			a.finishInit()
		} else {
			a.initKeys[k] = struct{}{}
		}
	}
	if md.Sequence.Stream > a.lastSeq {
		a.lastSeq = md.Sequence.Stream
		e := &Entry{
			Bucket:    a.b.name,
			Key:       strings.TrimPrefix(m.Subject, a.b.readPre),
			Revision:  md.Sequence.Stream,
			Created:   md.Timestamp,
			Delta:     md.NumPending,
			Operation: operationOf(m.Header),
		}
		if !a.o.metaOnly {
			e.Value = m.Data
		}
		if e.Operation == OpPut || !a.o.ignoreDeletes {
			a.queue = append(a.queue, e)
		}
	}
	if !a.initDone {
		// The count taken at the consumer's creation, not each message's pending
		// count: a last-per-subject consumer reports 0 pending too early while keys
		// are being written.
		if a.initLeft > 0 {
			a.initLeft--
		}
		if a.initLeft == 0 {
			a.finishInit()
		}
	}
	return nil
}
