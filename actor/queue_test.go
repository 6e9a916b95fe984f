package actor

import (
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
)

func mustPush[T any](t *testing.T, q *Queue[T], v T, size int) {
	t.Helper()
	if !q.Push(v, size) {
		t.Fatalf("Push(%v, %d) = false, want true", v, size)
	}
}

func checkLen[T any](t *testing.T, q *Queue[T], items, bytes int) {
	t.Helper()
	if gi, gb := q.Len(); gi != items || gb != bytes {
		t.Fatalf("Len() = %d items, %d bytes; want %d, %d", gi, gb, items, bytes)
	}
}

func popAll[T any](q *Queue[T]) []T {
	var out []T
	for v, _, ok := q.Pop(); ok; v, _, ok = q.Pop() {
		out = append(out, v)
	}
	return out
}

func TestQueueWrapAndGrowKeepFIFO(t *testing.T) {
	q := NewQueue[int](0, 0)
	for i := range 6 {
		mustPush(t, q, i, 1)
	}
	for want := range 3 {
		if v, _, _ := q.Pop(); v != want {
			t.Fatalf("Pop = %d, want %d", v, want)
		}
	}
	for i := 6; i < 11; i++ { // fills the ring of 8, wrapping past its end
		mustPush(t, q, i, 1)
	}
	if len(q.ring) != queueMinCap || q.head == 0 {
		t.Fatalf("ring len %d head %d; want a full, wrapped ring of %d", len(q.ring), q.head, queueMinCap)
	}
	mustPush(t, q, 11, 1) // grows while wrapped
	if len(q.ring) != 2*queueMinCap {
		t.Fatalf("ring len %d after growth, want %d", len(q.ring), 2*queueMinCap)
	}
	checkLen(t, q, 9, 9)
	want := []int{3, 4, 5, 6, 7, 8, 9, 10, 11}
	if diff := cmp.Diff(want, popAll(q)); diff != "" {
		t.Fatalf("order after wrap and growth (-want +got):\n%s", diff)
	}
	checkLen(t, q, 0, 0)
}

// Random pushes, pops, holds and releases against a slice model: order, sizes and Len
// (held items counting until released) always agree.
func TestQueueMatchesModel(t *testing.T) {
	type item struct{ v, size int }
	rng := rand.New(rand.NewPCG(1, 2))
	q := NewQueue[int](0, 0)
	var model []item
	var held []Item[int]
	bytes, next := 0, 0
	for step := range 20000 {
		switch r := rng.IntN(12); {
		case r < 5:
			size := rng.IntN(100)
			mustPush(t, q, next, size)
			model = append(model, item{next, size})
			bytes += size
			next++
		case r < 8:
			v, size, ok := q.Pop()
			if len(model) == 0 {
				if ok {
					t.Fatalf("step %d: Pop on empty = %d, true", step, v)
				}
				continue
			}
			if !ok || v != model[0].v || size != model[0].size {
				t.Fatalf("step %d: Pop = %d, %d, %v; want %d, %d, true", step, v, size, ok, model[0].v, model[0].size)
			}
			bytes -= size
			model = model[1:]
		case r < 9:
			k := rng.IntN(5)
			got := q.PopBatch(nil, k)
			if k == 0 || k > len(model) {
				k = len(model)
			}
			var want []int
			for _, it := range model[:k] {
				want = append(want, it.v)
				bytes -= it.size
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("step %d: PopBatch(%d) (-want +got):\n%s", step, k, diff)
			}
			model = model[k:]
		case r < 10:
			k := rng.IntN(5)
			n := len(held)
			held = q.Hold(held, k)
			if k == 0 || k > len(model) {
				k = len(model)
			}
			want := []Item[int]{}
			for _, it := range model[:k] {
				want = append(want, Item[int]{V: it.v, Size: it.size})
			}
			if diff := cmp.Diff(want, append([]Item[int]{}, held[n:]...)); diff != "" {
				t.Fatalf("step %d: Hold(%d) (-want +got):\n%s", step, k, diff)
			}
			model = model[k:] // still counted in bytes until released
		default:
			if len(held) == 0 {
				continue
			}
			i := rng.IntN(len(held))
			q.Release(held[i])
			bytes -= held[i].Size
			held = append(held[:i], held[i+1:]...)
		}
		checkLen(t, q, len(model)+len(held), bytes)
	}
}

