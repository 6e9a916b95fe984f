package js

import "testing"

// Every Publish and every KV put resolves its options; without any it allocates
// nothing, and with one the option is applied.
func TestPubOptsAllocs(t *testing.T) {
	j := New(nil) // pubOpts touches only the options
	if n := testing.AllocsPerRun(100, func() {
		if _, err := j.pubOpts(nil); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("pubOpts without options: %v allocations, want 0", n)
	}
	o, err := j.pubOpts([]PubOption{MsgID("x")})
	if err != nil || len(o.headers) != 1 || o.headers[0] != [2]string{HeaderMsgID, "x"} || o.retries != 2 {
		t.Errorf("pubOpts with MsgID: %+v, %v", o, err)
	}
}
