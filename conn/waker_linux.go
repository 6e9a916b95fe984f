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
type waker struct {
	f      *os.File
	closed atomic.Bool
	wakeFn func() // k.wake as a func value, made once: a method value allocates each time
}

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
	k.wakeFn = k.wake
	return k
}

// wake makes the current or next wait return. Wakes coalesce; it never blocks (an
// eventfd's counter does not fill up).
func (k *waker) wake() {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	_, _ = k.f.Write(b[:])
}

// wait blocks until at least one wake since the last wait returned. It can return for a
// wake meant for an earlier user of the waker, so callers check their condition in a
// loop. An error means the waker was closed.
func (k *waker) wait() error {
	var b [8]byte
	_, err := k.f.Read(b[:])
	return err
}

// close releases the eventfd; later wakes do nothing and waits return an error. Calling
// it again has no effect.
func (k *waker) close() {
	if k.closed.CompareAndSwap(false, true) {
		_ = k.f.Close()
		wakersOpen.Add(-1)
	}
}
