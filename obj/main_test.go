package obj_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/natsactor/natsactor/internal/natstest"
)

// childStoreEnv, when set, makes the test binary a nats-server with JetStream in that
// directory instead of running tests (see startChildServer).
const childStoreEnv = "OBJ_TEST_CHILD_SERVER_STORE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childStoreEnv); dir != "" {
		runChildServer(dir)
		return
	}
	natstest.Main(m)
}

// runChildServer runs a JetStream server, prints its URL, and shuts it down when its
// stdin closes.
func runChildServer(dir string) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		fmt.Println("ERR not ready")
		os.Exit(1)
	}
	fmt.Println("URL", s.ClientURL())
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin or exits
	s.Shutdown()
	s.WaitForShutdown()
}

// startChildServer starts a nats-server with JetStream in another process (this test
// binary), so that the heap of this process is the client's alone, and returns its URL.
// The server stops when the test ends.
func startChildServer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childStoreEnv+"="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if err != nil || !ok {
		t.Fatalf("child server: %q %v", line, err)
	}
	return url
}
