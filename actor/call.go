package actor

import "context"

// Call sends a command to an actor and waits for its reply.
//
// mk builds the command around a reply channel with a buffer of one, so the actor's
// single reply never blocks even if the caller has left. The actor must, for every
// command it takes from its mailbox, either send exactly one reply or end (close done).
//
// Call blocks until the command is accepted by mailbox and then until the reply arrives,
// ctx ends or done closes, whichever comes first:
//
//   - reply: returns it with a nil error. When the reply and ctx.Done (or done) are both
//     ready, the reply wins.
//   - ctx ends: returns ctx.Err(), whether or not the command was accepted. A ctx that has
//     already ended when Call starts sends nothing.
//   - done closes: returns [ErrStopped]. A done that has already closed when Call starts
//     sends nothing. (ctx is checked first when both have ended.)
//
// If ctx ends after the actor accepted the command, a late reply may still come. When
// discard is non-nil, Call then starts a goroutine that waits for that reply or for done;
// if the reply comes, discard is called with it exactly once, on that goroutine, so
// resources carried in replies (a created subscription, a pending request) are released
// instead of leaked. That goroutine lives until the actor replies or ends.
func Call[C, R any](ctx context.Context, mailbox chan<- C, done <-chan struct{}, mk func(reply chan<- R) C, discard func(R)) (R, error) {
	var zero R
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	select {
	case <-done:
		return zero, ErrStopped
	default:
	}

	reply := make(chan R, 1)
	select {
	case mailbox <- mk(reply):
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-done:
		return zero, ErrStopped
	}

	select {
	case r := <-reply:
		return r, nil
	case <-ctx.Done():
		if r, ok := tryRecv(reply); ok {
			return r, nil
		}
		if discard != nil {
			go discardLate(reply, done, discard)
		}
		return zero, ctx.Err()
	case <-done:
		// The actor may have replied just before it ended; that reply counts.
		if r, ok := tryRecv(reply); ok {
			return r, nil
		}
		return zero, ErrStopped
	}
}

// discardLate waits for a reply the caller no longer wants and hands it to discard.
// A reply sent before the actor ended is still discarded even if done wins the select.
func discardLate[R any](reply <-chan R, done <-chan struct{}, discard func(R)) {
	select {
	case r := <-reply:
		discard(r)
	case <-done:
		if r, ok := tryRecv(reply); ok {
			discard(r)
		}
	}
}

// tryRecv receives from c without blocking.
func tryRecv[R any](c <-chan R) (R, bool) {
	select {
	case r := <-c:
		return r, true
	default:
		var zero R
		return zero, false
	}
}
