package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// formatLine turns the runs of both clients into the workload's output line: medians of
// the primary figure and of every extra figure, with ratios oriented so that > 1 means
// natsactor is better, client CPU per operation, dropped messages (totals over all runs)
// and, for workloads that ask, the median peak heap; and the floor's figures when it ran.
func formatLine(w workload, res map[string][]result) string {
	a, g := res["natsactor"], res["natsgo"]
	var b strings.Builder
	fmt.Fprintf(&b, "workload=%s natsactor=%s natsgo=%s unit=%s ratio=%s",
		w.name, num(medianOf(a, value)), num(medianOf(g, value)), w.unit,
		ratio(medianOf(a, value), medianOf(g, value), w.lowerIsBetter))
	if len(a) > 0 && len(a[0].extra) > 0 || len(g) > 0 && len(g[0].extra) > 0 {
		first := a
		if len(first) == 0 {
			first = g
		}
		for i, e := range first[0].extra {
			ea, eg := medianOf(a, extraAt(i)), medianOf(g, extraAt(i))
			fmt.Fprintf(&b, " %s_natsactor=%s %s_natsgo=%s %s_ratio=%s",
				e.name, num(ea), e.name, num(eg), e.name, ratio(ea, eg, e.lowerIsBetter))
		}
	}
	ca, cg := medianOf(a, cpuPerOp), medianOf(g, cpuPerOp)
	fmt.Fprintf(&b, " cpu_ns_per_op_natsactor=%s cpu_ns_per_op_natsgo=%s cpu_vs_natsgo=%s",
		num(ca), num(cg), frac(ca, cg))
	if sa, sg := medianOf(a, srvCPUPerOp), medianOf(g, srvCPUPerOp); sa > 0 || sg > 0 {
		fmt.Fprintf(&b, " srv_cpu_ns_per_op_natsactor=%s srv_cpu_ns_per_op_natsgo=%s", num(sa), num(sg))
	}
	if strings.HasPrefix(w.name, "pubsub") || hasDrops(a) || hasDrops(g) {
		fmt.Fprintf(&b, " dropped_natsactor=%d dropped_natsgo=%d", totalDropped(a), totalDropped(g))
	}
	if w.reportHeap {
		fmt.Fprintf(&b, " peak_heap_mib_natsactor=%s peak_heap_mib_natsgo=%s",
			num(medianOf(a, func(r result) float64 { return mib(r.heap) })),
			num(medianOf(g, func(r result) float64 { return mib(r.heap) })))
	}
	if f := res["floor"]; len(f) > 0 {
		fmt.Fprintf(&b, " floor=%s floor_vs_natsgo=%s", num(medianOf(f, value)),
			ratio(medianOf(f, value), medianOf(g, value), w.lowerIsBetter))
		for i, e := range f[0].extra {
			fmt.Fprintf(&b, " floor_%s=%s", e.name, num(medianOf(f, extraAt(i))))
		}
	}
	fmt.Fprintf(&b, " runs=%d", max(len(a), len(g)))
	return b.String()
}

func value(r result) float64 { return r.value }

func extraAt(i int) func(result) float64 {
	return func(r result) float64 {
		if i < len(r.extra) {
			return r.extra[i].value
		}
		return math.NaN()
	}
}

// cpuPerOp is the process CPU time of a run per operation, in ns.
func cpuPerOp(r result) float64 {
	if r.ops == 0 {
		return math.NaN()
	}
	return float64(r.cpu.Nanoseconds()) / float64(r.ops)
}

// srvCPUPerOp is the server's CPU time during a run per operation, in ns.
func srvCPUPerOp(r result) float64 {
	if r.ops == 0 {
		return math.NaN()
	}
	return float64(r.srvCPU.Nanoseconds()) / float64(r.ops)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// medianOf returns the median of f over rs, NaN when rs is empty.
func medianOf(rs []result, f func(result) float64) float64 {
	if len(rs) == 0 {
		return math.NaN()
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ratio is natsactor/natsgo for figures where higher is better and natsgo/natsactor for
// those where lower is better, so > 1 always favours natsactor.
func ratio(a, g float64, lowerIsBetter bool) string {
	if lowerIsBetter {
		return frac(g, a)
	}
	return frac(a, g)
}

func frac(x, y float64) string {
	if math.IsNaN(x) || math.IsNaN(y) || y == 0 {
		return "-"
	}
	return strconv.FormatFloat(x/y, 'f', 3, 64)
}

// num formats a figure with three significant decimals at most.
func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.Abs(x) >= 1000:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case math.Abs(x) >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
}

func hasDrops(rs []result) bool { return totalDropped(rs) > 0 }

func totalDropped(rs []result) uint64 {
	var n uint64
	for _, r := range rs {
		n += r.dropped
	}
	return n
}
