package obj

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
)

// DefaultChunkSize is the chunk size of a put whose Meta.ChunkSize is zero (ADR-20's
// 128 KiB).
const DefaultChunkSize = 128 * 1024

// Layout of ADR-20.
const (
	streamPrefix  = "OBJ_"
	subjPrefix    = "$O."
	digestPrefix  = "SHA-256="
	hdrRollup     = "Nats-Rollup"
	rollupSubject = "sub"
)

// validBucket reports whether name is a restricted-term: 1 or more of A-Z, a-z, 0-9,
// dash and underscore.
func validBucket(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidBucketName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: %q", ErrInvalidBucketName, name)
		}
	}
	return nil
}

func streamName(bucket string) string { return streamPrefix + bucket }

// chunkSubject is $O.<bucket>.C.<nuid>.
func chunkSubject(bucket, nuid string) string { return subjPrefix + bucket + ".C." + nuid }

// metaSubject is $O.<bucket>.M.<base64url(name)>.
func metaSubject(bucket, name string) string {
	return subjPrefix + bucket + ".M." + base64.URLEncoding.EncodeToString([]byte(name))
}

func allChunks(bucket string) string { return subjPrefix + bucket + ".C.>" }
func allMeta(bucket string) string   { return subjPrefix + bucket + ".M.>" }

const nuidDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newNUID returns 22 random base-62 characters, the shape of a NUID.
func newNUID() string {
	var b [22]byte
	var r [32]byte
	for i := 0; i < len(b); {
		rand.Read(r[:])
		for _, v := range r {
			if v >= 248 { // 248 = 4*62: keep the digits uniform
				continue
			}
			b[i] = nuidDigits[v%62]
			if i++; i == len(b) {
				break
			}
		}
	}
	return string(b[:])
}

// newDigest returns the hash objects are digested with.
func newDigest() hash.Hash { return sha256.New() }

// formatDigest renders a SHA-256 sum as ADR-20 says: "SHA-256=" + base64url.
func formatDigest(sum []byte) string {
	return digestPrefix + base64.URLEncoding.EncodeToString(sum)
}

// parseDigest decodes "SHA-256=<base64url>" (the algorithm name in any case; padded
// or not; standard base64 accepted as well, as written by some clients).
func parseDigest(d string) ([]byte, error) {
	if len(d) < len(digestPrefix) || !strings.EqualFold(d[:len(digestPrefix)], digestPrefix) {
		return nil, fmt.Errorf("%w: digest %q is not SHA-256", ErrBadMeta, d)
	}
	v := strings.TrimRight(d[len(digestPrefix):], "=")
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(v); err == nil && len(b) == sha256.Size {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: digest %q", ErrBadMeta, d)
}
