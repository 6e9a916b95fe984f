package jsm

import (
	"context"
	"iter"
)

// pageFunc fetches the page of a list that starts at offset: its items and the list's
// total at the time of the request.
type pageFunc[T any] func(ctx context.Context, offset int) (items []T, total int, err error)

// paged iterates over a list the server returns in pages of offset/limit, asking for
// the next page once the previous one is consumed. Each request is bounded by the
// Manager's timeout when ctx has no deadline; ctx's end stops the iteration with its
// error. Items the list gains or loses while it is read may be missed or seen twice,
// as with any offset paging.
func paged[T any](ctx context.Context, fetch pageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		offset := 0
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			items, total, err := fetch(ctx, offset)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			offset += len(items)
			if len(items) == 0 || offset >= total {
				return
			}
		}
	}
}
