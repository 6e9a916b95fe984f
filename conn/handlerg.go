package conn

import "sync"

// handlerGoroutines holds the ids of goroutines that are running user handlers (of any
// connection). A lifecycle call made from one of them must not wait for handlers to finish:
// two handlers stopping each other's subscription would otherwise wait on each other.
// Lifecycle calls from anywhere else wait out a running handler, so that once they return
// no handler of theirs is running or will start.
var handlerGoroutines sync.Map // uint64 -> struct{}

func enterHandlerGoroutine(id uint64) { handlerGoroutines.Store(id, struct{}{}) }

func leaveHandlerGoroutine(id uint64) { handlerGoroutines.Delete(id) }

func inHandlerGoroutine() bool {
	_, ok := handlerGoroutines.Load(goid())
	return ok
}
