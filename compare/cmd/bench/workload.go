package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A workload is one thing measured for both clients against the same server. Adding one
// means writing its two run funcs (workloads_natsactor.go, workloads_natsgo.go or files of
// their own) and an entry in workloads().
type workload struct {
	name string
	// unit of the primary figure, e.g. "msgs/s", "us", "MB/s".
	unit string
	// lowerIsBetter is set for latencies: the ratio is then natsgo/natsactor so that a
	// ratio above 1 still means natsactor is better.
	lowerIsBetter bool
	// needsJetStream starts the server with -js and a temporary store directory.
	needsJetStream bool
	// reportHeap adds the peak heap of each client to the output.
	reportHeap bool
	// n and nShort are the operations per run (messages, requests, objects); size is the
	// payload in bytes. Both reach the run funcs through params.
	n, nShort, size int

	natsactor, natsgo runFunc
	// floor, if set, is the workload done with raw protocol frames (floor.go): what any
	// client could reach here. It runs only when -clients names it.
	floor runFunc
}

// runFunc runs a workload once against the server at p.URL and returns what it measured.
// It creates and closes its own connections and measures only the work itself, with
// startMeter.
type runFunc func(ctx context.Context, p params) (result, error)

// params are what a run needs to know.
type params struct {
	URL     string
	Subject string // unique per workload; runs may reuse it since each run has its own connections
	N       int    // operations in this run
	Size    int    // payload bytes
	Short   bool
}

// result is one run's measurement.
type result struct {
	value   float64       // the primary figure, in the workload's unit
	ops     int           // operations done, for CPU per operation
	cpu     time.Duration // process CPU time during the measured part
	srvCPU  time.Duration // the server process's CPU time during it (in 10 ms steps; 0 off Linux)
	dropped uint64        // messages that never arrived (pub/sub workloads)
	heap    uint64        // peak live heap during the measured part, bytes
	extra   []measure     // secondary figures such as the p99 latency
}

// measure is a secondary figure of a run.
type measure struct {
	name          string
	value         float64
	lowerIsBetter bool
}

// workloads lists every workload in output order.
func workloads() []workload {
	return []workload{
		{name: "pub16", unit: "msgs/s", n: 5_000_000, nShort: 1_000_000, size: 16,
			natsactor: natsactorPub, natsgo: natsgoPub, floor: floorPub},
		{name: "pubsub16", unit: "msgs/s", n: 5_000_000, nShort: 300_000, size: 16,
			natsactor: natsactorPubSub, natsgo: natsgoPubSub, floor: floorPubSub},
		{name: "pubsub1k", unit: "msgs/s", n: 1_000_000, nShort: 150_000, size: 1024,
			natsactor: natsactorPubSub, natsgo: natsgoPubSub, floor: floorPubSub},
		{name: "req16", unit: "us_p50", lowerIsBetter: true, n: 20_000, nShort: 3_000, size: 16,
			natsactor: natsactorReq, natsgo: natsgoReq, floor: floorReq},
		{name: "js_pubasync", unit: "msgs/s", needsJetStream: true, n: 200_000, nShort: 50_000, size: 16,
			natsactor: natsactorJSPubAsync, natsgo: natsgoJSPubAsync, floor: floorJSPubAsync},
		// natsactor's fast-ingest batch against nats.go's PublishAsync (it has no fast batches).
		{name: "js_ingest", unit: "msgs/s", needsJetStream: true, n: 200_000, nShort: 50_000, size: 16,
			natsactor: natsactorJSIngest, natsgo: natsgoJSPubAsync, floor: floorJSPubAsync},
		{name: "js_pubsync", unit: "msgs/s", needsJetStream: true, n: 20_000, nShort: 3_000, size: 16,
			natsactor: natsactorJSPubSync, natsgo: natsgoJSPubSync, floor: floorJSPubSync},
		{name: "js_consume_ack", unit: "msgs/s", needsJetStream: true, n: 200_000, nShort: 30_000, size: 16,
			natsactor: natsactorJSConsumeAck, natsgo: natsgoJSConsumeAck, floor: floorJSConsumeAck},
		{name: "js_consume_acknone", unit: "msgs/s", needsJetStream: true, n: 200_000, nShort: 30_000, size: 16,
			natsactor: natsactorJSConsumeAckNone, natsgo: natsgoJSConsumeAckNone, floor: floorJSConsumeAckNone},
		{name: "kv_put", unit: "ops/s", needsJetStream: true, n: 10_000, nShort: 3_000, size: 16,
			natsactor: natsactorKVPut, natsgo: natsgoKVPut, floor: floorKVPut},
		{name: "kv_get", unit: "ops/s", needsJetStream: true, n: 10_000, nShort: 3_000, size: 16,
			natsactor: natsactorKVGet, natsgo: natsgoKVGet, floor: floorKVGet},
		// The object workloads count MiB: n MiB in one object, so CPU per op is per MiB.
		{name: "obj_put", unit: "MB/s", needsJetStream: true, reportHeap: true, n: 64, nShort: 16, size: 1 << 20,
			natsactor: natsactorObjPut, natsgo: natsgoObjPut},
		{name: "obj_get", unit: "MB/s", needsJetStream: true, reportHeap: true, n: 64, nShort: 16, size: 1 << 20,
			natsactor: natsactorObjGet, natsgo: natsgoObjGet},
	}
}

