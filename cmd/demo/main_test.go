package main

import (
	"testing"

	"github.com/natsactor/natsactor/internal/natstest"
)

// TestMain fails the package if the tour leaves a goroutine of natsactor or a server behind.
func TestMain(m *testing.M) { natstest.Main(m) }