// Held items count toward both limits until they are released.
func TestQueueHeldCountTowardLimits(t *testing.T) {
	q := NewQueue[string](3, 100)
	mustPush(t, q, "a", 50)
	mustPush(t, q, "b", 30)
	held := q.Hold(nil, 0)
	if diff := cmp.Diff([]Item[string]{{"a", 50}, {"b", 30}}, held); diff != "" {
		t.Fatalf("Hold (-want +got):\n%s", diff)
	}
	checkLen(t, q, 2, 80)
	if q.Push("c", 21) {
		t.Fatal("Push past the byte limit counting held items = true")
	}
	mustPush(t, q, "c", 20)
	if q.Push("d", 0) {
		t.Fatal("Push past the item limit counting held items = true")
	}
	q.Release(held[0])
	checkLen(t, q, 2, 50)
	mustPush(t, q, "d", 50)
	if q.Push("e", 0) {
		t.Fatal("Push past the item limit = true")
	}
	q.Release(held[1])
	checkLen(t, q, 2, 70)
	if diff := cmp.Diff([]string{"c", "d"}, popAll(q)); diff != "" {
		t.Fatalf("contents (-want +got):\n%s", diff)
	}
	if got := q.Hold(nil, 0); got != nil {
		t.Fatalf("Hold on an empty queue = %v, want nil", got)
	}
}

func TestQueueItemLimit(t *testing.T) {
	q := NewQueue[int](3, 0)
	for i := range 3 {
		mustPush(t, q, i, 10)
	}
	if q.Push(3, 10) {
		t.Fatal("Push past the item limit = true")
	}
	checkLen(t, q, 3, 30)
	q.Pop()
	mustPush(t, q, 4, 10)
	if diff := cmp.Diff([]int{1, 2, 4}, popAll(q)); diff != "" {
		t.Fatalf("contents (-want +got):\n%s", diff)
	}
}

func TestQueueByteLimit(t *testing.T) {
	q := NewQueue[string](0, 100)
	if q.Push("huge", 101) {
		t.Fatal("Push of an item larger than the byte limit = true")
	}
	checkLen(t, q, 0, 0)
	mustPush(t, q, "a", 60)
	if q.Push("b", 41) {
		t.Fatal("Push past the byte limit = true")
	}
	checkLen(t, q, 1, 60)
	mustPush(t, q, "c", 40) // exactly at the limit
	checkLen(t, q, 2, 100)
	if q.Push("d", 1) {
		t.Fatal("Push on a byte-full queue = true")
	}
	if v, size, ok := q.Pop(); v != "a" || size != 60 || !ok {
		t.Fatalf("Pop = %q, %d, %v; want a, 60, true", v, size, ok)
	}
	checkLen(t, q, 1, 40)
	mustPush(t, q, "e", 60)
	got := q.PopBatch(nil, 0)
	if diff := cmp.Diff([]string{"c", "e"}, got); diff != "" {
		t.Fatalf("PopBatch (-want +got):\n%s", diff)
	}
	checkLen(t, q, 0, 0)
}

func TestQueueNegativeSizeCountsZero(t *testing.T) {
	q := NewQueue[int](0, 10)
	mustPush(t, q, 1, -5)
	checkLen(t, q, 1, 0)
	if _, size, _ := q.Pop(); size != 0 {
		t.Errorf("Pop size = %d, want 0", size)
	}
	checkLen(t, q, 0, 0)
}

func TestQueuePopBatch(t *testing.T) {
	q := NewQueue[int](0, 0)
	for i := range 10 {
		mustPush(t, q, i, i)
	}
	got := q.PopBatch([]int{-1}, 4)
	if diff := cmp.Diff([]int{-1, 0, 1, 2, 3}, got); diff != "" {
		t.Fatalf("PopBatch(4) (-want +got):\n%s", diff)
	}
	checkLen(t, q, 6, 4+5+6+7+8+9)
	got = q.PopBatch(got[:0], 100)
	if diff := cmp.Diff([]int{4, 5, 6, 7, 8, 9}, got); diff != "" {
		t.Fatalf("PopBatch(100) (-want +got):\n%s", diff)
	}
	checkLen(t, q, 0, 0)
	if got := q.PopBatch(nil, 0); got != nil {
		t.Fatalf("PopBatch on empty = %v, want nil", got)
	}
}

func TestQueuePopEmpty(t *testing.T) {
	q := NewQueue[*int](0, 0)
	if v, size, ok := q.Pop(); v != nil || size != 0 || ok {
		t.Fatalf("Pop on empty = %v, %d, %v", v, size, ok)
	}
}

