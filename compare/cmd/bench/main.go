// Command bench measures natsactor against nats.go on the same workloads.
//
// For each workload it starts a nats-server process of its own (built once from the
// version compare/go.mod pins, listening on 127.0.0.1 only), runs the natsactor and the
// nats.go implementation alternately several times, and prints one line with the medians:
//
//	workload=pub16 natsactor=X natsgo=Y unit=msgs/s ratio=R cpu_ns_per_op_natsactor=A cpu_ns_per_op_natsgo=B cpu_vs_natsgo=C ...
//
// ratio > 1 means natsactor is better (for latencies it is natsgo/natsactor).
// With -clients natsactor,natsgo,floor the line also has floor=X floor_vs_natsgo=F: the
// same workload done with raw protocol frames and nothing else (floor.go), so F is the
// largest ratio any client could have reached in this run.
// cpu_vs_natsgo is natsactor's client CPU per operation over nats.go's: below 1 means
// natsactor uses less. CPU is the bench process's own (getrusage), so it covers both
// connections of a workload and none of the server's.
//
// Usage:
//
//	cd compare && go run ./cmd/bench -short
//	go run ./cmd/bench -workloads pub16,req16 -runs 7
//	go run ./cmd/bench -clients natsactor -workloads pubsub16 -cpuprofile /tmp/natsactor.pprof
//	go run ./cmd/bench -workloads js_consume_ack -timedprofile /tmp/prof
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

type config struct {
	short      bool
	runs       int
	names      []string
	clients    []string
	serverBin  string
	cpuProfile string
	timedProf  string
	verbose    bool
}

func main() {
	var cfg config
	var names, clients string
	flag.BoolVar(&cfg.short, "short", false, "fewer runs and smaller message counts (finishes in under a minute)")
	flag.IntVar(&cfg.runs, "runs", 0, "runs per client and workload (default 5, 3 with -short)")
	flag.StringVar(&names, "workloads", "", "comma-separated workloads to run (default all): "+strings.Join(workloadNames(), ","))
	flag.StringVar(&clients, "clients", "natsactor,natsgo", "clients to run (one of them alone is handy with -cpuprofile); add floor for raw protocol frames, what any client could reach")
	flag.StringVar(&cfg.serverBin, "server-bin", "", "use this nats-server binary instead of building the pinned version")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole bench to this file")
	flag.StringVar(&cfg.timedProf, "timedprofile", "", "CPU-profile each run's timed part alone into this directory, one file per workload, client and run")
	flag.BoolVar(&cfg.verbose, "v", false, "print every run to stderr")
	flag.Parse()
	if cfg.runs <= 0 {
		cfg.runs = 5
		if cfg.short {
			cfg.runs = 3
		}
	}
	cfg.names = splitList(names)
	cfg.clients = splitList(clients)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func workloadNames() []string {
	var names []string
	for _, w := range workloads() {
		names = append(names, w.name)
	}
	return names
}

// selected returns the workloads named in names (all when empty), in output order.
func selected(names []string) ([]workload, error) {
	all := workloads()
	if len(names) == 0 {
		return all, nil
	}
	var out []workload
	for _, n := range names {
		i := slices.IndexFunc(all, func(w workload) bool { return w.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown workload %q (have %s)", n, strings.Join(workloadNames(), ","))
		}
		out = append(out, all[i])
	}
	return out, nil
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	ws, err := selected(cfg.names)
	if err != nil {
		return err
	}
	for _, c := range cfg.clients {
		if c != "natsactor" && c != "natsgo" && c != "floor" {
			return fmt.Errorf("unknown client %q (natsactor, natsgo, floor)", c)
		}
	}
	if cfg.cpuProfile != "" && cfg.timedProf != "" {
		return errors.New("-cpuprofile and -timedprofile exclude each other (one CPU profile at a time)")
	}
	if err := setTimedProfileDir(cfg.timedProf); err != nil {
		return err
	}
	bin := cfg.serverBin
	if bin == "" {
		if bin, err = serverBinary(ctx); err != nil {
			return err
		}
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, w := range ws {
		srv, err := startServer(ctx, bin, w.name, w.needsJetStream)
		if err != nil {
			return err
		}
		if w.needsJetStream {
			if err := anchorStream(ctx, srv.url); err != nil {
				srv.stop()
				return fmt.Errorf("%s: %w", w.name, err)
			}
		}
		serverPID.Store(int64(srv.cmd.Process.Pid))
		line, err := runWorkload(ctx, cfg, w, srv.url)
		srv.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
		fmt.Fprintln(out, line)
	}
	return nil
}

// runWorkload runs the clients of w alternately, cfg.runs times each, changing which goes
// first every round, and formats the medians.
func runWorkload(ctx context.Context, cfg config, w workload, url string) (string, error) {
	p := params{URL: url, Subject: "bench." + w.name, N: w.n, Size: w.size, Short: cfg.short}
	if cfg.short {
		p.N = w.nShort
	}
	fns := map[string]runFunc{"natsactor": w.natsactor, "natsgo": w.natsgo, "floor": w.floor}
	results := map[string][]result{}
	for round := range cfg.runs {
		order := slices.Clone(cfg.clients)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, client := range order {
			if fns[client] == nil {
				continue // no floor for this workload
			}
			settle()
			nextTimedProfile(w.name, client, round+1)
			r, err := runWatched(ctx, client, fns[client], p)
			if err != nil {
				return "", fmt.Errorf("%s run %d: %w", client, round+1, err)
			}
			if cfg.verbose {
				fmt.Fprintf(os.Stderr, "  %s %s run %d: %s %s, cpu %s ns/op, server cpu %s ns/op, dropped %d, heap %s MiB",
					w.name, client, round+1, num(r.value), w.unit, num(cpuPerOp(r)), num(srvCPUPerOp(r)), r.dropped, num(mib(r.heap)))
				for _, e := range r.extra {
					fmt.Fprintf(os.Stderr, ", %s %s", e.name, num(e.value))
				}
				fmt.Fprintln(os.Stderr)
			}
			results[client] = append(results[client], r)
		}
	}
	return formatLine(w, results), nil
}

// runTimeout bounds one run; runGrace is how long a run may go on after its ctx ended
// (a client's wait that ignores ctx, a close that never returns) before the bench
// reports it as hung.
var (
	runTimeout = 5 * time.Minute
	runGrace   = 30 * time.Second
)

// runWatched runs fn under a ctx of runTimeout. A run still going runGrace after its ctx
// ended is reported with every goroutine's stack on stderr, and as an error, instead of
// hanging the bench.
func runWatched(ctx context.Context, client string, fn runFunc, p params) (result, error) {
	rctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	type outcome struct {
		r   result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r, err := fn(rctx, p)
		done <- outcome{r, err}
	}()
	select {
	case o := <-done:
		return o.r, o.err
	case <-rctx.Done():
	}
	select {
	case o := <-done:
		return o.r, o.err
	case <-time.After(runGrace):
		fmt.Fprintf(os.Stderr, "%s: the run is hung %v after its ctx ended (%v); goroutines:\n", client, runGrace, rctx.Err())
		_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
		return result{}, fmt.Errorf("%s: hung after its ctx ended: %w", client, rctx.Err())
	}
}
