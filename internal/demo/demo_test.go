package demo

import (
	"os"
	"testing"

	"github.com/opsboard/opsboard/internal/database/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
