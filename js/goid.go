package js

import (
	"runtime"
	"strconv"
	"sync"
)

// handlerGoroutines holds the ids of the goroutines running a handler of this package
// (Consume handlers, ordered consumer handlers). Lifecycle calls made on one of them
// must not wait for the handler to return.
var handlerGoroutines sync.Map // uint64 -> int (nesting count is not needed: one at a time)

// curGoroutine returns the current goroutine's id, parsed from the first line of its
// stack ("goroutine 123 [running]:"). It runs on lifecycle paths and once per handler
// goroutine, never per message.
func curGoroutine() uint64 {
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

// inHandler reports whether the caller runs inside a handler of this package.
func inHandler() bool {
	_, ok := handlerGoroutines.Load(curGoroutine())
	return ok
}
