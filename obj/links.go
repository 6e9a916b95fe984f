package obj

import (
	"context"
	"fmt"
	"time"
)

// AddLink stores name as a link to the object target (in this bucket or another),
// which Get and GetRange follow. target must not be deleted (ErrNoLinkToDeleted) nor a
// link itself (ErrLinkNotAllowed); it is taken as given, so it may be stale. name may
// be new, a deleted object, or another link (which is replaced), but not an object
// that is not deleted (ErrObjectExists). It blocks until the link's record is stored,
// an error, or ctx's end (the API timeout when ctx has no deadline).
func (s *Store) AddLink(ctx context.Context, name string, target *ObjectInfo) (*ObjectInfo, error) {
	switch {
	case target == nil || target.Name == "" || target.Bucket == "":
		return nil, fmt.Errorf("%w: link %q to an object without bucket or name", ErrInvalidOption, name)
	case target.Deleted:
		return nil, fmt.Errorf("%w: %q", ErrNoLinkToDeleted, target.Name)
	case target.Link != nil:
		return nil, fmt.Errorf("%w: %q is a link", ErrLinkNotAllowed, target.Name)
	}
	return s.addLink(ctx, name, &Link{Bucket: target.Bucket, Name: target.Name})
}

// AddBucketLink stores name as a link to the whole bucket of store, as AddLink does.
// Get of such a link is ErrBucketLink: open the bucket with Open instead.
func (s *Store) AddBucketLink(ctx context.Context, name string, store *Store) (*ObjectInfo, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: link %q to a nil store", ErrInvalidOption, name)
	}
	return s.addLink(ctx, name, &Link{Bucket: store.bucket})
}

func (s *Store) addLink(ctx context.Context, name string, link *Link) (*ObjectInfo, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidObjectName)
	}
	info := &ObjectInfo{Meta: Meta{Name: name, Link: link}, Bucket: s.bucket, NUID: newNUID()}
	// Written on the condition that the name still holds what was checked.
	_, err := s.replaceMeta(ctx, name, func(cur *ObjectInfo) (*ObjectInfo, error) {
		if cur != nil && !cur.Deleted && cur.Link == nil {
			return nil, fmt.Errorf("%w: cannot make %q a link", ErrObjectExists, name)
		}
		return info, nil
	})
	if err != nil {
		return nil, err
	}
	info.ModTime = time.Now().UTC()
	return info, nil
}
