package svc_test

import (
	"testing"

	"github.com/natsactor/natsactor/internal/natstest"
)

// TestMain fails the package if any goroutine of a service, connection or server outlives
// the tests.
func TestMain(m *testing.M) { natstest.Main(m) }
