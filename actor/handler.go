package actor

import (
	"runtime"
	"strconv"
	"sync"
)

// handlerGoroutines holds the ids of goroutines that run user handlers, for every actor of
// every package. A lifecycle call made from one of them must not wait for handlers to
// finish: two handlers stopping each other's actor would wait on each other. Lifecycle
// calls from anywhere else wait out a running handler, so that once they return no handler
// of theirs is running or will start.
var handlerGoroutines sync.Map // uint64 -> struct{}

// EnterHandler marks the calling goroutine as one that runs user handlers, until the
// returned leave is called. An actor calls it once when its delivering goroutine starts.
func EnterHandler() (leave func()) {
	id := goroutineID()
	handlerGoroutines.Store(id, struct{}{})
	return func() { handlerGoroutines.Delete(id) }
}

// InHandler reports whether the calling goroutine runs user handlers (of any actor), where
// a lifecycle call must not wait for handlers to return.
func InHandler() bool {
	_, ok := handlerGoroutines.Load(goroutineID())
	return ok
}

// goroutineID returns the current goroutine's id, parsed from the first line of its stack
// ("goroutine 123 [running]:"). Go has no API for it; it is used only on lifecycle paths and
// once per handler goroutine, never per message.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) <= len(prefix) {
		return 0
	}
	b = b[len(prefix):]
	end := 0
	for end < len(b) && '0' <= b[end] && b[end] <= '9' {
		end++
	}
	id, _ := strconv.ParseUint(string(b[:end]), 10, 64)
	return id
}
