package e2e

import (
	"testing"

	"github.com/batchinfer/batchinfer/internal/emulators"
	"github.com/batchinfer/batchinfer/internal/testenv"
)

var (
	// binary is cmd/batchinfer built once for the package, as the Lambda
	// bootstrap is built: -tags lambda.norpc, cgo on (ONNX Runtime).
	binary string
	// emu is one fauxqs+dynalite pair; each test provisions its own
	// resources on it.
	emu *emulators.Env
)

func TestMain(m *testing.M) {
	testenv.Main(m, testenv.LambdaBinary("./cmd/batchinfer", &binary), emulators.Step(&emu))
}
