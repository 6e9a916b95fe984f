//go:build linux

package conn

import (
	"encoding/binary"
	"os"
	"sync/atomic"
	"syscall"
)

// waker parks one goroutine in the network poller (on an eventfd) until another wakes it.
//
// Why not a channel: a goroutine woken by a channel send is put on the sender's run queue
// and, while another processor is idle, a second OS thread is woken to look for it. In a
// request round trip the sender is the reader, which parks a moment later; the woken
// thread finds nothing to do, spins and sleeps again, and on a small machine it takes CPU
// the server needed to answer. A goroutine woken through the poller is picked up by the
// next thread that looks for work — the reader's own, once it parks — and no other thread
// is disturbed. Measured with compare/cmd/bench's floor client: one channel hand-off adds
// about 25–40 µs to a 100–150 µs round trip on 2 vCPUs; through an eventfd about 10.
//
// A waker costs no system call when it is not needed: state says whether its one waiter is
// parked, so wake writes to the eventfd only for a parked waiter, and a wait that finds a
// wake already there returns at once. The waiter parks through the file's RawConn without
// reading, and the eventfd is never read: every write to an eventfd wakes its pollers
// (the network poller, edge-triggered, gets one event per write), so its counter only
// grows, by one per wake of a parked waiter, and 2^64 of those will not come.
type waker struct {
	f       *os.File
	rc      syscall.RawConn
	state   atomic.Int32 // wakerIdle, wakerParked or wakerWoken
	closed  atomic.Bool
	wakeFn  func()             // k.wake as a func value, made once: a method value allocates each time
	wokenFn func(uintptr) bool // k.woken, likewise
}

// The states of a waker.
const (
	wakerIdle   = iota // no wake since the last wait returned, and nobody parked
	wakerParked        // the waiter is parked, or about to park, in the poller
	wakerWoken         // woken since the last wait returned
)

// maxWakersPerProcess bounds the file descriptors wakers take, whatever the number of
// connections and subscriptions: past it, newWaker returns nil and channels are used.
const maxWakersPerProcess = 128

// wakersOpen counts the wakers not yet closed.
var wakersOpen atomic.Int64

// newWaker returns a waker, or nil when the budget is spent or the system cannot make
// one (the caller then uses channels).
func newWaker() *waker {
	if wakersOpen.Add(1) > maxWakersPerProcess {
		wakersOpen.Add(-1)
		return nil
	}
	const efdNonblock, efdCloexec = syscall.O_NONBLOCK, syscall.O_CLOEXEC
	fd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdNonblock|efdCloexec, 0)
	if errno != 0 {
		wakersOpen.Add(-1)
		return nil
	}
	// Non-blocking, so os.NewFile hands it to the poller.
	k := &waker{f: os.NewFile(fd, "natsactor-waker")}
	rc, err := k.f.SyscallConn()
	if err != nil {
		k.close()
		return nil
	}
	k.rc = rc
	k.wakeFn, k.wokenFn = k.wake, k.woken
	return k
}

// wake makes the current or next wait return. Wakes coalesce; it never blocks (an
// eventfd's counter does not fill up), and it makes a system call only when the waiter
// is parked.
func (k *waker) wake() {
	if k.state.Swap(wakerWoken) != wakerParked {
		return // the waiter is running: its next wait sees the state
	}
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	_, _ = k.f.Write(b[:])
}

// wait blocks until at least one wake since the last wait returned. It can return for a
// wake meant for an earlier user of the waker, so callers check their condition in a
// loop. An error means the waker was closed. Only one goroutine may wait at a time.
func (k *waker) wait() error {
	if k.closed.Load() {
		return os.ErrClosed
	}
	for {
		if k.state.CompareAndSwap(wakerWoken, wakerIdle) {
			return nil
		}
		if k.state.CompareAndSwap(wakerIdle, wakerParked) {
			break
		}
		// Neither: a wake came between the two; take it.
	}
	// RawConn.Read forgets readiness seen before it starts, then calls woken and, while
	// that is false, parks until the eventfd's next event. A wake after the state became
	// parked writes, which is such an event; one before is seen by the first call.
	return k.rc.Read(k.wokenFn)
}

// woken takes a wake, for wait's RawConn.Read: true when there was one.
func (k *waker) woken(uintptr) bool { return k.state.CompareAndSwap(wakerWoken, wakerIdle) }

// close releases the eventfd; later wakes do nothing and waits return an error. Calling
// it again has no effect.
func (k *waker) close() {
	if k.closed.CompareAndSwap(false, true) {
		_ = k.f.Close()
		wakersOpen.Add(-1)
	}
}
