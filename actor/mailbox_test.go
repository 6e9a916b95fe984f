package actor

import (
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
)

func TestMailboxPrefersControl(t *testing.T) {
	for range 100 {
		m := NewMailbox[int](4, 4)
		m.Data() <- 1
		m.Data() <- 2
		m.Control() <- 10
		m.Control() <- 11
		var got []int
		for range 4 {
			v, ok := m.Recv(nil)
			if !ok {
				t.Fatal("Recv ok=false with commands waiting")
			}
			got = append(got, v)
		}
		if diff := cmp.Diff([]int{10, 11, 1, 2}, got); diff != "" {
			t.Fatalf("Recv order (-want +got):\n%s", diff)
		}
	}
}

func TestMailboxRecvDone(t *testing.T) {
	t.Run("closed on entry", func(t *testing.T) {
		done := make(chan struct{})
		close(done)
		for range 100 {
			m := NewMailbox[int](1, 1)
			m.Control() <- 1
			m.Data() <- 2
			if v, ok := m.Recv(done); ok {
				t.Fatalf("Recv = %d, true after done closed; want ok=false", v)
			}
		}
	})
	t.Run("closes while waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			m := NewMailbox[int](0, 0)
			done := make(chan struct{})
			result := make(chan bool, 1)
			go func() {
				_, ok := m.Recv(done)
				result <- ok
			}()
			synctest.Wait()
			select {
			case <-result:
				t.Fatal("Recv returned with nothing sent and done open")
			default:
			}
			close(done)
			if <-result {
				t.Error("Recv ok=true after done closed")
			}
		})
	})
}

func TestMailboxRecvWaitsForEitherLane(t *testing.T) {
	for _, lane := range []string{"control", "data"} {
		t.Run(lane, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := NewMailbox[int](0, 0) // unbuffered: the send completes only inside Recv
				result := make(chan int, 1)
				go func() {
					v, ok := m.Recv(t.Context().Done())
					if !ok {
						v = -1
					}
					result <- v
				}()
				synctest.Wait()
				send := m.Data()
				if lane == "control" {
					send = m.Control()
				}
				send <- 7
				if v := <-result; v != 7 {
					t.Errorf("Recv = %d, want 7", v)
				}
			})
		})
	}
}

func TestMailboxLanes(t *testing.T) {
	m := NewMailbox[string](1, 1)
	control, data := m.Lanes()
	m.Control() <- "c"
	m.Data() <- "d"
	if got := <-control; got != "c" {
		t.Errorf("control lane gave %q, want c", got)
	}
	if got := <-data; got != "d" {
		t.Errorf("data lane gave %q, want d", got)
	}
	if cap(control) != 1 || cap(data) != 1 {
		t.Errorf("lane capacities = %d, %d; want 1, 1", cap(control), cap(data))
	}
}
