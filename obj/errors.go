package obj

import (
	"errors"

	"github.com/natsactor/natsactor/conn"
)

// Sentinel errors of package obj. Match them with errors.Is; most are wrapped with
// detail.
var (
	// ErrInvalidOption is wrapped by options that reject their argument. It is
	// conn.ErrInvalidOption.
	ErrInvalidOption = conn.ErrInvalidOption
	// ErrInvalidBucketName is returned for a bucket name that is not 1 or more of
	// A-Z, a-z, 0-9, '-' and '_'. Nothing is sent.
	ErrInvalidBucketName = errors.New("nats: invalid object store bucket name")
	// ErrBucketNotFound is returned when the bucket's stream does not exist.
	ErrBucketNotFound = errors.New("nats: object store bucket not found")
	// ErrBucketExists is returned by Create when the bucket exists with another
	// configuration.
	ErrBucketExists = errors.New("nats: object store bucket already exists")
	// ErrBadBucket is returned by Open for a stream named like a bucket that is not one.
	ErrBadBucket = errors.New("nats: stream is not an object store bucket")
	// ErrInvalidObjectName is returned for an empty object name.
	ErrInvalidObjectName = errors.New("nats: invalid object name")
	// ErrObjectNotFound is returned for a name that has no object, or a deleted one.
	ErrObjectNotFound = errors.New("nats: object not found")
	// ErrObjectExists is returned when a rename or a link would replace an existing
	// object that is not deleted.
	ErrObjectExists = errors.New("nats: an object already exists with that name")
	// ErrLinkNotAllowed is returned by Put with a Meta that holds a link (use AddLink
	// or AddBucketLink), and when a link would point at a link.
	ErrLinkNotAllowed = errors.New("nats: link not allowed here")
	// ErrNoLinkToDeleted is returned by AddLink for a deleted target.
	ErrNoLinkToDeleted = errors.New("nats: not allowed to link to a deleted object")
	// ErrBucketLink is returned by Get and GetRange for a link to a whole bucket,
	// which has no data of its own.
	ErrBucketLink = errors.New("nats: object is a link to a bucket")
	// ErrDigestMismatch is the error of the Read that reaches the end of an object
	// whose data does not have the digest of its meta record.
	ErrDigestMismatch = errors.New("nats: object digest mismatch")
	// ErrSizeMismatch is the error of the Read that reaches the end of an object whose
	// chunks do not add up to its size.
	ErrSizeMismatch = errors.New("nats: object size mismatch")
	// ErrChunkCountMismatch is the error of a Read when chunks of the object are
	// missing (fewer stored than its meta record counts).
	ErrChunkCountMismatch = errors.New("nats: object chunk count mismatch")
	// ErrBadMeta is returned for a meta record that is not valid ObjectInfo JSON, or
	// whose digest is not "SHA-256=<base64url>".
	ErrBadMeta = errors.New("nats: malformed object meta record")
	// ErrInvalidRange is returned by GetRange for a negative offset or one past the
	// end of the object.
	ErrInvalidRange = errors.New("nats: invalid object range")
	// ErrObjectClosed is returned by Read after Close.
	ErrObjectClosed = errors.New("nats: object reader closed")
	// ErrWatcherStopped is returned by Next on a stopped Watcher.
	ErrWatcherStopped = errors.New("nats: object watcher stopped")
)
