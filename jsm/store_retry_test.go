package jsm_test

import (
	"fmt"
	"testing"

	"github.com/natsactor/natsactor/jsm"
)

// TestAddStreamAfterDeletingTheLast creates a file stream right after deleting the
// account's only one, many times. The server removes the emptied streams directory in
// the background and a create racing with it fails with err_code 10049; AddStream
// retries that, so every create here succeeds.
func TestAddStreamAfterDeletingTheLast(t *testing.T) {
	t.Parallel()
	_, m := setup(t)
	ctx := testCtx(t)
	for i := range 500 {
		name := fmt.Sprintf("S%d", i)
		cfg := jsm.StreamConfig{Name: name, Subjects: []string{"race." + name}, Storage: jsm.FileStorage}
		if _, err := m.AddStream(ctx, cfg); err != nil {
			t.Fatalf("create %d after deleting the previous stream: %v", i, err)
		}
		if err := m.DeleteStream(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
}
