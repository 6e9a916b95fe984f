// Command demo is a tour of natsactor: it starts an embedded nats-server with JetStream in a
// temporary directory (removed at exit), or uses -server, and walks through what the library
// does, printing a line or two per step. It exits 0 when every step worked.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	url := flag.String("server", "", "run the tour against this server URL instead of an embedded one")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: go run ./cmd/demo [-server nats://host:4222]

A tour of natsactor. With no flags it starts an embedded nats-server with JetStream
in a temporary directory (removed at exit) and runs every step against it.

`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*url); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run(url string) error {
	if url == "" {
		dir, err := os.MkdirTemp("", "natsactor-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		s, err := startEmbedded(dir)
		if err != nil {
			return err
		}
		defer func() { s.Shutdown(); s.WaitForShutdown() }()
		url = s.ClientURL()
		fmt.Printf("embedded nats-server %s with JetStream in %s\n", server.VERSION, dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Tour(ctx, os.Stdout, url)
}

func startEmbedded(dir string) (*server.Server, error) {
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
	})
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		return nil, fmt.Errorf("embedded server did not start")
	}
	return s, nil
}
