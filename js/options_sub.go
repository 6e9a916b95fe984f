package js

import (
	"fmt"
	"time"

	"github.com/natsactor/natsactor/jsm"
)

// SubOption configures the consumer behind Subscribe, PullSubscribe and Consumer:
// which stream, where it starts, how it is acknowledged, and how its messages are
// delivered.
type SubOption func(*subOptions) error

type subOptions struct {
	cfg        jsm.ConsumerConfig
	stream     string
	bind       bool // bind to an existing consumer only
	durable    string
	queue      string
	manualAck  bool
	ordered    bool
	handler    func(*Msg)
	pendMsgs   int
	pendBytes  int
	errHandler func(error)
	autoWPI    bool
}

// BindStream names the stream instead of looking it up by subject.
func BindStream(stream string) SubOption {
	return func(o *subOptions) error {
		if stream == "" {
			return fmt.Errorf("%w: empty stream name", ErrInvalidOption)
		}
		o.stream = stream
		return nil
	}
}

// Bind uses the existing consumer name of stream and never creates one.
func Bind(stream, consumer string) SubOption {
	return func(o *subOptions) error {
		if stream == "" || consumer == "" {
			return fmt.Errorf("%w: Bind needs a stream and a consumer", ErrInvalidOption)
		}
		o.stream, o.durable, o.bind = stream, consumer, true
		return nil
	}
}

// Durable names a durable consumer: created if missing, bound if present.
func Durable(name string) SubOption {
	return func(o *subOptions) error {
		if name == "" {
			return fmt.Errorf("%w: empty durable name", ErrInvalidOption)
		}
		o.durable = name
		return nil
	}
}

// DeliverAll starts the consumer at the stream's first message (the default).
func DeliverAll() SubOption { return deliver(jsm.DeliverAll) }

// DeliverLast starts the consumer at the stream's last message.
func DeliverLast() SubOption { return deliver(jsm.DeliverLast) }

// DeliverLastPerSubject starts the consumer with the last message of each subject.
func DeliverLastPerSubject() SubOption { return deliver(jsm.DeliverLastPerSubject) }

// DeliverNew starts the consumer with the messages stored after it was created.
func DeliverNew() SubOption { return deliver(jsm.DeliverNew) }

func deliver(p jsm.DeliverPolicy) SubOption {
	return func(o *subOptions) error {
		o.cfg.DeliverPolicy = p
		return nil
	}
}

// StartSequence starts the consumer at stream sequence seq.
func StartSequence(seq uint64) SubOption {
	return func(o *subOptions) error {
		o.cfg.DeliverPolicy, o.cfg.OptStartSeq = jsm.DeliverByStartSequence, seq
		return nil
	}
}

// StartTime starts the consumer at the first message stored at or after t.
func StartTime(t time.Time) SubOption {
	return func(o *subOptions) error {
		o.cfg.DeliverPolicy, o.cfg.OptStartTime = jsm.DeliverByStartTime, &t
		return nil
	}
}

// AckExplicit wants every message acknowledged (the default).
func AckExplicit() SubOption { return ackPolicy(jsm.AckExplicit) }

// AckAll takes an acknowledgement as one for every earlier message too.
func AckAll() SubOption { return ackPolicy(jsm.AckAll) }

// AckNone wants no acknowledgements.
func AckNone() SubOption { return ackPolicy(jsm.AckNone) }

func ackPolicy(p jsm.AckPolicy) SubOption {
	return func(o *subOptions) error {
		o.cfg.AckPolicy = p
		return nil
	}
}

// AckWait sets how long the server waits for an acknowledgement before delivering a
// message again.
func AckWait(d time.Duration) SubOption {
	return func(o *subOptions) error {
		if d <= 0 {
			return fmt.Errorf("%w: ack wait %v", ErrInvalidOption, d)
		}
		o.cfg.AckWait = d
		return nil
	}
}

// MaxDeliver bounds the deliveries of each message.
func MaxDeliver(n int) SubOption {
	return func(o *subOptions) error {
		o.cfg.MaxDeliver = n
		return nil
	}
}

// MaxAckPending bounds the messages delivered and not yet acknowledged.
func MaxAckPending(n int) SubOption {
	return func(o *subOptions) error {
		o.cfg.MaxAckPending = n
		return nil
	}
}