func TestQueueClose(t *testing.T) {
	q := NewQueue[int](0, 0)
	mustPush(t, q, 1, 5)
	mustPush(t, q, 2, 5)
	<-q.Ready()
	if q.Closed() {
		t.Fatal("Closed() = true before Close")
	}
	q.Close()
	q.Close() // idempotent
	if !q.Closed() {
		t.Fatal("Closed() = false after Close")
	}
	select {
	case <-q.Ready():
	default:
		t.Fatal("no wake-up pending after Close")
	}
	if q.Push(3, 5) {
		t.Fatal("Push after Close = true")
	}
	checkLen(t, q, 2, 10)
	select {
	case <-q.Ready():
		t.Fatal("failed Push left a wake-up")
	default:
	}
	if diff := cmp.Diff([]int{1, 2}, popAll(q)); diff != "" {
		t.Fatalf("items after Close (-want +got):\n%s", diff)
	}
}

func TestQueueSetLimits(t *testing.T) {
	q := NewQueue[int](10, 0)
	if mi, mb := q.Limits(); mi != 10 || mb != 0 {
		t.Fatalf("Limits() = %d, %d; want 10, 0", mi, mb)
	}
	for i := range 5 {
		mustPush(t, q, i, 10)
	}
	q.SetLimits(3, 100)
	if mi, mb := q.Limits(); mi != 3 || mb != 100 {
		t.Fatalf("Limits() = %d, %d; want 3, 100", mi, mb)
	}
	checkLen(t, q, 5, 50) // nothing dropped
	if q.Push(5, 1) {
		t.Fatal("Push over a lowered item limit = true")
	}
	q.PopBatch(nil, 3)
	mustPush(t, q, 6, 10)
	q.SetLimits(0, 25)
	if q.Push(7, 10) {
		t.Fatal("Push over a lowered byte limit = true")
	}
	q.SetLimits(0, 0)
	for i := range 100 {
		mustPush(t, q, 100+i, 1000)
	}
	checkLen(t, q, 103, 30+100*1000)
}

func TestQueueReadyAfterDrain(t *testing.T) {
	q := NewQueue[int](0, 0)
	select {
	case <-q.Ready():
		t.Fatal("wake-up pending on a new queue")
	default:
	}
	for round := range 10 {
		mustPush(t, q, round, 1)
		mustPush(t, q, round, 1) // coalesces; must not block
		select {
		case <-q.Ready():
		default:
			t.Fatalf("round %d: no wake-up after Push", round)
		}
		select {
		case <-q.Ready():
			t.Fatalf("round %d: wake-ups not coalesced", round)
		default:
		}
		// Drain after the wake-up; the next Push must leave a new one.
		popAll(q)
	}
	// A Push while a stale wake-up is still pending keeps exactly one pending.
	mustPush(t, q, 1, 1)
	popAll(q)
	mustPush(t, q, 2, 1)
	<-q.Ready()
	if diff := cmp.Diff([]int{2}, popAll(q)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// PushQuiet queues without a wake-up and says when one is owed; Wake pays it, through
// Ready and the notify function both.
func TestQueuePushQuiet(t *testing.T) {
	q := NewQueue[int](3, 0)
	notified := 0
	q.SetNotify(func() { notified++ })
	pending := func() bool {
		select {
		case <-q.Ready():
			return true
		default:
			return false
		}
	}
	var wakes []bool
	for i := range 3 {
		ok, wake := q.PushQuiet(i, 1)
		if !ok {
			t.Fatalf("PushQuiet(%d) refused", i)
		}
		wakes = append(wakes, wake)
	}
	if diff := cmp.Diff([]bool{true, false, false}, wakes); diff != "" {
		t.Fatalf("wake owed (-want +got):\n%s", diff)
	}
	if ok, wake := q.PushQuiet(3, 1); ok || wake {
		t.Fatalf("PushQuiet over the item limit = %v, %v", ok, wake)
	}
	if pending() || notified != 0 {
		t.Fatalf("PushQuiet woke the consumer (pending=%v, notified %d)", pending(), notified)
	}
	q.Wake()
	if !pending() || notified != 1 {
		t.Fatalf("after Wake: pending=%v, notified %d", pending(), notified)
	}
	if diff := cmp.Diff([]int{0, 1, 2}, popAll(q)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// Empty again: the next quiet push owes a wake-up again.
	if _, wake := q.PushQuiet(4, 1); !wake {
		t.Fatal("no wake-up owed for a push into the emptied queue")
	}
}

// The consumer waits only on Ready; a lost wake-up leaves it blocked with the producers
// gone, which synctest reports as a deadlock instead of hanging.
func TestQueueReadyStress(t *testing.T) {
	for _, mode := range []string{"Pop", "PopBatch", "PushQuiet"} {
		batch, quiet := mode != "Pop", mode == "PushQuiet"
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const producers, perProducer = 4, 20000
				type item struct{ p, seq int }
				q := NewQueue[item](0, 0)
				var wg sync.WaitGroup
				for p := range producers {
					wg.Go(func() {
						wake := false
						for seq := range perProducer {
							var ok bool
							if quiet {
								// Chunks of 7, one Wake after each, as the reader does per read.
								var w bool
								ok, w = q.PushQuiet(item{p, seq}, 1)
								wake = wake || w
								if seq%7 == 6 || seq == perProducer-1 {
									if wake {
										q.Wake()
									}
									wake = false
								}
							} else {
								ok = q.Push(item{p, seq}, 1)
							}
							if !ok {
								t.Errorf("Push(%d, %d) = false", p, seq)
								return
							}
						}
					})
				}
				next := make([]int, producers)
				var buf []item
				for received := 0; received < producers*perProducer; {
					<-q.Ready()
					if batch {
						buf = q.PopBatch(buf[:0], 0)
					} else {
						buf = buf[:0]
						for v, _, ok := q.Pop(); ok; v, _, ok = q.Pop() {
							buf = append(buf, v)
						}
					}
					for _, it := range buf {
						if it.seq != next[it.p] {
							t.Fatalf("producer %d: got seq %d, want %d", it.p, it.seq, next[it.p])
						}
						next[it.p]++
					}
					received += len(buf)
				}
				wg.Wait()
				checkLen(t, q, 0, 0)
			})
		})
	}
}

