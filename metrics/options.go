package metrics

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/batchinfer/batchinfer/settings"
)

// Modes: the dimension sets of poll mode carry mode=poll, so a poller's
// figures never mix with the function's.
const (
	ModeLambda = "lambda"
	ModePoll   = "poll"
)

// Architectures as Lambda names them.
const (
	ArchARM64  = "arm64"
	ArchX86_64 = "x86_64"
)

// DefaultNamespace is the CloudWatch namespace when none is configured.
const DefaultNamespace = "batchinfer"

// Options configure the documents an Invocation writes and the cost it
// works out. LoadOptions fills them from the environment.
type Options struct {
	Namespace string           // CloudWatch namespace; DefaultNamespace when empty
	Function  string           // the value of the function dimension
	Mode      string           // ModeLambda (default) or ModePoll
	Disabled  bool             // BATCHINFER_METRICS=off: Flush writes nothing
	Now       func() time.Time // the documents' timestamp; time.Now when nil
	Prices    Prices           // the zero value means DefaultPrices

	MemoryMB int     // Lambda's configured memory, or the poll container's
	Arch     string  // ArchARM64 or ArchX86_64
	VCPU     float64 // poll mode: the container's vCPUs
	// Share is how many poll batches run at once in one container: each
	// is charged 1/Share of the container's time.
	Share int
}

// LoadOptions reads BATCHINFER_METRICS (on, off), BATCHINFER_METRICS_NAMESPACE,
// the function name (BATCHINFER_METRICS_FUNCTION, else Lambda's
// AWS_LAMBDA_FUNCTION_NAME, else "batchinfer"), the memory
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, else BATCHINFER_CONTAINER_MEMORY_MB),
// the poll container's BATCHINFER_CONTAINER_VCPU and
// BATCHINFER_POLL_CONCURRENCY, and the prices (LoadPrices). Mode is the
// caller's to set: the same environment runs `lambda` and `poll`.
func LoadOptions(getenv func(string) string) (Options, error) {
	e := settings.From(getenv)
	o := Options{Mode: ModeLambda, Arch: goArch(runtime.GOARCH), VCPU: float64(runtime.NumCPU())}
	o.Disabled = !e.Switch(settings.MetricsOn)
	o.Namespace = e.Text(settings.MetricsNamespace)
	if err := checkNamespace(o.Namespace); err != nil {
		e.Fail(settings.MetricsNamespace, "%v", err)
	}
	o.Function = firstOf(e.Text(settings.MetricsFunction), getenv("AWS_LAMBDA_FUNCTION_NAME"), "batchinfer")
	o.MemoryMB = int(e.Int(settings.ContainerMemoryMB, 1))
	if v := strings.TrimSpace(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")); v != "" && e.Err() == nil {
		// Lambda's own variable, set by Lambda: not one of ours.
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return Options{}, fmt.Errorf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE: %q is not a positive integer", v)
		}
		o.MemoryMB = n
	}
	o.Share = int(e.Int(settings.PollConcurrency, 1))
	if e.Set(settings.ContainerVCPU) {
		if o.VCPU = e.Float(settings.ContainerVCPU); o.VCPU == 0 {
			e.Fail(settings.ContainerVCPU, "0 is not a positive number of vCPUs")
		}
	}
	if err := e.Err(); err != nil {
		return Options{}, err
	}
	var err error
	if o.Prices, err = LoadPrices(getenv); err != nil {
		return Options{}, err
	}
	return o, nil
}

func checkNamespace(ns string) error {
	switch {
	case len(ns) > 255:
		return fmt.Errorf("%q is longer than 255 characters", ns)
	case strings.HasPrefix(ns, "AWS/"):
		return fmt.Errorf("%q: the AWS/ prefix is reserved for AWS services", ns)
	}
	return nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// goArch names GOARCH the way Lambda names architectures.
func goArch(goarch string) string {
	if goarch == "arm64" {
		return ArchARM64
	}
	return ArchX86_64
}
