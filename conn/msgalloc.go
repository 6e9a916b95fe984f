package conn

// newMsg returns a message holding a copy of data. Up to 256 bytes the copy shares the
// Msg's allocation, so receiving a small message costs one allocation instead of two. The
// tiers fill Go's allocation size classes with the 80-byte Msg: a 16-byte payload takes
// 96 bytes, 32 bytes 112, 64 bytes 144 (before the Msg shrank from 104 bytes, both took
// 144). Beyond 256 bytes the payload is an allocation of its own: the next tiers would
// waste up to half their size (a 300-byte payload took 640 bytes) and, holding pointers,
// be zeroed and typed whole, where a pointer-free copy is neither (a 1 KiB payload's
// message took 430–470 ns, now 410–425). Data is capped at its length, so an append by
// the user never runs into memory it does not own.
func newMsg(data []byte) *Msg {
	n := len(data)
	var m *Msg
	var buf []byte
	switch {
	case n == 0:
		return &Msg{}
	case n <= 16:
		x := new(struct {
			Msg
			b [16]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	case n <= 32:
		x := new(struct {
			Msg
			b [32]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	case n <= 64:
		x := new(struct {
			Msg
			b [64]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	case n <= 128:
		x := new(struct {
			Msg
			b [128]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	case n <= 256:
		x := new(struct {
			Msg
			b [256]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	default:
		// append copies into memory it does not clear first.
		return &Msg{Data: append([]byte(nil), data...)[:n:n]}
	}
	copy(buf, data)
	m.Data = buf
	return m
}
