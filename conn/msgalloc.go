package conn

// newMsg returns a message holding a copy of data in the same allocation as the Msg itself
// for payloads up to 1 KiB, so receiving a small message costs one allocation instead of
// two. The tiers fill Go's allocation size classes with the 80-byte Msg: a 16-byte payload
// takes 96 bytes, 32 bytes 112, 64 bytes 144 (before the Msg shrank from 104 bytes, both
// took 144). Data is capped at its length, so an append by the user never runs into
// memory it does not own.
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
	case n <= 512:
		x := new(struct {
			Msg
			b [512]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	case n <= 1024:
		x := new(struct {
			Msg
			b [1024]byte
		})
		m, buf = &x.Msg, x.b[:n:n]
	default:
		m, buf = &Msg{}, make([]byte, n)
	}
	copy(buf, data)
	m.Data = buf
	return m
}
