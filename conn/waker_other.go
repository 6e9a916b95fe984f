//go:build !linux

package conn

// waker is only available on Linux (see waker_linux.go); elsewhere requests wait on
// channels.
type waker struct{ wakeFn func() }

func newWaker() *waker { return nil }

func (k *waker) wake()       {}
func (k *waker) wait() error { return nil }
func (k *waker) close()      {}
