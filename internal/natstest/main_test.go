package natstest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the package if any nats-server goroutine outlives the tests: every
// server's cleanup must have waited for it to be fully down.
func TestMain(m *testing.M) { Main(m) }

// serverGoroutines returns the stacks of goroutines running nats-server code.
func serverGoroutines() string {
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
		if strings.Contains(g, "nats-server/v2") {
			leaked = append(leaked, g)
		}
	}
	return strings.Join(leaked, "\n\n")
}

// TestShutdownLeavesNoGoroutine runs alone (not parallel): a JetStream server with
// websocket and a client, shut down, must leave no server goroutine at once.
func TestShutdownLeavesNoGoroutine(t *testing.T) {
	s := Start(t, JetStream(), WebSocket())
	dialRaw(t, s.Addr()).mustConnect(nil)
	s.WaitForClients(t, 1)
	if serverGoroutines() == "" {
		t.Fatal("the leak check sees no goroutine of a running server")
	}
	s.Shutdown()
	deadline := time.Now().Add(time.Second)
	for {
		leaked := serverGoroutines()
		if leaked == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Shutdown:\n%s", leaked)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLeakCheckSeesProjectGoroutines(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }() // a goroutine of this (natsactor) package
	defer close(stop)
	if !strings.Contains(leakedGoroutines(), "natstest.TestLeakCheckSeesProjectGoroutines") {
		t.Fatal("a running natsactor goroutine is not reported")
	}
}
