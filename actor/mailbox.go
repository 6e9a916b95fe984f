package actor

// Mailbox is an actor's inbound command queue in two lanes: control commands (close,
// drain, unsubscribe) and data commands (publish, deliver). Receiving prefers control,
// so control never waits behind a backlog of data. Senders use the channels from
// [Mailbox.Control] and [Mailbox.Data] directly (a send blocks while that lane is full);
// the owning actor receives with [Mailbox.Recv] or selects on [Mailbox.Lanes].
type Mailbox[T any] struct {
	control chan T
	data    chan T
}

// NewMailbox returns a mailbox whose lanes have the given buffer capacities
// (0 makes a lane unbuffered).
func NewMailbox[T any](controlCap, dataCap int) *Mailbox[T] {
	return &Mailbox[T]{control: make(chan T, controlCap), data: make(chan T, dataCap)}
}

// Control returns the send side of the control lane.
func (m *Mailbox[T]) Control() chan<- T { return m.control }

// Data returns the send side of the data lane.
func (m *Mailbox[T]) Data() chan<- T { return m.data }

// Lanes returns the receive sides of both lanes, for an actor that selects on them
// together with its own channels (timers, queues). Such a select does not prefer
// control by itself; Recv does.
func (m *Mailbox[T]) Lanes() (control, data <-chan T) { return m.control, m.data }

// Recv blocks until a command is available or done closes. A command waiting in the
// control lane is returned before any in the data lane. It returns ok=false without
// taking a command when done is already closed on entry, or closes before a command
// arrives; commands left in the lanes stay there.
func (m *Mailbox[T]) Recv(done <-chan struct{}) (v T, ok bool) {
	select {
	case <-done:
		return v, false
	default:
	}
	select {
	case v = <-m.control:
		return v, true
	default:
	}
	select {
	case v = <-m.control:
		return v, true
	case v = <-m.data:
		return v, true
	case <-done:
		return v, false
	}
}
