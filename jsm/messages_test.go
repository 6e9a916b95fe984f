package jsm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/natsactor/natsactor/conn"
	"github.com/natsactor/natsactor/internal/natstest"
	"github.com/natsactor/natsactor/jsm"
)

// TestGetMsg reads the same messages from a stream with direct get and one without,
// and checks both ways give the same result, headers decoded.
func TestGetMsg(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "DIRECT", Subjects: []string{"d.>"}, AllowDirect: true})
	addStream(t, m, jsm.StreamConfig{Name: "API", Subjects: []string{"a.>"}})
	// A second Manager that has not seen the streams' configuration must find its way too.
	fresh := jsm.New(m.Conn())
	for _, p := range []string{"d", "a"} {
		msg := conn.NewMsg(p + ".x")
		msg.Header.Set("Trace", "t1")
		msg.Header.Add("Trace", "t2")
		// A header of the message's own that a batch get would add, kept by a single get.
		msg.Header.Set("Nats-Last-Sequence", "77")
		msg.Data = []byte("first")
		publish(t, m, msg)
		pub(t, m, p+".y", "second")
		pub(t, m, p+".x", "third")
	}
	read := func(mgr *jsm.Manager, stream string) []*jsm.RawStreamMsg {
		p := strings.ToLower(stream[:1])
		var out []*jsm.RawStreamMsg
		for _, get := range []func() (*jsm.RawStreamMsg, error){
			func() (*jsm.RawStreamMsg, error) { return mgr.GetMsg(ctx, stream, 1) },
			func() (*jsm.RawStreamMsg, error) { return mgr.GetMsg(ctx, stream, 2) },
			func() (*jsm.RawStreamMsg, error) { return mgr.GetLastMsg(ctx, stream, p+".x") },
			func() (*jsm.RawStreamMsg, error) {
				return mgr.GetLastMsg(ctx, stream, p+".*")
			},
			func() (*jsm.RawStreamMsg, error) { return mgr.GetNextMsg(ctx, stream, 2, p+".x") },
			func() (*jsm.RawStreamMsg, error) { return mgr.GetNextMsg(ctx, stream, 0, "") },
		} {
			msg, err := get()
			if err != nil {
				t.Fatalf("%s read %d: %v", stream, len(out), err)
			}
			out = append(out, msg)
		}
		return out
	}
	for _, mgr := range []*jsm.Manager{m, fresh} {
		direct, api := read(mgr, "DIRECT"), read(mgr, "API")
		wantSeq := []uint64{1, 2, 3, 3, 3, 1}
		for i, msg := range direct {
			if msg.Sequence != wantSeq[i] || msg.Time.IsZero() || time.Since(msg.Time) > time.Minute {
				t.Errorf("direct read %d: %+v", i, msg)
			}
			// The same message through the API, but for the subject's prefix and the time.
			a := *api[i]
			a.Subject = "d" + a.Subject[1:]
			if d := cmp.Diff(msg, &a, cmpopts.IgnoreFields(jsm.RawStreamMsg{}, "Time")); d != "" {
				t.Errorf("read %d differs between direct get and the API (-direct +api):\n%s", i, d)
			}
		}
		first := direct[0]
		if first.Subject != "d.x" || string(first.Data) != "first" || fmt.Sprint(first.Header.Values("Trace")) != "[t1 t2]" ||
			first.Header.Get("Nats-Last-Sequence") != "77" || first.Header.Get("Nats-Sequence") != "" || len(first.Header) != 2 {
			t.Errorf("first message: %+v", first)
		}
		if direct[1].Header != nil || string(direct[1].Data) != "second" {
			t.Errorf("message without headers: %+v", direct[1])
		}
	}
	// Misses, through both ways.
	for _, stream := range []string{"DIRECT", "API"} {
		for what, err := range map[string]error{
			"GetMsg":     natstest.Second(m.GetMsg(ctx, stream, 99)),
			"GetLastMsg": natstest.Second(m.GetLastMsg(ctx, stream, strings.ToLower(stream[:1])+".none")),
			"GetNextMsg": natstest.Second(m.GetNextMsg(ctx, stream, 4, "")),
		} {
			var apiErr *jsm.APIError
			if !errors.Is(err, jsm.ErrMsgNotFound) || !errors.As(err, &apiErr) || apiErr.Code != 404 {
				t.Errorf("%s %s miss: %v", stream, what, err)
			}
		}
	}
	if _, err := fresh.GetMsg(ctx, "NOPE", 1); !errors.Is(err, jsm.ErrStreamNotFound) {
		t.Errorf("GetMsg on a missing stream: %v", err)
	}
	if _, err := m.GetMsg(ctx, "API", 0); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("GetMsg of sequence 0: %v", err)
	}
	if _, err := m.GetLastMsg(ctx, "API", ""); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("GetLastMsg of no subject: %v", err)
	}
}

