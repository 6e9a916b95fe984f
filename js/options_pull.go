package js

import (
	"fmt"
	"time"
)

// Defaults of Consume and Messages (ADR-37).
const (
	DefaultPullMaxMessages = 500
	DefaultPullExpiry      = 30 * time.Second
	// DefaultFetchWait bounds Fetch and Next when their ctx has no deadline.
	DefaultFetchWait = 5 * time.Second
)

// pullRequest is the body of a pull ($JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>).
type pullRequest struct {
	Batch     int           `json:"batch,omitempty"`
	Expires   time.Duration `json:"expires,omitempty"`
	MaxBytes  int           `json:"max_bytes,omitempty"`
	NoWait    bool          `json:"no_wait,omitempty"`
	Heartbeat time.Duration `json:"idle_heartbeat,omitempty"`
}

// FetchOption configures one Fetch or Next.
type FetchOption func(*fetchOptions) error

type fetchOptions struct {
	maxBytes  int
	noWait    bool
	heartbeat time.Duration
}

// FetchMaxBytes bounds the bytes of the batch; the server ends the batch before the
// message that would pass it.
func FetchMaxBytes(n int) FetchOption {
	return func(o *fetchOptions) error {
		if n <= 0 {
			return fmt.Errorf("%w: max bytes %d", ErrInvalidOption, n)
		}
		o.maxBytes = n
		return nil
	}
}

// FetchNoWait returns at once with the messages available now (ErrTimeout when there
// are none) instead of waiting for more.
func FetchNoWait() FetchOption {
	return func(o *fetchOptions) error {
		o.noWait = true
		return nil
	}
}

// FetchHeartbeat asks the server for idle heartbeats every d while the fetch waits
// (default: half the wait, at most 5 s, none for waits under 2 s); two missed ones end
// the fetch with ErrNoHeartbeat and the messages received so far.
func FetchHeartbeat(d time.Duration) FetchOption {
	return func(o *fetchOptions) error {
		if d < 0 {
			return fmt.Errorf("%w: heartbeat %v", ErrInvalidOption, d)
		}
		o.heartbeat = d
		return nil
	}
}

// PullOption configures Consume and Messages.
type PullOption func(*pullOptions) error

type pullOptions struct {
	maxMsgs, maxBytes             int
	expires, heartbeat            time.Duration
	thresholdMsgs, thresholdBytes int
	errHandler                    func(error)
	autoProgress                  bool
}

// PullMaxMessages sets the window: how many messages are requested and not yet
// delivered at most (default DefaultPullMaxMessages).
func PullMaxMessages(n int) PullOption {
	return func(o *pullOptions) error {
		if n <= 0 {
			return fmt.Errorf("%w: max messages %d", ErrInvalidOption, n)
		}
		o.maxMsgs = n
		return nil
	}
}

// PullMaxBytes sets the window in bytes instead of messages.
func PullMaxBytes(n int) PullOption {
	return func(o *pullOptions) error {
		if n <= 0 {
			return fmt.Errorf("%w: max bytes %d", ErrInvalidOption, n)
		}
		o.maxBytes = n
		return nil
	}
}

// PullExpiry sets how long each pull request waits in the server (default 30 s, at
// least 1 s).
func PullExpiry(d time.Duration) PullOption {
	return func(o *pullOptions) error {
		if d < time.Second {
			return fmt.Errorf("%w: expiry %v below 1 s", ErrInvalidOption, d)
		}
		o.expires = d
		return nil
	}
}

// PullHeartbeat sets the idle heartbeat asked for in every pull (default half the
// expiry, at most 30 s; at most half the expiry).
func PullHeartbeat(d time.Duration) PullOption {
	return func(o *pullOptions) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%w: heartbeat %v below 100 ms", ErrInvalidOption, d)
		}
		o.heartbeat = d
		return nil
	}
}

// PullThresholdMessages re-pulls when the messages requested and not yet delivered
// fall to n (default half the window).
func PullThresholdMessages(n int) PullOption {
	return func(o *pullOptions) error {
		if n < 0 {
			return fmt.Errorf("%w: threshold %d", ErrInvalidOption, n)
		}
		o.thresholdMsgs = n
		return nil
	}
}

// PullErrHandler receives the errors of Consume or Messages that do not end it (missed
// heartbeats, refused pulls) and the one that does, on the consumer's goroutine.
func PullErrHandler(f func(error)) PullOption {
	return func(o *pullOptions) error {
		o.errHandler = f
		return nil
	}
}

// PullAutoInProgress makes Consume tell the server a message is still in progress
// (+WPI) while its handler runs longer than about half the consumer's ack wait, until
// the message is acknowledged or the handler returns. Without it a slow handler's
// message is delivered again after the ack wait.
func PullAutoInProgress() PullOption {
	return func(o *pullOptions) error {
		o.autoProgress = true
		return nil
	}
}

func (p *PullConsumer) pullOpts(opts []PullOption) (pullOptions, error) {
	o := pullOptions{expires: DefaultPullExpiry, errHandler: p.opts.errHandler}
	for _, f := range opts {
		if err := f(&o); err != nil {
			return o, err
		}
	}
	if o.maxMsgs == 0 {
		o.maxMsgs = DefaultPullMaxMessages
		if o.maxBytes > 0 {
			o.maxMsgs = 1_000_000
		}
	}
	if o.heartbeat == 0 {
		o.heartbeat = min(o.expires/2, 30*time.Second)
	}
	if o.heartbeat*2 > o.expires {
		return o, fmt.Errorf("%w: heartbeat %v more than half the expiry %v", ErrInvalidOption, o.heartbeat, o.expires)
	}
	if o.thresholdMsgs == 0 {
		o.thresholdMsgs = o.maxMsgs / 2
	}
	if o.thresholdMsgs >= o.maxMsgs {
		o.thresholdMsgs = o.maxMsgs - 1
	}
	if o.maxBytes > 0 {
		o.thresholdBytes = o.maxBytes / 2
	}
	return o, nil
}
