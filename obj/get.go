package obj

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Get opens the object name for reading: it reads the meta record (following a link
// to the object it points at, in this bucket or another) and returns an *Object whose
// Read streams the chunks and checks them at the end. A missing or deleted object is
// ErrObjectNotFound; a link to a whole bucket is ErrBucketLink.
//
// Get blocks until the meta record is read. ctx bounds the reading of the object too:
// when it ends, the Read waiting gets its error. Close the Object to stop fetching
// before the end.
func (s *Store) Get(ctx context.Context, name string) (*Object, error) {
	ts, info, err := s.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	o, err := ts.newObject(ctx, info)
	if err != nil {
		return nil, err
	}
	if info.Chunks > 0 {
		o.pages = ts.startFetcher(o.ctx, chunkSubject(ts.bucket, info.NUID), 1, info.Chunks, info.ChunkSize)
	}
	return o, nil
}

// newObject is an Object of info with no pages yet (a closed channel: no chunks).
func (s *Store) newObject(ctx context.Context, info *ObjectInfo) (*Object, error) {
	o := &Object{info: info, h: newDigest()}
	if info.Digest != "" {
		d, err := parseDigest(info.Digest)
		if err != nil {
			return nil, err
		}
		o.digest = d
	}
	o.ctx, o.cancel = context.WithCancel(ctx)
	empty := make(chan page)
	close(empty)
	o.pages = empty
	return o, nil
}

// resolve reads the meta record of name and, for a link to an object, the record of
// its target; it returns the store the data is in.
func (s *Store) resolve(ctx context.Context, name string) (*Store, *ObjectInfo, error) {
	info, err := s.Info(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if info.Link == nil {
		return s, info, nil
	}
	if info.Link.Name == "" {
		return nil, nil, fmt.Errorf("%w: %q links to bucket %q", ErrBucketLink, name, info.Link.Bucket)
	}
	ts := s
	if info.Link.Bucket != s.bucket {
		if err := validBucket(info.Link.Bucket); err != nil {
			return nil, nil, fmt.Errorf("%w: link %q: %w", ErrBadMeta, name, err)
		}
		ts = newStore(s.j, info.Link.Bucket)
		ts.noBatch = s.noBatch
	}
	target, err := ts.Info(ctx, info.Link.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("link %q: %w", name, err)
	}
	if target.Link != nil {
		return nil, nil, fmt.Errorf("%w: link %q points at the link %q", ErrLinkNotAllowed, name, info.Link.Name)
	}
	return ts, target, nil
}

// GetBytes reads the whole object name into memory, checked as Get's Object checks it.
// It blocks until the object is read, an error, or ctx's end.
func (s *Store) GetBytes(ctx context.Context, name string) ([]byte, error) {
	o, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	var b bytes.Buffer
	if o.info.Size < 1<<31 {
		b.Grow(int(o.info.Size))
	}
	if _, err := b.ReadFrom(o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// GetString is GetBytes returning a string.
func (s *Store) GetString(ctx context.Context, name string) (string, error) {
	b, err := s.GetBytes(ctx, name)
	return string(b), err
}

// GetFile writes the object name into the file at path, streaming, and replaces the
// file only once the whole object was read and checked (it writes a temporary file in
// the same directory first, removed on failure). It blocks until then, an error, or
// ctx's end.
func (s *Store) GetFile(ctx context.Context, name, path string) error {
	o, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	defer o.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := io.Copy(tmp, o); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
