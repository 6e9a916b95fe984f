package actor

import "testing"

func TestInHandler(t *testing.T) {
	if InHandler() {
		t.Fatal("test goroutine counted as a handler goroutine")
	}
	inside := make(chan bool)
	other := make(chan bool)
	release := make(chan struct{})
	defer close(release)
	go func() {
		leave := EnterHandler()
		defer leave()
		inside <- InHandler()
		go func() { other <- InHandler() }() // a goroutine it starts is not a handler goroutine
		<-release
	}()
	if !<-inside {
		t.Fatal("handler goroutine not recognised")
	}
	if <-other {
		t.Fatal("a child goroutine was taken for the handler goroutine")
	}
	if InHandler() {
		t.Fatal("the mark leaked to another goroutine")
	}
	done := make(chan bool)
	go func() {
		leave := EnterHandler()
		leave()
		done <- InHandler()
	}()
	if <-done {
		t.Fatal("leave did not remove the mark")
	}
	if a, b := goroutineID(), goroutineID(); a == 0 || a != b {
		t.Fatalf("goroutine ids %d %d", a, b)
	}
}
