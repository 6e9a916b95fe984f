package obj

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/natsactor/natsactor/js"
)

// Put stores what r yields, up to its end, as the object meta.Name, replacing any
// object of that name. It reads r one chunk at a time (meta.ChunkSize, default 128
// KiB) and publishes the chunks asynchronously to a fresh chunk subject, keeping a
// bounded window of them waiting for their acknowledgement (see AckWindow); once every
// chunk is acknowledged it writes the meta record, and then purges the chunks of the
// object it replaced. A put that fails or is cancelled purges the chunks it wrote and
// leaves any previous object as it was.
//
// Put blocks until the meta record is stored or an error. ctx bounds the whole put;
// without a deadline each acknowledgement and the meta record's publish are bounded by
// the API timeout instead. A meta with a Link is refused (ErrLinkNotAllowed): use
// AddLink or AddBucketLink. If purging the replaced object's chunks fails, Put returns
// the new object's info together with that error. A put that fails purges the chunks
// it wrote; when ctx ended, Put returns at once and that purge goes on in the
// background (bounded by four API timeouts), so a cancelled put leaves nothing behind
// once the server answers.
func (s *Store) Put(ctx context.Context, meta Meta, r io.Reader, opts ...PutOption) (*ObjectInfo, error) {
	o, err := apply(opts)
	if err != nil {
		return nil, err
	}
	if meta.Name == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidObjectName)
	}
	if meta.Link != nil {
		return nil, fmt.Errorf("%w: Put of %q with a link", ErrLinkNotAllowed, meta.Name)
	}
	if meta.ChunkSize == 0 {
		meta.ChunkSize = DefaultChunkSize
	}
	if mp := s.m.Conn().MaxPayload(); mp > 0 && int64(meta.ChunkSize) > mp {
		return nil, fmt.Errorf("%w: chunk size %d over the server's max payload %d", ErrInvalidOption, meta.ChunkSize, mp)
	}
	if r == nil {
		r = bytes.NewReader(nil)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	info := &ObjectInfo{Meta: meta, Bucket: s.bucket, NUID: newNUID()}
	subject := chunkSubject(s.bucket, info.NUID)
	w := newAckWindow(s.j, int(meta.ChunkSize), o.window, s.m.Timeout())
	if err := s.putChunks(ctx, w, subject, r, info); err != nil {
		if errors.Is(err, js.ErrNoStreamResponse) {
			if _, serr := s.Status(ctx); errors.Is(serr, ErrBucketNotFound) {
				return nil, serr
			}
		}
		// Every chunk in flight is stored or refused before the purge, so none outlives it.
		return nil, s.discard(ctx, subject, func() { w.settle(s.m.Timeout()) }, err)
	}
	// The record replaced is the one whose chunks go: read it just before, and write
	// on the condition that nobody replaced it in between, so that concurrent puts of
	// one name leave no chunks behind.
	prev, err := s.replaceMeta(ctx, meta.Name, func(*ObjectInfo) (*ObjectInfo, error) { return info, nil })
	if err != nil {
		return nil, s.discard(ctx, subject, nil, fmt.Errorf("nats: storing the meta record of %q: %w", meta.Name, err))
	}
	info.ModTime = time.Now().UTC()
	if prev != nil && prev.NUID != "" && prev.NUID != info.NUID {
		if err := s.purge(ctx, chunkSubject(s.bucket, prev.NUID), nil); err != nil {
			return info, fmt.Errorf("nats: purging the chunks of the replaced %q: %w", meta.Name, err)
		}
	}
	return info, nil
}

// discard purges the chunks of a put that failed with err (after first, when not
// nil) and returns err, with the purge's failure added when there is one. When ctx
// has ended the purge goes on alone after discard returned (see purge).
func (s *Store) discard(ctx context.Context, subject string, first func(), err error) error {
	if perr := s.purge(ctx, subject, first); perr != nil && ctx.Err() == nil {
		return fmt.Errorf("%w (and its chunks were not purged: %v)", err, perr)
	}
	return err
}

// putChunks reads r to its end, publishing each chunk through w, and fills in the
// size, chunk count and digest of info once every chunk is acknowledged.
func (s *Store) putChunks(ctx context.Context, w *ackWindow, subject string, r io.Reader, info *ObjectInfo) error {
	h := newDigest()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf, err := w.buffer(ctx)
		if err != nil {
			return err
		}
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			if err := w.publish(ctx, subject, buf[:n]); err != nil {
				return err
			}
			info.Size += uint64(n)
			info.Chunks++
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("nats: reading the data of %q: %w", info.Name, rerr)
		}
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	info.Digest = formatDigest(h.Sum(nil))
	return nil
}

// PutBytes stores data as the object name, as Put does.
func (s *Store) PutBytes(ctx context.Context, name string, data []byte, opts ...PutOption) (*ObjectInfo, error) {
	return s.Put(ctx, Meta{Name: name}, bytes.NewReader(data), opts...)
}

// PutString stores data as the object name, as Put does.
func (s *Store) PutString(ctx context.Context, name string, data string, opts ...PutOption) (*ObjectInfo, error) {
	return s.Put(ctx, Meta{Name: name}, strings.NewReader(data), opts...)
}

// PutFile stores the file at path as the object name (the file's base name when name
// is empty, so that no local directory leaks into the bucket), as Put does. The file
// is read as it is sent, never whole into memory.
func (s *Store) PutFile(ctx context.Context, name, path string, opts ...PutOption) (*ObjectInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if name == "" {
		name = filepath.Base(path)
	}
	return s.Put(ctx, Meta{Name: name}, f, opts...)
}
