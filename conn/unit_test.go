package conn_test

import (
	"sync"
	"testing"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
)

func TestHeaderLookups(t *testing.T) {
	h := conn.Header{}
	h.Set("Content-Type", "a")
	h.Add("content-type", "b") // a different key: exact case is kept
	if got := h.Get("Content-Type"); got != "a" {
		t.Fatalf("exact Get = %q", got)
	}
	if got := h.Values("content-type"); len(got) != 1 || got[0] != "b" {
		t.Fatalf("exact Values = %v", got)
	}
	if got := h.Get("CONTENT-TYPE"); got != "a" && got != "b" {
		t.Fatalf("case-insensitive Get = %q", got)
	}
	h.Del("content-type")
	if !h.Has("CONTENT-type") || h.Get("Content-Type") != "a" {
		t.Fatal("Del removed the wrong key")
	}
	var nilH conn.Header
	if nilH.Get("x") != "" || nilH.Values("x") != nil || nilH.Has("x") {
		t.Fatal("nil header not empty")
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct {
		in      string
		atLeast [3]int
		want    bool
	}{
		{"2.11.3", [3]int{2, 11, 0}, true},
		{"v2.10.22", [3]int{2, 11, 0}, false},
		{"2.12.0-RC.1", [3]int{2, 12, 0}, false},
		{"2.12.0-RC.1", [3]int{2, 11, 9}, true},
		{"3.0.0", [3]int{2, 99, 99}, true},
	} {
		v, err := conn.ParseVersion(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := v.AtLeast(tc.atLeast[0], tc.atLeast[1], tc.atLeast[2]); got != tc.want {
			t.Errorf("%s AtLeast %v = %v", tc.in, tc.atLeast, got)
		}
	}
	for _, bad := range []string{"", "2.11", "a.b.c", "2.-1.0"} {
		if _, err := conn.ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
	if v, _ := conn.ParseVersion("2.12.0-RC.1"); v.String() != "2.12.0-RC.1" {
		t.Errorf("String %q", v.String())
	}
}

func TestNewInboxConcurrent(t *testing.T) {
	t.Parallel()
	s := natstest.Start(t)
	c := connect(t, s.URL())
	const workers, each = 8, 500
	out := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				out <- c.NewInbox()
			}
		}()
	}
	wg.Wait()
	close(out)
	seen := map[string]bool{}
	for in := range out {
		if seen[in] {
			t.Fatalf("inbox %s handed out twice", in)
		}
		seen[in] = true
	}
}
