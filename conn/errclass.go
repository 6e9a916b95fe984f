package conn

import (
	"errors"
	"fmt"
	"strings"
)

// classifyErr turns the text of a -ERR into an error matching one of the sentinels.
func classifyErr(text string) error {
	lower := strings.ToLower(text)
	var base error
	switch {
	case strings.Contains(lower, "authorization violation"):
		base = ErrAuthorization
	case strings.Contains(lower, "authentication expired"):
		base = ErrAuthExpired
	case strings.Contains(lower, "authentication revoked"):
		base = ErrAuthRevoked
	case strings.Contains(lower, "permissions violation"):
		base = ErrPermissionViolation
	case strings.Contains(lower, "stale connection"):
		base = ErrStaleConnection
	case strings.Contains(lower, "maximum connections exceeded"):
		base = ErrMaxConnections
	case strings.Contains(lower, "maximum payload"):
		base = ErrMaxPayload
	default:
		base = ErrServerError
	}
	return &serverError{base: base, text: text}
}

// serverError is a -ERR from the server: it matches its sentinel through errors.Is and keeps
// the server's words.
type serverError struct {
	base error
	text string
}

func (e *serverError) Error() string { return fmt.Sprintf("%v: server said %q", e.base, e.text) }
func (e *serverError) Unwrap() error { return e.base }

func isAuthError(err error) bool {
	return errors.Is(err, ErrAuthorization) || errors.Is(err, ErrAuthExpired) || errors.Is(err, ErrAuthRevoked)
}

// errorIsRetryable reports whether trying the first connect again later may help.
func errorIsRetryable(err error) bool {
	return !errors.Is(err, ErrInvalidOption) && !errors.Is(err, ErrTLS)
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// permissionSubject extracts the subject of a permissions violation text such as
// `Permissions Violation for Subscription to "foo.bar"`, and whether it concerns a
// subscription.
func permissionSubject(text string) (subject string, isSub bool) {
	isSub = strings.Contains(strings.ToLower(text), "for subscription to")
	i := strings.Index(text, "\"")
	j := strings.LastIndex(text, "\"")
	if i >= 0 && j > i {
		subject = text[i+1 : j]
	}
	if k := strings.Index(subject, "\" using queue \""); k >= 0 {
		subject = subject[:k]
	}
	return subject, isSub
}