// BackOff sets the redelivery delays, one per delivery attempt.
func BackOff(delays ...time.Duration) SubOption {
	return func(o *subOptions) error {
		o.cfg.BackOff = delays
		return nil
	}
}

// InactiveThreshold removes the consumer after d without activity.
func InactiveThreshold(d time.Duration) SubOption {
	return func(o *subOptions) error {
		o.cfg.InactiveThreshold = d
		return nil
	}
}

// ConsumerName names the consumer (an ephemeral one, unless Durable is given too).
func ConsumerName(name string) SubOption {
	return func(o *subOptions) error {
		o.cfg.Name = name
		return nil
	}
}

// Description sets the consumer's description.
func Description(s string) SubOption {
	return func(o *subOptions) error {
		o.cfg.Description = s
		return nil
	}
}

// FilterSubjects restricts the consumer to several subjects (instead of the one given
// to the call; pass "" there).
func FilterSubjects(subjects ...string) SubOption {
	return func(o *subOptions) error {
		o.cfg.FilterSubjects = subjects
		return nil
	}
}

// ErrHandler receives the errors of a long-lived consumer that do not end it (missed
// heartbeats, refused pulls, resets) and the one that does, on the consumer's
// goroutine. It must not block for long.
func ErrHandler(f func(error)) SubOption {
	return func(o *subOptions) error {
		o.errHandler = f
		return nil
	}
}

// Handler delivers the messages of Subscribe or OrderedConsumer to f, called on the
// subscription's own goroutine one message at a time, instead of on C().
func Handler(f func(*Msg)) SubOption {
	return func(o *subOptions) error {
		if f == nil {
			return fmt.Errorf("%w: nil handler", ErrInvalidOption)
		}
		o.handler = f
		return nil
	}
}

// IdleHeartbeat sets the idle heartbeat of a push consumer Subscribe creates
// (DefaultPushHeartbeat without it), or the one an ordered consumer asks for in its
// pulls (default 5 s). Two missed heartbeats make an ordered consumer reset; a push
// subscription reports them to its ErrHandler and checks its consumer: a vanished
// ephemeral one is created again where delivery stopped, a vanished durable ends the
// subscription with ErrConsumerDeleted.
func IdleHeartbeat(d time.Duration) SubOption {
	return func(o *subOptions) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%w: heartbeat %v below 100 ms", ErrInvalidOption, d)
		}
		o.cfg.Heartbeat = d
		return nil
	}
}

// HeadersOnly delivers the messages' headers without their payloads (the payload size
// is in the Nats-Msg-Size header).
func HeadersOnly() SubOption {
	return func(o *subOptions) error {
		o.cfg.HeadersOnly = true
		return nil
	}
}

// ManualAck leaves the acknowledgements of a push subscription with a Handler to the
// handler. Without it each message is acknowledged when the handler returns (unless the
// handler acknowledged it or the consumer takes no acknowledgements). Messages read from
// C() or Next are never acknowledged automatically.
func ManualAck() SubOption {
	return func(o *subOptions) error {
		o.manualAck = true
		return nil
	}
}

// Ordered makes Subscribe an ordered consumer (see OrderedConsumer).
func Ordered() SubOption {
	return func(o *subOptions) error {
		o.ordered = true
		return nil
	}
}

// DeliverGroup (also given by QueueSubscribe) shares the push consumer's messages
// between the subscriptions of a group, each message to one of them.
func DeliverGroup(queue string) SubOption {
	return func(o *subOptions) error {
		if queue == "" {
			return fmt.Errorf("%w: empty deliver group", ErrInvalidOption)
		}
		o.queue = queue
		return nil
	}
}

// EnableFlowControl asks the server for flow control on a push consumer (it needs
// IdleHeartbeat too, which it sets to 5 s when missing). The subscription answers each
// request once the messages before it were delivered.
func EnableFlowControl() SubOption {
	return func(o *subOptions) error {
		o.cfg.FlowControl = true
		if o.cfg.Heartbeat == 0 {
			o.cfg.Heartbeat = 5 * time.Second
		}
		return nil
	}
}

// PendingLimits bounds the messages and bytes a push subscription holds before they are
// delivered (defaults 524,288 messages and 256 MiB); beyond them messages are dropped
// (and delivered again by the server after the ack wait).
func PendingLimits(msgs, bytes int) SubOption {
	return func(o *subOptions) error {
		o.pendMsgs, o.pendBytes = msgs, bytes
		return nil
	}
}