func TestQueuePopReleasesValues(t *testing.T) {
	q := NewQueue[*int](0, 0)
	for i := range 6 {
		mustPush(t, q, &i, 1)
	}
	q.Pop()
	q.PopBatch(nil, 2)
	q.Hold(nil, 1)
	for i, it := range q.ring {
		if it.V != nil && (i < q.head || i >= q.head+q.items) {
			t.Errorf("slot %d still holds a popped value", i)
		}
	}
}

func TestQueueDropsLargeRingWhenDrained(t *testing.T) {
	q := NewQueue[int](0, 0)
	for i := range 2 * queueRetainCap {
		mustPush(t, q, i, 1)
	}
	if len(q.ring) <= queueRetainCap {
		t.Fatalf("ring len %d, want > %d", len(q.ring), queueRetainCap)
	}
	popAll(q)
	if q.ring != nil {
		t.Errorf("ring len %d kept after draining a burst", len(q.ring))
	}
	mustPush(t, q, 1, 1)
	if diff := cmp.Diff([]int{1}, popAll(q)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestQueueSteadyStateAllocs(t *testing.T) {
	type msg struct {
		subject string
		data    []byte
	}
	q := NewQueue[msg](1000, 1<<20)
	m := msg{subject: "a.b", data: make([]byte, 16)}
	dst := make([]msg, 0, 16)
	for range 64 { // warm up: let the ring reach its working size
		q.Push(m, 16)
	}
	q.PopBatch(nil, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		for range 10 {
			q.Push(m, len(m.data))
		}
		q.Pop()
		q.Pop()
		dst = q.PopBatch(dst[:0], 0)
		select {
		case <-q.Ready():
		default:
		}
	})
	if allocs != 0 {
		t.Errorf("steady-state Push/Pop: %v allocs per run, want 0", allocs)
	}
}

func BenchmarkQueuePushPop(b *testing.B) {
	q := NewQueue[*int](0, 0)
	v := new(int)
	b.ReportAllocs()
	for b.Loop() {
		q.Push(v, 64)
		q.Pop()
	}
}

// Several producers and one consumer woken by Ready, as on the receive path.
func BenchmarkQueueContended(b *testing.B) {
	q := NewQueue[*int](0, 0)
	v := new(int)
	var consumed sync.WaitGroup
	consumed.Add(1)
	total := b.N
	go func() {
		defer consumed.Done()
		buf := make([]*int, 0, 256)
		for n := 0; n < total; {
			<-q.Ready()
			buf = q.PopBatch(buf[:0], 0)
			n += len(buf)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q.Push(v, 64)
		}
	})
	consumed.Wait()
}
