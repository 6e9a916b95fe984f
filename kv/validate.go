package kv

import (
	"fmt"
	"strings"
)

// Bucket names: [a-zA-Z0-9_-]+ (ADR-8; the stream is KV_<name>).
func validBucketName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// keyChar reports whether c may appear in a key: [-/_=.a-zA-Z0-9].
func keyChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '/' || c == '_' || c == '=' || c == '.'
}

// checkBucket returns nil or an error wrapping ErrInvalidBucketName.
func checkBucket(name string) error {
	if !validBucketName(name) {
		return fmt.Errorf("%w: %q (want letters, digits, '_' and '-')", ErrInvalidBucketName, name)
	}
	return nil
}

// checkKey validates a key: [-/_=.a-zA-Z0-9]+, not starting or ending with '.',
// no empty token. With wildcards, whole '*' and '>' tokens (the last one only)
// are allowed too, for watch and list filters.
func checkKey(key string, wildcards bool) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if key[0] == '.' || key[len(key)-1] == '.' {
		return fmt.Errorf("%w: %q starts or ends with '.'", ErrInvalidKey, key)
	}
	// Token by token with Cut rather than Split: this runs on every Put, Get and Delete.
	for rest, more := key, true; more; {
		var t string
		t, rest, more = strings.Cut(rest, ".")
		if t == "" {
			return fmt.Errorf("%w: %q has an empty token", ErrInvalidKey, key)
		}
		if wildcards && (t == "*" || t == ">" && !more) {
			continue
		}
		for j := 0; j < len(t); j++ {
			if !keyChar(t[j]) {
				what := "character"
				if t[j] == '*' || t[j] == '>' {
					what = "wildcard"
				}
				return fmt.Errorf("%w: %q: %s %q not allowed here", ErrInvalidKey, key, what, t[j])
			}
		}
	}
	return nil
}
