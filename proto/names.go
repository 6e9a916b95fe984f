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
	// One pass: bytes are looked at once; a token is judged at its end, and only a token
	// holding '*' or '>' needs more than a length check. This runs on every publish.
	start, wild := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '.':
			if err := checkToken(s, start, i, wild, wildcards); err != nil {
				return err
			}
			start, wild = i+1, false
		case '*', '>':
			wild = true
		case ' ', '\t', '\r', '\n':
			return subjectErr(s, "contains whitespace")
		}
	}
	return checkToken(s, start, len(s), wild, wildcards)
}

// checkToken judges the token s[start:end]; wild says it holds '*' or '>'.
func checkToken(s string, start, end int, wild, wildcards bool) error {
	switch {
	case start == end:
		return subjectErr(s, "has an empty token")
	case !wild:
		return nil
	case end-start > 1:
		return subjectErr(s, "has '*' or '>' inside a token")
	case !wildcards:
		return subjectErr(s, "has a wildcard, which cannot be published to")
	case s[start] == '>' && end != len(s):
		return subjectErr(s, "has '>' before the last token")
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

func subjectErr(s, why string) error {
	return fmt.Errorf("%w: %q %s", ErrBadSubject, s, why)
}
