package obj

import (
	"context"
	"fmt"
	"time"
)

// Delete deletes the object name: it replaces its meta record by one marked deleted
// (size, chunks and digest cleared), then purges its chunks. Deleting an object that is
// already deleted does nothing; a name that never had an object is ErrObjectNotFound.
// Links are deleted the same way, leaving their target alone. It blocks until done,
// an error, or ctx's end; without a deadline each request is bounded by the API
// timeout.
func (s *Store) Delete(ctx context.Context, name string) error {
	if _, err := s.info(ctx, name); err != nil {
		return err // missing, or a record that cannot be read
	}
	prev, err := s.replaceMeta(ctx, name, func(cur *ObjectInfo) (*ObjectInfo, error) {
		if cur == nil || cur.Deleted {
			return nil, nil
		}
		rec := *cur
		rec.Deleted = true
		rec.Size, rec.Chunks, rec.Digest = 0, 0, ""
		return &rec, nil
	})
	if err != nil {
		return err
	}
	if prev == nil || prev.Deleted || prev.NUID == "" || prev.Link != nil {
		return nil
	}
	if err := s.purge(ctx, chunkSubject(s.bucket, prev.NUID), nil); err != nil {
		return fmt.Errorf("nats: purging the chunks of %q: %w", name, err)
	}
	return nil
}

// UpdateMeta changes the name, description, headers and metadata of the object name
// to those of meta; its data, chunk size and link stay as they are. A different
// meta.Name renames the object: the new name must not hold an object that is not
// deleted (ErrObjectExists), and the old name's record is removed. Updating a deleted
// or missing object is ErrObjectNotFound. Objects, links and bucket links can all be
// updated. It blocks as Delete does.
func (s *Store) UpdateMeta(ctx context.Context, name string, meta Meta) (*ObjectInfo, error) {
	if meta.Name == "" {
		meta.Name = name
	}
	update := func(cur *ObjectInfo) *ObjectInfo {
		rec := *cur
		rec.Name, rec.Description, rec.Headers, rec.Metadata = meta.Name, meta.Description, meta.Headers, meta.Metadata
		return &rec
	}
	var written *ObjectInfo
	if meta.Name == name {
		// Written on the condition that the record read is still the current one.
		_, err := s.replaceMeta(ctx, name, func(cur *ObjectInfo) (*ObjectInfo, error) {
			if cur == nil || cur.Deleted {
				return nil, fmt.Errorf("%w: %q", ErrObjectNotFound, name)
			}
			written = update(cur)
			return written, nil
		})
		if err != nil {
			return nil, err
		}
		written.ModTime = time.Now().UTC()
		return written, nil
	}
	cur, err := s.Info(ctx, name)
	if err != nil {
		return nil, err
	}
	_, err = s.replaceMeta(ctx, meta.Name, func(existing *ObjectInfo) (*ObjectInfo, error) {
		if existing != nil && !existing.Deleted {
			return nil, fmt.Errorf("%w: cannot rename %q to %q", ErrObjectExists, name, meta.Name)
		}
		written = update(cur)
		return written, nil
	})
	if err != nil {
		return nil, err
	}
	written.ModTime = time.Now().UTC()
	if err := s.purge(ctx, metaSubject(s.bucket, name), nil); err != nil {
		return written, fmt.Errorf("nats: removing the record of the old name %q: %w", name, err)
	}
	return written, nil
}
