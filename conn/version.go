package conn

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a server's semantic version.
type Version struct {
	Major, Minor, Patch int
	// Pre is the pre-release part, such as "RC.1", or "".
	Pre string
}

// ParseVersion parses "2.11.3", "v2.12.0-RC.1" and the like.
func ParseVersion(s string) (Version, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	var v Version
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		v.Pre = s[i+1:]
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("nats: bad server version %q", s)
	}
	nums := [3]*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("nats: bad server version %q", s)
		}
		*nums[i] = n
	}
	return v, nil
}

// AtLeast reports whether v is major.minor.patch or newer. A pre-release counts as older than
// its release.
func (v Version) AtLeast(major, minor, patch int) bool {
	a := [3]int{v.Major, v.Minor, v.Patch}
	b := [3]int{major, minor, patch}
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return v.Pre == ""
}

// String formats v as "2.11.3" (with "-pre" when set).
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}
