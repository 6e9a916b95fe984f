package natstest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs a test package and then fails it if any goroutine of natsactor's packages or of
// nats-server outlives the tests: every connection, consumer, watcher, service and server
// the tests started must have stopped. Use it as a package's TestMain:
//
//	func TestMain(m *testing.M) { natstest.Main(m) }
//
// Goroutines get a few seconds to finish, polled, since some end just after the call that
// stopped them returns.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left behind by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitNoLeaks(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		leaked := leakedGoroutines()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leakedGoroutines returns the stacks of goroutines running natsactor or nats-server code,
// other than the one checking.
func leakedGoroutines() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var leaked []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "natstest.leakedGoroutines") {
			continue
		}
		if strings.Contains(g, "nats-server/v2") || strings.Contains(g, "github.com/natsactor/natsactor/") && !onlyTestFrames(g) {
			leaked = append(leaked, g)
		}
	}
	return strings.Join(leaked, "\n\n")
}

// onlyTestFrames reports whether the natsactor frames of a stack are the test runner's own
// (TestMain, natstest.Main), which are not leaks.
func onlyTestFrames(stack string) bool {
	for _, line := range strings.Split(stack, "\n") {
		if strings.Contains(line, "github.com/natsactor/natsactor/") && !strings.HasPrefix(line, "\t") &&
			!strings.Contains(line, ".TestMain(") && !strings.Contains(line, "natstest.Main(") && !strings.Contains(line, "natstest.waitNoLeaks(") {
			return false
		}
	}
	return true
}
