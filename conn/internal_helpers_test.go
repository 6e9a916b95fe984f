package conn

import (
	"context"
	"testing"
	"time"
)

// dial connects to url for an internal test and closes the connection when it ends.
func dial(t testing.TB, url string) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
