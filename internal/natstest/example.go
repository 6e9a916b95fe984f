package natstest

import (
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Example starts an in-process server on a random 127.0.0.1 port for an Example
// function, which has no testing.TB: with jetStream, JetStream in a temporary
// directory. It panics if the server does not come up within 5 s. stop shuts the
// server down and removes its directory.
func Example(jetStream bool) (url string, stop func()) {
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	var dir string
	if jetStream {
		var err error
		if dir, err = os.MkdirTemp("", "natsactor-example-"); err != nil {
			panic(err)
		}
		opts.JetStream, opts.StoreDir = true, dir
	}
	s, err := server.NewServer(opts)
	if err != nil {
		panic(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		panic("natstest: example server not ready")
	}
	return s.ClientURL(), func() {
		s.Shutdown()
		s.WaitForShutdown()
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
}
