package proto

import "fmt"

// ValidateSubject checks a subject for subscribing: it is not empty, holds
// no whitespace (space, tab, CR, LF), has no empty token (a leading,
// trailing or doubled '.'), uses '*' and '>' only as whole tokens, and '>'
// only as the last token. A bad subject returns an error wrapping
// ErrBadSubject that names it.
func ValidateSubject(s string) error {
	return checkSubject(s, true)
}

// ValidatePublishSubject checks a subject for publishing: what
// ValidateSubject checks, and no wildcard tokens.
func ValidatePublishSubject(s string) error {
	return checkSubject(s, false)
}

func checkSubject(s string, wildcards bool) error {
	if s == "" {
		return fmt.Errorf("%w: empty subject", ErrBadSubject)
	}
	start := 0 // first byte of the current token
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if isWhite(s[i]) {
				return subjectErr(s, "contains whitespace")
			}
			continue
		}
		switch tok := s[start:i]; {
		case tok == "":
			return subjectErr(s, "has an empty token")
		case tok == "*" || tok == ">":
			if !wildcards {
				return subjectErr(s, "has a wildcard, which cannot be published to")
			}
			if tok == ">" && i != len(s) {
				return subjectErr(s, "has '>' before the last token")
			}
		case len(tok) > 1 && hasWildcard(tok):
			return subjectErr(s, "has '*' or '>' inside a token")
		}
		start = i + 1
	}
	return nil
}

// ValidateQueue checks a queue group name: it is not empty and holds no
// whitespace (space, tab, CR, LF). A bad name returns an error wrapping
// ErrBadQueue.
func ValidateQueue(q string) error {
	if q == "" {
		return fmt.Errorf("%w: empty queue name", ErrBadQueue)
	}
	for i := 0; i < len(q); i++ {
		if isWhite(q[i]) {
			return fmt.Errorf("%w: %q contains whitespace", ErrBadQueue, q)
		}
	}
	return nil
}

// isWhite reports the bytes no subject or queue name may hold.
func isWhite(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func hasWildcard(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] == '*' || tok[i] == '>' {
			return true
		}
	}
	return false
}

func subjectErr(s, why string) error {
	return fmt.Errorf("%w: %q %s", ErrBadSubject, s, why)
}
