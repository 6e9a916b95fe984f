package actor

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestLifecycleOpen(t *testing.T) {
	l := NewLifecycle()
	if l.Closed() {
		t.Error("Closed() = true before Close")
	}
	if err := l.Err(); err != nil {
		t.Errorf("Err() = %v before Close, want nil", err)
	}
	select {
	case <-l.Done():
		t.Error("Done closed before Close")
	default:
	}
}

func TestLifecycleCloseOnceConcurrent(t *testing.T) {
	for round := range 50 {
		l := NewLifecycle()
		const n = 32
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			wins   int
			winErr error
			start  = make(chan struct{})
		)
		for i := range n {
			err := fmt.Errorf("closer %d", i)
			wg.Go(func() {
				<-start
				if l.Close(err) {
					mu.Lock()
					wins++
					winErr = err
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d Close calls returned true, want 1", round, wins)
		}
		if got := l.Err(); got != winErr {
			t.Fatalf("round %d: Err() = %v, want the winner's %v", round, got, winErr)
		}
		if !l.Closed() {
			t.Fatalf("round %d: Closed() = false after Close", round)
		}
		select {
		case <-l.Done():
		default:
			t.Fatalf("round %d: Done not closed after Close", round)
		}
	}
}

func TestLifecycleCloseNilKeepsNil(t *testing.T) {
	l := NewLifecycle()
	if !l.Close(nil) {
		t.Fatal("first Close(nil) = false, want true")
	}
	if l.Close(errors.New("later")) {
		t.Error("second Close = true, want false")
	}
	if err := l.Err(); err != nil {
		t.Errorf("Err() = %v, want nil recorded by the first Close", err)
	}
	if !l.Closed() {
		t.Error("Closed() = false after Close")
	}
}

func TestLifecycleErrRecorded(t *testing.T) {
	l := NewLifecycle()
	first := errors.New("first")
	l.Close(first)
	l.Close(errors.New("second"))
	if err := l.Err(); err != first {
		t.Errorf("Err() = %v, want %v", err, first)
	}
}
