package conn

import (
	"runtime"
	"strconv"
)

// goid returns the current goroutine's id. Lifecycle calls use it to tell whether they run
// inside the handler of the actor they stop (then they must not wait for that handler).
// It is only called on lifecycle paths, never per message.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	// "goroutine 123 [running]:..."
	const prefix = "goroutine "
	if len(b) <= len(prefix) {
		return 0
	}
	b = b[len(prefix):]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	id, _ := strconv.ParseUint(string(b[:i]), 10, 64)
	return id
}
