package kv

import (
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/natsactor/natsactor/conn"
)

// Watchers need a fresh deliver subject for every consumer they create, often from
// several goroutines at once. (*conn.Conn).NewInbox is not safe for concurrent use,
// so a bucket takes the connection's inbox prefix from one call, made under
// inboxMu, and names its deliver subjects itself.
var (
	inboxMu    sync.Mutex
	inboxToken = rand.Text() // process-unique part of every deliver subject
	inboxSeq   atomic.Uint64
)

// inboxPrefix returns c's inbox prefix (such as "_INBOX").
func inboxPrefix(c *conn.Conn) string {
	inboxMu.Lock()
	in := c.NewInbox()
	inboxMu.Unlock()
	if i := strings.LastIndexByte(in, '.'); i > 0 {
		return in[:i]
	}
	return in
}

// newInbox returns a unique subject under the bucket's inbox prefix.
func (b *Bucket) newInbox() string {
	return b.inboxPre + "." + inboxToken + strconv.FormatUint(inboxSeq.Add(1), 36)
}