// Settings shared by both clients so that neither gets an advantage.
const (
	// Pending limits of the subscriber in the pub/sub workloads: generous, identical.
	subPendingMsgs  = 10_000_000
	subPendingBytes = 2 << 30
	// How long a subscriber may take, after the publisher's flush, to receive the rest.
	subTail = 10 * time.Second
	// Requests made before the timed ones, so both clients have their reply plumbing set up.
	reqWarmup = 200
)

// serverPID is the process id of the server of the workload being run (one at a time),
// whose CPU time the meter reads too.
var serverPID atomic.Int64

// meter measures the wall time, process CPU time and peak heap of a run's timed part.
type meter struct {
	start    time.Time
	cpuStart time.Duration
	srvStart time.Duration
	stopHeap chan struct{}
	heapDone sync.WaitGroup
	peak     uint64
}

// startMeter starts measuring; call stop at the end of the timed part.
func startMeter() *meter {
	m := &meter{stopHeap: make(chan struct{})}
	m.heapDone.Go(m.sampleHeap)
	m.cpuStart = processCPU()
	m.srvStart = processCPUOf(int(serverPID.Load()))
	startTimedProfile()
	m.start = time.Now()
	return m
}

// stop returns the wall time and the process CPU time since startMeter, and records
// them with the peak heap in r.
func (m *meter) stop(r *result) time.Duration {
	wall := time.Since(m.start)
	r.cpu = processCPU() - m.cpuStart
	r.srvCPU = processCPUOf(int(serverPID.Load())) - m.srvStart
	stopTimedProfile() // after the readings: writing the profile out is not the run's
	close(m.stopHeap)
	m.heapDone.Wait()
	r.heap = m.peak
	return wall
}

// sampleHeap reads the live heap every 5 ms (runtime/metrics does not stop the world).
func (m *meter) sampleHeap() {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(sample)
		if v := sample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > m.peak {
			m.peak = v.Uint64()
		}
		select {
		case <-m.stopHeap:
			return
		case <-t.C:
		}
	}
}

// settle collects the garbage of the previous run so it is not charged to the next.
func settle() {
	runtime.GC()
	runtime.GC()
}

// percentile returns the p-th percentile (0..1) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// waitAll waits until all is closed, given up reports there is nothing more to wait
// for, ctx ends, or subTail passes.
func waitAll(ctx context.Context, all <-chan struct{}, givenUp func() bool) {
	tail := time.NewTimer(subTail)
	defer tail.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-all:
			return
		case <-ctx.Done():
			return
		case <-tail.C:
			return
		case <-poll.C:
			if givenUp() {
				return
			}
		}
	}
}

// latencyResult fills r with the p50 and p99 of lat, in µs.
// timedRequests makes reqWarmup untimed requests with do, then n timed ones, and returns
// their latencies as latencyResult does.
func timedRequests(n int, do func() error) (result, error) {
	for range reqWarmup {
		if err := do(); err != nil {
			return result{}, fmt.Errorf("warm-up request: %w", err)
		}
	}
	lat := make([]time.Duration, n)
	var r result
	m := startMeter()
	for i := range n {
		t0 := time.Now()
		if err := do(); err != nil {
			return result{}, fmt.Errorf("request %d: %w", i, err)
		}
		lat[i] = time.Since(t0)
	}
	m.stop(&r)
	return latencyResult(r, lat), nil
}

func latencyResult(r result, lat []time.Duration) result {
	slices.Sort(lat)
	r.ops = len(lat)
	r.value = us(percentile(lat, 0.50))
	r.extra = []measure{{name: "p99", value: us(percentile(lat, 0.99)), lowerIsBetter: true}}
	return r
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
