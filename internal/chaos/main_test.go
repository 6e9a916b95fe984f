package chaos_test

import (
	"testing"

	"github.com/natsactor/natsactor/internal/natstest"
)

func TestMain(m *testing.M) { natstest.Main(m) }
