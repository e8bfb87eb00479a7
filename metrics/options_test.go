package metrics

import (
	"runtime"
	"testing"

	"github.com/batchinfer/batchinfer/internal/testenv"
)

func TestLoadOptions(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		check func(Options) bool
		err   string
	}{
		{"defaults outside Lambda", nil, func(o Options) bool {
			return !o.Disabled && o.Namespace == "batchinfer" && o.Function == "batchinfer" && o.Mode == ModeLambda &&
				o.MemoryMB == 1024 && o.Share == 1 && o.VCPU == float64(runtime.NumCPU()) && o.Prices == DefaultPrices
		}, ""},
		{"under Lambda", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "infer", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"},
			func(o Options) bool { return o.Function == "infer" && o.MemoryMB == 1769 }, ""},
		{"a poll container", map[string]string{"BATCHINFER_METRICS_FUNCTION": "poller", "BATCHINFER_CONTAINER_MEMORY_MB": "4096",
			"BATCHINFER_CONTAINER_VCPU": "0.5", "BATCHINFER_POLL_CONCURRENCY": "4", "AWS_LAMBDA_FUNCTION_NAME": "ignored"},
			func(o Options) bool {
				return o.Function == "poller" && o.MemoryMB == 4096 && o.VCPU == 0.5 && o.Share == 4
			}, ""},
		{"off", map[string]string{"BATCHINFER_METRICS": "off"}, func(o Options) bool { return o.Disabled }, ""},
		{"a namespace", map[string]string{"BATCHINFER_METRICS_NAMESPACE": "ml/batch"}, func(o Options) bool { return o.Namespace == "ml/batch" }, ""},
		{"neither on nor off", map[string]string{"BATCHINFER_METRICS": "sometimes"}, nil, "BATCHINFER_METRICS"},
		{"a reserved namespace", map[string]string{"BATCHINFER_METRICS_NAMESPACE": "AWS/Lambda"}, nil, "BATCHINFER_METRICS_NAMESPACE"},
		{"a bad memory size", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, nil, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"},
		{"a bad vCPU count", map[string]string{"BATCHINFER_CONTAINER_VCPU": "0"}, nil, "BATCHINFER_CONTAINER_VCPU"},
		{"a bad price", map[string]string{"BATCHINFER_PRICE_S3_GET": "x"}, nil, "BATCHINFER_PRICE_S3_GET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := LoadOptions(func(k string) string { return c.env[k] })
			if testenv.WantError(t, err, c.err) {
				return
			}
			if !c.check(o) {
				t.Fatalf("options %+v", o)
			}
		})
	}
	if goArch("amd64") != ArchX86_64 || goArch("arm64") != ArchARM64 {
		t.Fatal("GOARCH is not named as Lambda names architectures")
	}
}
