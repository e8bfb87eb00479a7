package stack

import (
	"errors"
	"fmt"
	"regexp"
)

// Pollers the stack can run instead of (or beside) the Lambda event source.
const (
	PollerFargate = "fargate"
	PollerEC2     = "ec2"
)

// PollerGraceSeconds is how long `batchinfer poll` lets the batches in
// flight finish after SIGTERM before it hands the rest back
// (BATCHINFER_POLL_GRACE, set on the container to this).
// The task's stop timeout must outlast it, or ECS kills the process with
// SIGKILL mid-batch and its messages wait out their visibility timeout.
const PollerGraceSeconds = 25

// PollerConfig is the ECS poller: `batchinfer poll` in the worker's image
// as an ECS service that scales on the jobs queue's backlog per task.
type PollerConfig struct {
	// Kind ("poller"): "" (none: the Lambda event source consumes the
	// queue), "fargate" or "ec2". With a poller the function keeps its
	// other roles (API predict, S3 Batch Operations) but the queue has no
	// event source: long jobs would otherwise hit the function's timeout.
	Kind string
	// InstanceType ("pollerInstanceType"): the EC2 capacity provider's
	// instances (ec2 only), e.g. r7i.4xlarge for big models or g6.xlarge.
	// Its architecture must be the stack's (Graviton types are arm64).
	InstanceType string
	MinTasks     int // "pollerMinTasks": 0 lets the service scale to zero
	MaxTasks     int // "pollerMaxTasks": also the EC2 group's maximum instances
	// CPU ("pollerCpu", CPU units: 1024 = 1 vCPU) and MemoryMiB
	// ("pollerMemoryMiB") size a task; on Fargate they must be one of its
	// combinations, on EC2 they must fit the instance.
	CPU       int
	MemoryMiB int
	// BacklogPerTask ("pollerBacklogPerTask") is the scaling target: jobs
	// waiting or running per task. Pick what one task finishes within the
	// wait you accept (its jobs/s × seconds).
	BacklogPerTask int
	// StopTimeoutSeconds ("pollerStopTimeoutSeconds", ≤ 120) is how long
	// ECS waits after SIGTERM before SIGKILL.
	StopTimeoutSeconds int
}

// Enabled reports whether an ECS poller is configured.
func (p PollerConfig) Enabled() bool { return p.Kind != "" }

func (p PollerConfig) defaults(arch string) PollerConfig {
	if !p.Enabled() {
		return p
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.MaxTasks, 10)
	def(&p.CPU, 2048)
	def(&p.MemoryMiB, 4096)
	def(&p.BacklogPerTask, 1000)
	def(&p.StopTimeoutSeconds, 60)
	return p
}

// graviton matches EC2 instance types with AWS Graviton (arm64)
// processors: a "g" among the letters after the generation number
// (m7g, c7gn, r8gd, t4g, g5g, x2gd, im4gn).
var graviton = regexp.MustCompile(`^[a-z]+[0-9]+[a-z]*g[a-z]*(-flex)?\.`)

// instanceArch is the architecture of an EC2 instance type.
func instanceArch(t string) string {
	if graviton.MatchString(t) {
		return ArchARM64
	}
	return ArchX86_64
}

// fargateMemory is each Fargate CPU size's memory range in MiB.
var fargateMemory = map[int][2]int{
	256: {512, 2048}, 512: {1024, 4096}, 1024: {2048, 8192}, 2048: {4096, 16384},
	4096: {8192, 30720}, 8192: {16384, 61440}, 16384: {32768, 122880},
}

func (p PollerConfig) validate(arch string) error {
	if !p.Enabled() {
		if p.InstanceType != "" {
			return fmt.Errorf("context %q: set only with poller ec2", "pollerInstanceType")
		}
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %q: %s", key, fmt.Sprintf(format, args...)))
	}
	switch p.Kind {
	case PollerFargate:
		if p.InstanceType != "" {
			bad("pollerInstanceType", "%q: Fargate chooses its own hosts; use poller ec2", p.InstanceType)
		}
		if r, ok := fargateMemory[p.CPU]; !ok {
			bad("pollerCpu", "%d is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)", p.CPU)
		} else if p.MemoryMiB < r[0] || p.MemoryMiB > r[1] {
			bad("pollerMemoryMiB", "%d is outside Fargate's %d..%d for pollerCpu %d", p.MemoryMiB, r[0], r[1], p.CPU)
		}
	case PollerEC2:
		if p.InstanceType == "" {
			bad("pollerInstanceType", "poller ec2 needs an instance type, e.g. r7i.2xlarge")
		} else if !regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9]+$`).MatchString(p.InstanceType) {
			bad("pollerInstanceType", "%q is not an EC2 instance type", p.InstanceType)
		} else if a := instanceArch(p.InstanceType); a != arch {
			bad("pollerInstanceType", "%s is %s but the image is built for %s (context architecture)", p.InstanceType, a, arch)
		}
		if p.CPU < 128 || p.MemoryMiB < 128 {
			bad("pollerCpu", "%d CPU units / %d MiB: a task needs at least 128 of each", p.CPU, p.MemoryMiB)
		}
	default:
		bad("poller", "%q is not fargate or ec2", p.Kind)
	}
	if p.MinTasks < 0 {
		bad("pollerMinTasks", "%d is negative", p.MinTasks)
	}
	if p.MaxTasks < 1 || p.MaxTasks < p.MinTasks {
		bad("pollerMaxTasks", "%d must be at least 1 and at least pollerMinTasks %d", p.MaxTasks, p.MinTasks)
	}
	if p.BacklogPerTask < 1 {
		bad("pollerBacklogPerTask", "%d must be positive", p.BacklogPerTask)
	}
	if p.StopTimeoutSeconds <= PollerGraceSeconds || p.StopTimeoutSeconds > 120 {
		bad("pollerStopTimeoutSeconds", "%d must be over the poller's %d s grace period and at most ECS's 120", p.StopTimeoutSeconds, PollerGraceSeconds)
	}
	return errors.Join(errs...)
}
