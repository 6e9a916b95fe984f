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

// subjectSpecial is 1 for the bytes a subject's check must look at more closely:
// whitespace and the wildcards (see plainSubject).
var subjectSpecial = [256]byte{' ': 1, '\t': 1, '\r': 1, '\n': 1, '*': 1, '>': 1}

func checkSubject(s string, wildcards bool) error {
	if s == "" {
		return fmt.Errorf("%w: empty subject", ErrBadSubject)
	}
	// Most subjects are plain: no whitespace, no wildcard, no empty token. Proving it
	// eight bytes at a time is about four times faster than judging token by token,
	// which matters because the subjects that change with every publish
	// (acknowledgements, reply subjects) miss the writer's cache of the last one.
	// Anything else takes the token walk, which says what is wrong.
	if plainSubject(s) {
		return nil
	}
	return walkSubject(s, wildcards)
}

// plainSubject reports whether the non-empty s is a valid subject without wildcards:
// no whitespace, no '*' or '>', and no leading, trailing or doubled '.'. A false answer
// only sends s to the token walk: the eight-byte words refuse every byte below '!'
// (the control bytes other than whitespace are valid but rare), the tail only what
// subjectSpecial marks.
// Eight bytes at a time, with the usual bit tricks: (x - ones*n) &^ x has a high bit
// set iff some byte of x is below n (n <= 0x80), and a byte is '.' iff its high bit
// survives in ^(((d & 0x7f...) + 0x7f...) | d) where d is x XOR eight dots.
func plainSubject(s string) bool {
	if s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	const ones, highs, lows = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	lastDot := false
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8] // one bounds check; the loads below combine into one
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		star, gt := x^ones*'*', x^ones*'>'
		if ((x-ones*'!')&^x|(star-ones)&^star|(gt-ones)&^gt)&highs != 0 {
			return false
		}
		d := x ^ ones*'.'
		dots := ^((d&lows + lows) | d) & highs // 0x80 in each byte that is '.'
		if dots&(dots>>8) != 0 || lastDot && dots&0x80 != 0 {
			return false // two dots side by side, within the word or across words
		}
		lastDot = dots>>63 != 0
	}
	for ; i < len(s); i++ {
		c := s[i]
		dot := c == '.'
		if subjectSpecial[c] != 0 || dot && lastDot {
			return false
		}
		lastDot = dot
	}
	return true
}

// walkSubject is checkSubject token by token.
func walkSubject(s string, wildcards bool) error {
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
