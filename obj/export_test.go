package obj

import "context"

// NoBatch makes s read with one direct get per message, as with servers before 2.11.
func NoBatch(s *Store) { s.noBatch = true }

// Locate exposes the search of the chunk that holds offset.
func Locate(ctx context.Context, s *Store, info *ObjectInfo, offset uint64) (cs uint32, seq uint64, k uint32, err error) {
	return s.locate(ctx, chunkSubject(info.Bucket, info.NUID), info, offset)
}
