package conn

import "strings"

// Header holds the headers of a message. Keys keep the case they were written with;
// Get, Values and Has try the exact key first and then ignore case. Set, Add and Del use
// the exact key. A nil Header reads as empty.
type Header map[string][]string

// Get returns the first value of key, or "" if there is none.
func (h Header) Get(key string) string {
	if v := h.Values(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of key, in the order they were added.
func (h Header) Values(key string) []string {
	if h == nil {
		return nil
	}
	if v, ok := h[key]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// Has reports whether key is present (exact, then case-insensitive).
func (h Header) Has(key string) bool { return h.Values(key) != nil }

// Set replaces the values of key (exact case) with value.
func (h Header) Set(key, value string) { h[key] = []string{value} }

// Add appends value to the values of key (exact case).
func (h Header) Add(key, value string) { h[key] = append(h[key], value) }

// Del removes key (exact case).
func (h Header) Del(key string) { delete(h, key) }
