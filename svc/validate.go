package svc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// semverRE is the regular expression semver.org suggests for SemVer 2.0 (the one with
// numbered groups), as ADR-32 asks.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// validName reports whether s is a non-empty run of A-Z, a-z, 0-9, dash and underscore:
// ADR-32's rule for service names, also used for endpoint names.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// validVersion reports whether s is a SemVer 2.0 version.
func validVersion(s string) bool { return semverRE.MatchString(s) }

// checkSubject validates a subject endpoints subscribe to: non-empty tokens separated by
// dots, no white space, and ">" only as the last token. With wildcardTail false, ">" is
// refused altogether (group prefixes, which are followed by more tokens).
func checkSubject(s string, wildcardTail bool) error {
	if s == "" {
		return fmt.Errorf("empty subject")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("subject %q contains white space", s)
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return fmt.Errorf("subject %q has an empty token", s)
		case t == ">" && (!wildcardTail || i != len(tokens)-1):
			return fmt.Errorf("subject %q: '>' is only allowed as the last token of an endpoint subject", s)
		case t != ">" && strings.Contains(t, ">"):
			return fmt.Errorf("subject %q: '>' must be a token of its own", s)
		}
	}
	return nil
}

// checkQueue validates a queue group name.
func checkQueue(q string) error {
	if q == "" {
		return fmt.Errorf("empty queue group")
	}
	if strings.ContainsAny(q, " \t\r\n") {
		return fmt.Errorf("queue group %q contains white space", q)
	}
	return nil
}

// checkPrefix validates an API prefix such as "$SRV": one or more subject tokens
// without wildcards.
func checkPrefix(p string) error {
	if err := checkSubject(p, false); err != nil {
		return err
	}
	for _, t := range strings.Split(p, ".") {
		if t == "*" {
			return fmt.Errorf("API prefix %q has a wildcard", p)
		}
	}
	return nil
}

// checkErrorCode makes sure a service error code is safe to parse as a number, as ADR-32
// requires of Nats-Service-Error-Code.
func checkErrorCode(code string) error {
	if _, err := strconv.Atoi(code); err != nil {
		return fmt.Errorf("%w: service error code %q is not a number", ErrInvalidOption, code)
	}
	return nil
}

// copyMetadata returns a copy of m that later changes to m do not reach (ADR-32: metadata
// is immutable once set), never nil, so that the JSON shows an object.
func copyMetadata(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
