package conn

import (
	"sync"
	"sync/atomic"
)

// subTable is the set of live subscriptions. The connection side (Subscribe, Unsubscribe,
// reconnect replay) works on all under mu. The reader owns a private copy, byID, that it
// reads without any lock on the receive path; changes reach it through ops, which the
// reader applies before parsing each chunk it reads. A SUB frame is queued only after its
// op, and the server's first MSG for it can only be read after that, so the reader always
// knows a subscription before its first message.
type subTable struct {
	mu    sync.Mutex
	all   map[uint64]*Subscription
	ops   []subOp
	dirty atomic.Bool

	byID map[uint64]*Subscription // reader's own copy
}

type subOp struct {
	sid uint64
	sub *Subscription // nil: remove
}

func newSubTable() *subTable {
	return &subTable{all: map[uint64]*Subscription{}, byID: map[uint64]*Subscription{}}
}

// add registers s; the caller holds mu.
func (t *subTable) addLocked(s *Subscription) {
	t.all[s.sid] = s
	t.ops = append(t.ops, subOp{s.sid, s})
	t.dirty.Store(true)
}

// remove forgets sid; it reports whether sid was present.
func (t *subTable) remove(sid uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.all[sid]; !ok {
		return false
	}
	delete(t.all, sid)
	t.ops = append(t.ops, subOp{sid, nil})
	t.dirty.Store(true)
	return true
}

// snapshot returns the live subscriptions.
func (t *subTable) snapshot() []*Subscription {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*Subscription, 0, len(t.all))
	for _, s := range t.all {
		out = append(out, s)
	}
	return out
}

// lookup is called by the reader only.
func (t *subTable) lookup(sid uint64) *Subscription {
	if t.dirty.Load() {
		t.sync()
	}
	return t.byID[sid]
}

// sync applies pending changes to the reader's copy; called by the reader only.
func (t *subTable) sync() {
	t.mu.Lock()
	ops := t.ops
	t.ops = nil
	t.dirty.Store(false)
	t.mu.Unlock()
	for _, op := range ops {
		if op.sub == nil {
			delete(t.byID, op.sid)
		} else {
			t.byID[op.sid] = op.sub
		}
	}
}
