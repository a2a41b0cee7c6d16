package gateway_test

import (
	"testing"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
