package actor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

type testCmd struct {
	arg   int
	reply chan<- int
}

func mkCmd(arg int) func(chan<- int) testCmd {
	return func(reply chan<- int) testCmd { return testCmd{arg: arg, reply: reply} }
}

// echoActor replies arg*2 to every command until stop closes.
func echoActor(mailbox <-chan testCmd, stop <-chan struct{}) {
	for {
		select {
		case c := <-mailbox:
			c.reply <- c.arg * 2
		case <-stop:
			return
		}
	}
}

func failDiscard(t *testing.T) func(int) {
	return func(v int) { t.Errorf("discard(%d) called, want no call", v) }
}

func TestCallReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mailbox := make(chan testCmd)
		stop := make(chan struct{})
		defer close(stop)
		go echoActor(mailbox, stop)

		for i := range 10 {
			got, err := Call(t.Context(), mailbox, stop, mkCmd(i), failDiscard(t))
			if err != nil || got != 2*i {
				t.Fatalf("Call(%d) = %d, %v; want %d, nil", i, got, err, 2*i)
			}
		}
	})
}

func TestCallCtxEndedBeforeStartSendsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mailbox := make(chan testCmd, 1) // room, so a send would succeed
	done := make(chan struct{})
	for range 100 {
		_, err := Call(ctx, mailbox, done, mkCmd(1), failDiscard(t))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if len(mailbox) != 0 {
			t.Fatal("command sent although ctx had already ended")
		}
	}
}

func TestCallCtxEndsBeforeAccept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mailbox := make(chan testCmd) // nobody receives
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := Call(ctx, mailbox, nil, mkCmd(1), failDiscard(t))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("Call returned after %v, want 1s", d)
		}
	})
}

func TestCallDiscardsLateReplyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mailbox := make(chan testCmd)
		release := make(chan struct{})
		stop := make(chan struct{})
		actorDone := make(chan struct{})
		go func() { // a slow actor: accepts, then replies once released
			defer close(actorDone)
			c := <-mailbox
			<-release
			c.reply <- 42
			<-stop
		}()

		var calls atomic.Int32
		var got atomic.Int32
		discard := func(v int) {
			calls.Add(1)
			got.Store(int32(v))
		}
		ctx, cancel := context.WithCancel(t.Context())
		result := make(chan error, 1)
		go func() {
			_, err := Call(ctx, mailbox, stop, mkCmd(21), discard)
			result <- err
		}()
		synctest.Wait() // the actor holds the command; Call waits for the reply
		cancel()
		if err := <-result; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		synctest.Wait()
		if n := calls.Load(); n != 0 {
			t.Fatalf("discard called %d times before the actor replied", n)
		}

		close(release)
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("discard called %d times, want 1", n)
		}
		if v := got.Load(); v != 42 {
			t.Errorf("discard got %d, want the late reply 42", v)
		}
		close(stop)
		<-actorDone
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("discard called %d times after the actor ended, want 1", n)
		}
	})
}

func TestCallDiscardGoroutineEndsWithActor(t *testing.T) {
	// The actor accepts and ends without replying: the waiting discard goroutine must
	// exit (synctest.Test fails if a goroutine is left blocked) and never call discard.
	synctest.Test(t, func(t *testing.T) {
		mailbox := make(chan testCmd)
		life := NewLifecycle()
		accepted := make(chan struct{})
		go func() {
			<-mailbox
			close(accepted)
		}()
		ctx, cancel := context.WithCancel(t.Context())
		result := make(chan error, 1)
		go func() {
			_, err := Call(ctx, mailbox, life.Done(), mkCmd(1), failDiscard(t))
			result <- err
		}()
		<-accepted
		synctest.Wait()
		cancel()
		if err := <-result; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		life.Close(nil)
	})
}

func TestCallDoneClosed(t *testing.T) {
	t.Run("already closed sends nothing", func(t *testing.T) {
		done := make(chan struct{})
		close(done)
		mailbox := make(chan testCmd, 1)
		for range 100 {
			_, err := Call(context.Background(), mailbox, done, mkCmd(1), failDiscard(t))
			if !errors.Is(err, ErrStopped) {
				t.Fatalf("err = %v, want ErrStopped", err)
			}
			if len(mailbox) != 0 {
				t.Fatal("command sent to a stopped actor")
			}
		}
	})
	t.Run("closes before accept", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			life := NewLifecycle()
			mailbox := make(chan testCmd)
			result := make(chan error, 1)
			go func() {
				_, err := Call(t.Context(), mailbox, life.Done(), mkCmd(1), failDiscard(t))
				result <- err
			}()
			synctest.Wait()
			life.Close(errors.New("gone"))
			if err := <-result; !errors.Is(err, ErrStopped) {
				t.Fatalf("err = %v, want ErrStopped", err)
			}
		})
	})
	t.Run("closes after accept without reply", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			life := NewLifecycle()
			mailbox := make(chan testCmd)
			go func() {
				<-mailbox
				life.Close(nil)
			}()
			_, err := Call(t.Context(), mailbox, life.Done(), mkCmd(1), failDiscard(t))
			if !errors.Is(err, ErrStopped) {
				t.Fatalf("err = %v, want ErrStopped", err)
			}
		})
	})
	t.Run("reply then close keeps the reply", func(t *testing.T) {
		for i := range 1000 {
			life := NewLifecycle()
			mailbox := make(chan testCmd, 1)
			go func() {
				c := <-mailbox
				c.reply <- c.arg
				life.Close(nil)
			}()
			got, err := Call(context.Background(), mailbox, life.Done(), mkCmd(i), failDiscard(t))
			if err != nil || got != i {
				t.Fatalf("iteration %d: Call = %d, %v; want %d, nil", i, got, err, i)
			}
		}
	})
}

