package obj

import "fmt"

// InfoOption changes what Info returns.
type InfoOption func(*infoOptions) error

type infoOptions struct{ deleted bool }

// IncludeDeleted makes Info return the meta record of a deleted object (Deleted set)
// instead of ErrObjectNotFound.
func IncludeDeleted() InfoOption {
	return func(o *infoOptions) error { o.deleted = true; return nil }
}

// ListOption changes what List yields.
type ListOption func(*listOptions) error

type listOptions struct{ deleted bool }

// ListDeleted makes List yield deleted objects too.
func ListDeleted() ListOption {
	return func(o *listOptions) error { o.deleted = true; return nil }
}

// PutOption tunes one Put.
type PutOption func(*putOptions) error

type putOptions struct{ window int }

// AckWindow bounds how many chunks of the put wait for their acknowledgement at once
// (the default keeps at most 64 MiB of chunks, and at most 1024 chunks, in flight).
// The chunks in flight cost the client no memory: each is copied to the connection as
// it is published, and the put holds one chunk buffer.
func AckWindow(n int) PutOption {
	return func(o *putOptions) error {
		if n < 1 || n > 4096 {
			return fmt.Errorf("%w: ack window %d not in [1, 4096]", ErrInvalidOption, n)
		}
		o.window = n
		return nil
	}
}

// WatchOption changes what a Watcher delivers.
type WatchOption func(*watchOptions) error

type watchOptions struct {
	history       bool
	updatesOnly   bool
	ignoreDeletes bool
}

// IncludeHistory makes a Watcher deliver every meta record still stored, not just the
// latest of each object (with rollups, the stream keeps only the latest one anyway).
func IncludeHistory() WatchOption {
	return func(o *watchOptions) error { o.history = true; return nil }
}

// UpdatesOnly makes a Watcher deliver only changes made after it started; the nil
// marker comes at once.
func UpdatesOnly() WatchOption {
	return func(o *watchOptions) error { o.updatesOnly = true; return nil }
}

// IgnoreDeletes makes a Watcher skip deleted objects.
func IgnoreDeletes() WatchOption {
	return func(o *watchOptions) error { o.ignoreDeletes = true; return nil }
}

// apply runs options, returning the first rejection.
func apply[O any, F ~func(*O) error](opts []F) (O, error) {
	var o O
	for _, f := range opts {
		if f == nil {
			continue
		}
		if err := f(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}
