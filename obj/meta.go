package obj

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/natsactor/natsactor/conn"
)

// Link points at another object (Name set) or at a whole bucket (Name empty). Its JSON
// is ADR-20's {"bucket": ..., "name": ...}.
type Link struct {
	// Bucket is the bucket of the target.
	Bucket string `json:"bucket"`
	// Name is the target object; empty for a link to the whole bucket.
	Name string `json:"name,omitempty"`
}

// Meta is what the user says about an object: its name, description, headers and
// metadata, the chunk size of its put and, for links only, what it points at.
type Meta struct {
	// Name is the object's name, any non-empty string.
	Name        string
	Description string
	Headers     conn.Header
	Metadata    map[string]string
	// ChunkSize is the largest chunk a put writes (options.max_chunk_size; 0 on a put:
	// DefaultChunkSize). Every chunk but the last is this size.
	ChunkSize uint32
	// Link is set on links (AddLink, AddBucketLink) and must be nil on Put.
	Link *Link
}

// ObjectInfo is an object's meta record: its Meta plus what the put found: the bucket,
// the NUID of its chunk subject, its size in bytes, its number of chunks, its digest
// ("SHA-256=<base64url>") and whether it is deleted. ModTime is the time the server
// stored the record (on Put: the time of the put, in UTC); it is never stored itself.
type ObjectInfo struct {
	Meta
	Bucket  string
	NUID    string
	Size    uint64
	ModTime time.Time
	Chunks  uint32
	Digest  string
	Deleted bool
}

// IsLink reports whether the object is a link to an object or a bucket.
func (i *ObjectInfo) IsLink() bool { return i.Link != nil }

// metaOptions is ADR-20's "options" object.
type metaOptions struct {
	Link      *Link  `json:"link,omitempty"`
	ChunkSize uint32 `json:"max_chunk_size,omitempty"`
}

// infoJSON is ObjectInfo as ADR-20 writes it, the meta fields inline.
type infoJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Headers     conn.Header       `json:"headers,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Options     *metaOptions      `json:"options,omitempty"`
	Bucket      string            `json:"bucket"`
	NUID        string            `json:"nuid"`
	Size        uint64            `json:"size"`
	ModTime     *time.Time        `json:"mtime,omitempty"`
	Chunks      uint32            `json:"chunks"`
	Digest      string            `json:"digest,omitempty"`
	Deleted     bool              `json:"deleted,omitempty"`
}

// metaJSON is Meta alone, as ADR-20's ObjectMeta.
type metaJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Headers     conn.Header       `json:"headers,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Options     *metaOptions      `json:"options,omitempty"`
}

func (m *Meta) options() *metaOptions {
	if m.Link == nil && m.ChunkSize == 0 {
		return nil
	}
	return &metaOptions{Link: m.Link, ChunkSize: m.ChunkSize}
}

func (m *Meta) setOptions(o *metaOptions) {
	if o != nil {
		m.Link, m.ChunkSize = o.Link, o.ChunkSize
	} else {
		m.Link, m.ChunkSize = nil, 0
	}
}

// MarshalJSON writes ADR-20's ObjectMeta: name, description, headers, metadata and
// options{link, max_chunk_size}.
func (m Meta) MarshalJSON() ([]byte, error) {
	return json.Marshal(metaJSON{m.Name, m.Description, m.Headers, m.Metadata, m.options()})
}

// UnmarshalJSON reads ADR-20's ObjectMeta.
func (m *Meta) UnmarshalJSON(b []byte) error {
	var w metaJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Meta{Name: w.Name, Description: w.Description, Headers: w.Headers, Metadata: w.Metadata}
	m.setOptions(w.Options)
	return nil
}

// MarshalJSON writes ADR-20's ObjectInfo, the meta fields inline; mtime only when
// ModTime is set (the stored record never has it).
func (i ObjectInfo) MarshalJSON() ([]byte, error) {
	w := infoJSON{
		Name: i.Name, Description: i.Description, Headers: i.Headers, Metadata: i.Metadata,
		Options: i.Meta.options(), Bucket: i.Bucket, NUID: i.NUID, Size: i.Size,
		Chunks: i.Chunks, Digest: i.Digest, Deleted: i.Deleted,
	}
	if !i.ModTime.IsZero() {
		t := i.ModTime
		w.ModTime = &t
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads ADR-20's ObjectInfo.
func (i *ObjectInfo) UnmarshalJSON(b []byte) error {
	var w infoJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*i = ObjectInfo{
		Meta:   Meta{Name: w.Name, Description: w.Description, Headers: w.Headers, Metadata: w.Metadata},
		Bucket: w.Bucket, NUID: w.NUID, Size: w.Size, Chunks: w.Chunks, Digest: w.Digest, Deleted: w.Deleted,
	}
	i.Meta.setOptions(w.Options)
	if w.ModTime != nil {
		i.ModTime = *w.ModTime
	}
	return nil
}

// record encodes the info as stored: without mtime.
func (i *ObjectInfo) record() []byte {
	c := *i
	c.ModTime = time.Time{}
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("obj: encoding an ObjectInfo: %v", err)) // plain data always encodes
	}
	return b
}

// decodeInfo reads a stored meta record; ModTime is the time the server stored it.
func decodeInfo(data []byte, stored time.Time) (*ObjectInfo, error) {
	var info ObjectInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMeta, err)
	}
	info.ModTime = stored
	return &info, nil
}
