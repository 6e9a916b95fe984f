package chaos_test

import "sync"

// counts records how many times each number was seen; safe for concurrent use.
type counts struct {
	mu sync.Mutex
	n  []uint32
}

func (c *counts) add(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.n) <= i {
		c.n = append(c.n, 0)
	}
	c.n[i]++
}

func (c *counts) get(i int) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < len(c.n) {
		return c.n[i]
	}
	return 0
}

// missing returns the numbers of want (a set) that c never saw, at most 10 of them.
func (c *counts) missing(want *counts) []int {
	want.mu.Lock()
	defer want.mu.Unlock()
	var out []int
	for i, w := range want.n {
		if w > 0 && c.get(i) == 0 {
			out = append(out, i)
			if len(out) == 10 {
				break
			}
		}
	}
	return out
}

// stats returns how many distinct numbers were seen and how many extra times.
func (c *counts) stats() (distinct, extra int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.n {
		if v > 0 {
			distinct++
			extra += int(v) - 1
		}
	}
	return distinct, extra
}
