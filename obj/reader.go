package obj

import (
	"bytes"
	"context"
	"fmt"
	"hash"
	"io"
	"sync/atomic"
)

// Object is an object being read: an io.ReadCloser over its data, with its meta record
// in Info. Chunks are fetched a page ahead of Read by a goroutine of its own, so at
// most a few chunks are in memory whatever the object's size.
//
// The Read that reaches the end checks what was read against the meta record: it
// returns ErrChunkCountMismatch when chunks are missing, ErrSizeMismatch when they do
// not add up to the size, ErrDigestMismatch when the data does not have the digest,
// and io.EOF only when all three agree. A ranged Object (GetRange) checks the chunk
// sizes it can see but has no digest to check.
//
// WriteTo (which io.Copy uses) hands the chunks to a writer as they came, without
// Read's copy.
//
// An Object is for one goroutine at a time, but Close may be called from any.
type Object struct {
	info   *ObjectInfo
	ctx    context.Context
	cancel context.CancelFunc
	pages  <-chan page

	page    [][]byte // chunks of the current page not yet started
	cur     []byte   // the rest of the current chunk
	pageErr error    // the error that came with the current page
	err     error    // sticky: returned by every Read from now on

	// Checks of a whole object.
	digest []byte
	h      hash.Hash
	size   uint64
	chunks uint32

	// A ranged read: bytes to drop from the first chunk, bytes still to deliver (-1:
	// all), and the chunk size every chunk but the object's last must have (0: not
	// checked, for a read from the start).
	ranged    bool
	skip      uint64
	remain    int64
	chunkSize uint32
	index     uint32 // index of the next chunk

	isClosed atomic.Bool
}

// Info returns the meta record of the object being read (for a link, the record of
// the object it points at).
func (o *Object) Info() *ObjectInfo { return o.info }

// Read reads the next bytes of the object. It blocks while the next chunks are being
// fetched; the ctx given to Get bounds every Read (its end is the error of the Read
// that waits), and without a deadline each fetch of chunks is bounded by the API
// timeout (failures that pass, such as a server restart, are retried for up to twice
// that long).
func (o *Object) Read(p []byte) (int, error) {
	if err := o.usable(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := o.fill(); err != nil {
		return 0, err
	}
	n := copy(p, o.span())
	o.consume(n)
	return n, nil
}

// WriteTo writes the rest of the object to w, chunk by chunk from where the chunks
// were received, without the copy into a buffer that Read makes; io.Copy uses it.
// It checks the object as the Read that reaches the end does, returning nil only when
// all agrees (the data was written by then, as with Read). When w fails, WriteTo
// returns w's error and the Object stays where w stopped: a later Read or WriteTo
// goes on from there.
func (o *Object) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		err := o.usable()
		if err == nil {
			err = o.fill()
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		b := o.span()
		n, err := w.Write(b)
		if n < 0 || n > len(b) {
			n, err = 0, fmt.Errorf("obj: writer returned %d for %d bytes", n, len(b))
		}
		o.consume(n)
		total += int64(n)
		if err == nil && n < len(b) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return total, err
		}
	}
}

// usable returns why the Object cannot be read from now on, or nil.
func (o *Object) usable() error {
	if o.isClosed.Load() {
		return ErrObjectClosed
	}
	return o.err
}

// fill makes sure the current chunk has bytes left, waiting for the next page when
// it has to. Errors that end the read are kept in err (sticky) and returned.
func (o *Object) fill() error {
	if o.ranged && o.remain == 0 {
		o.err = io.EOF
		o.stop()
		return o.err
	}
	for len(o.cur) == 0 {
		if len(o.page) > 0 {
			if err := o.take(o.page[0]); err != nil {
				o.err = err
				o.stop()
				return err
			}
			o.page[0] = nil
			o.page = o.page[1:]
			continue
		}
		if o.pageErr != nil {
			o.err = o.pageErr
			o.stop()
			return o.err
		}
		select {
		case pg, ok := <-o.pages:
			if !ok && o.ctx.Err() != nil {
				// The fetcher stopped for the ctx, not at the end: say so rather than
				// count the chunks it never fetched as missing.
				if o.isClosed.Load() {
					return ErrObjectClosed
				}
				o.err = o.ctx.Err()
				return o.err
			}
			if !ok {
				o.err = o.finish()
				o.stop()
				return o.err
			}
			o.page, o.pageErr = pg.chunks, pg.err
		case <-o.ctx.Done():
			if o.isClosed.Load() {
				return ErrObjectClosed
			}
			o.err = o.ctx.Err()
			return o.err
		}
	}
	return nil
}

// span is what may be delivered of the current chunk: all of it, or for a ranged
// read no more than the range has left.
func (o *Object) span() []byte {
	if o.ranged && o.remain >= 0 && int64(len(o.cur)) > o.remain {
		return o.cur[:o.remain]
	}
	return o.cur
}

// consume accounts for n bytes of span delivered.
func (o *Object) consume(n int) {
	o.cur = o.cur[n:]
	if o.ranged && o.remain > 0 {
		o.remain -= int64(n)
	}
}

// take makes chunk the current one, accounting for it.
func (o *Object) take(chunk []byte) error {
	idx := o.index
	o.index++
	o.chunks++
	o.size += uint64(len(chunk))
	if o.ranged {
		last := idx == o.info.Chunks-1
		if !last && o.chunkSize != 0 && uint32(len(chunk)) != o.chunkSize {
			return fmt.Errorf("%w: chunk %d of %q has %d bytes, not %d", ErrSizeMismatch, idx, o.info.Name, len(chunk), o.chunkSize)
		}
		if o.skip > 0 {
			s := min(o.skip, uint64(len(chunk)))
			chunk = chunk[s:]
			o.skip -= s
		}
	} else {
		o.h.Write(chunk)
		if o.size > o.info.Size {
			return fmt.Errorf("%w: %q has more than its %d bytes", ErrSizeMismatch, o.info.Name, o.info.Size)
		}
	}
	o.cur = chunk
	return nil
}

// finish checks a read that got every chunk it asked for.
func (o *Object) finish() error {
	if o.ranged {
		if o.remain > 0 {
			return fmt.Errorf("%w: the range of %q ends %d bytes early", ErrSizeMismatch, o.info.Name, o.remain)
		}
		return io.EOF
	}
	switch {
	case o.chunks != o.info.Chunks:
		return fmt.Errorf("%w: %q has %d chunks, its meta record says %d", ErrChunkCountMismatch, o.info.Name, o.chunks, o.info.Chunks)
	case o.size != o.info.Size:
		return fmt.Errorf("%w: %q has %d bytes, its meta record says %d", ErrSizeMismatch, o.info.Name, o.size, o.info.Size)
	case o.digest != nil && !bytes.Equal(o.h.Sum(nil), o.digest):
		return fmt.Errorf("%w: %q: read %s, its meta record says %s", ErrDigestMismatch, o.info.Name, formatDigest(o.h.Sum(nil)), o.info.Digest)
	}
	return io.EOF
}

// Close stops the fetching and releases the chunks held. It never fails and may be
// called more than once, from any goroutine; a Read after it returns ErrObjectClosed.
func (o *Object) Close() error {
	o.isClosed.Store(true)
	o.stop()
	return nil
}

func (o *Object) stop() { o.cancel() }