// When the reply and ctx.Done are both ready, Call returns the reply.
func TestCallPrefersReplyOverCancel(t *testing.T) {
	for i := range 1000 {
		ctx, cancel := context.WithCancel(context.Background())
		mailbox := make(chan testCmd, 1)
		go func() {
			c := <-mailbox
			c.reply <- c.arg
			cancel() // strictly after the reply
		}()
		got, err := Call(ctx, mailbox, nil, mkCmd(i), failDiscard(t))
		if err != nil || got != i {
			t.Fatalf("iteration %d: Call = %d, %v; want %d, nil", i, got, err, i)
		}
	}
}

// A reply racing a cancellation is either returned or discarded, exactly once.
//   - race: the actor replies while another goroutine cancels; it keeps running.
//   - race, then end: the same, and the actor ends right after replying.
//   - late, then end: the caller gives up first; the actor then replies and ends at
//     once, so the discard goroutine may find the reply and done ready together.
func TestCallReplyCancelRaceNeverLosesReply(t *testing.T) {
	for _, mode := range []string{"race", "race, then end", "late, then end"} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { replyCancelRace(t, mode) })
		})
	}
}

func replyCancelRace(t *testing.T, mode string) {
	const n = 2000
	discarded := make(chan int, n)
	discard := func(v int) { discarded <- v }
	var returned, dropped int
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		life := NewLifecycle()
		mailbox := make(chan testCmd)
		callReturned := make(chan struct{})
		go func() {
			c := <-mailbox
			if mode == "late, then end" {
				cancel()
				<-callReturned
			} else {
				go cancel()
			}
			c.reply <- c.arg
			if mode != "race" {
				life.Close(nil)
			}
		}()
		got, err := Call(ctx, mailbox, life.Done(), mkCmd(i), discard)
		close(callReturned)
		switch {
		case err == nil:
			if got != i {
				t.Fatalf("iteration %d: got %d", i, got)
			}
			returned++
		case errors.Is(err, context.Canceled):
			// A lost reply leaves this receive blocked: synctest reports the deadlock.
			if v := <-discarded; v != i {
				t.Fatalf("iteration %d: discard got %d", i, v)
			}
			dropped++
		default:
			t.Fatalf("iteration %d: err = %v", i, err)
		}
		cancel()
		life.Close(nil)
	}
	synctest.Wait()
	if extra := len(discarded); extra != 0 {
		t.Fatalf("%d replies both returned and discarded", extra)
	}
	t.Logf("returned %d, discarded %d", returned, dropped)
}

// An actor that accepted a command, replied and then ended (or whose caller's ctx ended)
// before Call got to wait: the reply is already there and must win. mk runs just before
// the send, so it can stage that state; a command left in the mailbox means accepted.
func TestCallReplyReadyWhenWaitStarts(t *testing.T) {
	for _, end := range []string{"done", "ctx"} {
		t.Run(end, func(t *testing.T) {
			var accepted int
			for i := range 1000 {
				ctx, cancel := context.WithCancel(context.Background())
				life := NewLifecycle()
				mailbox := make(chan testCmd, 1)
				mk := func(reply chan<- int) testCmd {
					reply <- i
					if end == "done" {
						life.Close(nil)
					} else {
						cancel()
					}
					return testCmd{arg: i, reply: reply}
				}
				got, err := Call(ctx, mailbox, life.Done(), mk, failDiscard(t))
				cancel()
				if len(mailbox) == 0 {
					if err == nil {
						t.Fatalf("iteration %d: Call = %d, nil without sending", i, got)
					}
					continue // not accepted: ErrStopped or ctx.Err is right
				}
				accepted++
				if err != nil || got != i {
					t.Fatalf("iteration %d: accepted and replied, but Call = %d, %v", i, got, err)
				}
			}
			if accepted == 0 {
				t.Fatal("no iteration reached the wait; the test proved nothing")
			}
		})
	}
}
