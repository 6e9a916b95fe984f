package obj

import (
	"context"
	"errors"
	"iter"

	"github.com/natsactor/natsactor/jsm"
)

// listPage is how many meta records List reads per request.
const listPage = 256

// List iterates over the meta records of the bucket's objects and links, in the order
// they were last written, without deleted objects unless ListDeleted is given. An
// empty bucket ends at once. It reads the records a page at a time with batched direct
// gets (one direct get per record on servers older than 2.11) and yields a page only
// once it is read, so a slow loop never stalls a request. An error ends the iteration
// as its last pair; ctx's end stops it, and each request is bounded by the API timeout
// when ctx has no deadline.
func (s *Store) List(ctx context.Context, opts ...ListOption) iter.Seq2[*ObjectInfo, error] {
	return func(yield func(*ObjectInfo, error) bool) {
		o, err := apply(opts)
		if err != nil {
			yield(nil, err)
			return
		}
		seq := uint64(1)
		for {
			msgs, err := s.readPage(ctx, allMeta(s.bucket), seq, listPage)
			if err != nil {
				if errors.Is(err, jsm.ErrStreamNotFound) {
					err = s.bucketErr(err)
				}
				yield(nil, err)
				return
			}
			for _, m := range msgs {
				info, err := decodeInfo(m.Data, m.Time)
				if err != nil {
					yield(nil, err)
					return
				}
				if info.Deleted && !o.deleted {
					continue
				}
				if !yield(info, nil) {
					return
				}
			}
			if len(msgs) < listPage {
				return
			}
			seq = msgs[len(msgs)-1].Sequence + 1
		}
	}
}
