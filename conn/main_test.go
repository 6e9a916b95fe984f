package conn_test

import (
	"testing"

	"github.com/natsactor/natsactor/internal/natstest"
)

// TestMain fails the package if any goroutine of the connection package (or a server)
// outlives the tests.
func TestMain(m *testing.M) { natstest.Main(m) }