func TestDeleteMsg(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}, AllowDirect: true})
	for i := range 4 {
		pub(t, m, "s", fmt.Sprint(i))
	}
	if err := m.DeleteMsg(ctx, "S", 2); err != nil {
		t.Fatal(err)
	}
	if err := m.SecureDeleteMsg(ctx, "S", 3); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{2, 3} {
		if _, err := m.GetMsg(ctx, "S", seq); !errors.Is(err, jsm.ErrMsgNotFound) {
			t.Errorf("GetMsg(%d) after delete: %v", seq, err)
		}
		if err := m.DeleteMsg(ctx, "S", seq); !errors.Is(err, jsm.ErrMsgNotFound) {
			t.Errorf("DeleteMsg(%d) again: %v", seq, err)
		}
	}
	if msg, err := m.GetNextMsg(ctx, "S", 2, "s"); err != nil || msg.Sequence != 4 {
		t.Errorf("next after the deleted ones: %+v, %v", msg, err)
	}
	if err := m.DeleteMsg(ctx, "NOPE", 1); !errors.Is(err, jsm.ErrStreamNotFound) {
		t.Errorf("DeleteMsg on a missing stream: %v", err)
	}
	// A stream that denies deletes refuses, with the server's error.
	addStream(t, m, jsm.StreamConfig{Name: "DENY", Subjects: []string{"deny"}, DenyDelete: true})
	pub(t, m, "deny", "x")
	var apiErr *jsm.APIError
	if err := m.DeleteMsg(ctx, "DENY", 1); !errors.As(err, &apiErr) || apiErr.ErrCode != 10057 {
		t.Errorf("DeleteMsg with deny_delete: %v", err)
	}
}

func TestPurgeStream(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s.>"}})
	fill := func() {
		for i := range 10 {
			pub(t, m, fmt.Sprintf("s.%d", i%2), "x")
		}
	}
	fill() // seq 1..10: s.0 at odd, s.1 at even sequences
	n, err := m.PurgeStream(ctx, "S", jsm.PurgeSubject("s.0"))
	if err != nil || n != 5 {
		t.Errorf("purge subject: %d, %v", n, err)
	}
	n, err = m.PurgeStream(ctx, "S", jsm.PurgeSubject("s.1"), jsm.PurgeKeep(2))
	if err != nil || n != 3 {
		t.Errorf("purge subject keep 2: %d, %v", n, err)
	}
	fill() // 11..20
	n, err = m.PurgeStream(ctx, "S", jsm.PurgeSequence(15))
	if err != nil || n != 6 { // 8, 10, 11..14
		t.Errorf("purge below 15: %d, %v", n, err)
	}
	n, err = m.PurgeStream(ctx, "S", jsm.PurgeKeep(1))
	if err != nil || n != 5 {
		t.Errorf("purge keep 1: %d, %v", n, err)
	}
	n, err = m.PurgeStream(ctx, "S")
	if err != nil || n != 1 {
		t.Errorf("purge all: %d, %v", n, err)
	}
	if si, _ := m.StreamInfo(ctx, "S"); si.State.Msgs != 0 || si.State.FirstSeq != 21 {
		t.Errorf("after purges: %+v", si.State)
	}
	// Sequence and keep together are the server's to refuse.
	var apiErr *jsm.APIError
	if _, err := m.PurgeStream(ctx, "S", jsm.PurgeSequence(3), jsm.PurgeKeep(1)); !errors.As(err, &apiErr) || !errors.Is(err, jsm.ErrBadRequest) {
		t.Errorf("purge with seq and keep: %v", err)
	}
	if _, err := m.PurgeStream(ctx, "S", jsm.PurgeSequence(0)); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("purge sequence 0: %v", err)
	}
	if _, err := m.PurgeStream(ctx, "S", jsm.PurgeSubject("")); !errors.Is(err, jsm.ErrInvalidOption) {
		t.Errorf("purge empty subject: %v", err)
	}
	if _, err := m.PurgeStream(ctx, "NOPE"); !errors.Is(err, jsm.ErrStreamNotFound) {
		t.Errorf("purge a missing stream: %v", err)
	}
}

// TestWrongLastSequence checks a publish refused for its expected last sequence
// decodes to an APIError matching ErrWrongLastSequence, as 10071 and as 10164.
func TestWrongLastSequence(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	addStream(t, m, jsm.StreamConfig{Name: "S", Subjects: []string{"s"}})
	pub(t, m, "s", "x")
	msg := conn.NewMsg("s")
	msg.Header.Set("Nats-Expected-Last-Sequence", "5")
	reply, err := m.Conn().RequestMsg(testCtx(t), msg)
	if err != nil {
		t.Fatal(err)
	}
	var ack struct {
		Error *jsm.APIError `json:"error"`
	}
	if err := jsonUnmarshal(reply.Data, &ack); err != nil || ack.Error == nil {
		t.Fatalf("ack %s: %v", reply.Data, err)
	}
	if !errors.Is(ack.Error, jsm.ErrWrongLastSequence) || ack.Error.ErrCode != 10071 {
		t.Errorf("wrong last sequence: %v", ack.Error)
	}
	if !errors.Is(&jsm.APIError{Code: 400, ErrCode: 10164}, jsm.ErrWrongLastSequence) {
		t.Error("10164 does not match ErrWrongLastSequence")
	}
	msg = conn.NewMsg("s")
	msg.Header.Set("Nats-Expected-Last-Msg-Id", "nope")
	reply, _ = m.Conn().RequestMsg(testCtx(t), msg)
	ack.Error = nil
	_ = jsonUnmarshal(reply.Data, &ack)
	if !errors.Is(ack.Error, jsm.ErrStreamWrongLastMsgID) {
		t.Errorf("wrong last msg id: %v (%s)", ack.Error, reply.Data)
	}
}
