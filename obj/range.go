package obj

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/jsm"
)

// GetRange opens length bytes of the object name from offset on (length < 0: to the
// end; a range past the end is cut short) for reading. Unlike Get it starts at the
// chunk that holds offset, found with a few single-message direct gets (a binary
// search over the stream's sequences when the object's chunks are not contiguous),
// and stops after the chunk that holds the range's last byte; so reading the end of a
// large object does not stream what comes before it.
//
// That needs chunks of one size (all but the last, as ADR-20 puts them): GetRange
// checks it from the first and last chunks and otherwise reads from the object's start,
// dropping the bytes before offset. Servers older than 2.11 also read from the start.
// A ranged Object checks the size of every chunk it reads but has no digest to check.
// Links are followed as Get follows them. An offset below 0 or past the end is
// ErrInvalidRange. ctx bounds the reading as in Get.
func (s *Store) GetRange(ctx context.Context, name string, offset, length int64) (*Object, error) {
	ts, info, err := s.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	if offset < 0 || uint64(offset) > info.Size {
		return nil, fmt.Errorf("%w: offset %d in %q of %d bytes", ErrInvalidRange, offset, name, info.Size)
	}
	if rest := int64(info.Size) - offset; length < 0 || length > rest {
		length = rest
	}
	o, err := ts.newObject(ctx, info)
	if err != nil {
		return nil, err
	}
	o.ranged, o.remain = true, length
	if length == 0 {
		return o, nil
	}
	subject := chunkSubject(ts.bucket, info.NUID)
	cs, seq, k, err := ts.locate(o.ctx, subject, info, uint64(offset))
	if err != nil {
		o.Close()
		return nil, err
	}
	o.chunkSize, o.index = cs, k
	o.skip = uint64(offset)
	var count uint32
	if cs == 0 { // not uniform: from the start, every chunk up to the end
		seq, count, o.index = 1, info.Chunks, 0
	} else {
		o.skip -= uint64(k) * uint64(cs)
		last := uint32((uint64(offset) + uint64(length) - 1) / uint64(cs))
		count = last - k + 1
	}
	o.pages = ts.startFetcher(o.ctx, subject, seq, count, max(cs, info.ChunkSize))
	return o, nil
}

// locate finds the chunk that holds offset: the chunk size, its sequence and index.
// A zero chunk size means the chunks are not of one size (or the server has no batched
// direct gets) and the read must start at the object's start.
func (s *Store) locate(ctx context.Context, subject string, info *ObjectInfo, offset uint64) (cs uint32, seq uint64, k uint32, err error) {
	if !s.batchOK() {
		return 0, 0, 0, nil
	}
	first, err := s.probe(ctx, subject, 1, info.Chunks)
	if err != nil {
		return 0, 0, 0, err
	}
	if first.seq == 0 {
		return 0, 0, 0, fmt.Errorf("%w: %q has no chunks", ErrChunkCountMismatch, info.Name)
	}
	if first.idx != 0 || first.size == 0 {
		// More or fewer chunks stored than the meta record counts: let the sequential
		// read report it.
		return 0, 0, 0, nil
	}
	cs = info.ChunkSize
	if cs == 0 {
		cs = uint32(first.size)
	}
	if info.Chunks > 1 {
		last, err := s.m.GetLastMsg(ctx, s.stream, subject)
		if err != nil {
			return 0, 0, 0, err
		}
		if cs == 0 || uint64(len(last.Data)) != info.Size-uint64(info.Chunks-1)*uint64(cs) {
			return 0, 0, 0, nil
		}
	}
	if cs == 0 {
		return 0, 0, 0, nil
	}
	k = uint32(offset / uint64(cs))
	if k >= info.Chunks {
		k = info.Chunks - 1
	}
	if k == 0 {
		return cs, first.seq, 0, nil
	}
	// Contiguous chunks put chunk k at first+k. Otherwise the chunks are interleaved
	// with others: gallop forward at the density seen so far until past chunk k, then
	// search between the last chunk before it (lo) and the first sequence past it (hi).
	lo, loIdx, hi := first.seq, int64(0), uint64(0)
	guess, factor := first.seq+uint64(k), uint64(1)
	for range 128 {
		p, err := s.probe(ctx, subject, guess, info.Chunks)
		if err != nil {
			return 0, 0, 0, err
		}
		switch {
		case p.seq != 0 && p.idx == int64(k):
			return cs, p.seq, k, nil
		case p.seq == 0 || p.idx > int64(k):
			hi = guess
		default:
			lo, loIdx = p.seq, p.idx
		}
		switch {
		case hi != 0 && hi <= lo+1:
			return 0, 0, 0, nil // not where it must be: read from the start
		case hi != 0:
			guess = lo + (hi-lo)/2
		default:
			stride := max(1, (lo-first.seq)/uint64(max(loIdx, 1)))
			guess = lo + max(1, uint64(int64(k)-loIdx)*stride*factor)
			factor *= 2
		}
	}
	return 0, 0, 0, nil // not found where it must be: read from the start
}

// probeResult is the first chunk at or after sequence from: its sequence (0 when
// there is none), its index in the object (negative when more chunks are stored than
// the meta record counts), and its size.
type probeResult struct {
	from, seq uint64
	idx       int64
	size      int
}

// probe reads the first message of subject at or after sequence from with a batched
// direct get of one message, whose Nats-Num-Pending header tells how many of the
// subject's messages follow it, and so the chunk's index.
func (s *Store) probe(ctx context.Context, subject string, from uint64, chunks uint32) (probeResult, error) {
	ctx, cancel := s.m.WithDefaultTimeout(ctx)
	defer cancel()
	body, _ := json.Marshal(struct {
		Seq     uint64 `json:"seq"`
		NextFor string `json:"next_by_subj"`
		Batch   int    `json:"batch"`
	}{from, subject, 1})
	reply, err := s.m.Conn().Request(ctx, s.m.APIPrefix()+".DIRECT.GET."+s.stream, body)
	if err != nil {
		return probeResult{}, err
	}
	r := probeResult{from: from}
	if code, desc := reply.Status(); code == 404 {
		return r, nil
	} else if code != 0 {
		return r, &jsm.APIError{Code: code, Description: desc}
	}
	seq, err1 := strconv.ParseUint(header(reply, "Nats-Sequence"), 10, 64)
	pending, err2 := strconv.ParseUint(header(reply, "Nats-Num-Pending"), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return r, fmt.Errorf("%w: direct get without sequence or pending count: %v", jsm.ErrBadResponse, err)
	}
	r.seq, r.idx, r.size = seq, int64(chunks)-int64(pending+1), len(reply.Data)
	return r, nil
}

func header(m *conn.Msg, key string) string {
	if m.Header == nil {
		return ""
	}
	return m.Header.Get(key)
}
