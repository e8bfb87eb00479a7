package main

import (
	"fmt"
	"sort"
	"strings"
)

// Profile is what one job of a kind costs the worker, from this project's
// own measurements (docs/benchmarks.md, "Bulk and lean: calls per job,
// record files", the delay-proxy table: 5 ms DynamoDB/SQS, 20 ms S3 per
// call, 2 vCPUs, invocations of Measured jobs).
type Profile struct {
	Name string
	// MeasuredJobsPerSec is the worker's end-to-end jobs/s in that table,
	// on MeasuredVCPU vCPUs with invocations of MeasuredBatch jobs.
	MeasuredJobsPerSec float64
	MeasuredBatch      int
	// FixedMs is the part of an invocation that does not grow with its
	// jobs: the batched duplicate lookup and the writes' round trip (two
	// 5 ms calls), and one 20 ms S3 round trip when inputs are in S3.
	FixedMs float64
	// S3Input: the job's input is an S3 object (one GET, and the
	// producer's PUT; the queue message is S3's notification).
	S3Input bool
	// ItemBytes is the DynamoDB item without its output (keys, status,
	// model, timings, input URI).
	ItemBytes int
}

// MeasuredVCPU is the benchmark machine's size (docs/benchmarks.md, "Machine").
const MeasuredVCPU = 2

// Profiles are the three workloads of docs/benchmarks.md's table:
// iris 1000 × 100 → 965 jobs/s, ocr 100 × 10 → 35.6 jobs/s, mixed 1100 ×
// 100 → 280 jobs/s.
var Profiles = map[string]Profile{
	"iris":  {Name: "iris", MeasuredJobsPerSec: 965, MeasuredBatch: 100, FixedMs: 10, ItemBytes: 300},
	"ocr":   {Name: "ocr", MeasuredJobsPerSec: 35.6, MeasuredBatch: 10, FixedMs: 30, S3Input: true, ItemBytes: 350},
	"mixed": {Name: "mixed", MeasuredJobsPerSec: 280, MeasuredBatch: 100, FixedMs: 30, ItemBytes: 310},
}

// PerJobMs is the measured time one more job adds to an invocation on
// the benchmark machine: the invocation's measured duration less its fixed
// part, spread over its jobs.
func (p Profile) PerJobMs() float64 {
	inv := float64(p.MeasuredBatch) / p.MeasuredJobsPerSec * 1000
	return (inv - p.FixedMs) / float64(p.MeasuredBatch)
}

// RecordRowsPerSec is a record file's rows/s through the worker on the
// benchmark machine (docs/benchmarks.md, "Record files": 100,000 rows,
// 100,991 rows/s).
const RecordRowsPerSec = 100991

// jobMs is the mean time one more job adds to an invocation on the
// benchmark machine, record files (RecordsPerFile rows each) included.
func jobMs(d Deployment, p Profile) float64 {
	file := float64(d.RecordsPerFile) * 1000 / RecordRowsPerSec
	return (1-d.RecordFileShare)*p.PerJobMs() + d.RecordFileShare*file
}

// invocationMs is an invocation of b jobs on a function with vcpu vCPUs.
// The per-job part is scaled by the CPUs as if it were all compute: below
// two vCPUs that overstates it (part of it is waiting on calls), above two
// it understates it.
func invocationMs(d Deployment, p Profile, b, vcpu float64) float64 {
	return p.FixedMs + b*jobMs(d, p)*MeasuredVCPU/vcpu
}

// lookupProfile names the known profiles in its error.
func lookupProfile(name string) (Profile, error) {
	p, ok := Profiles[name]
	if !ok {
		names := make([]string, 0, len(Profiles))
		for n := range Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return Profile{}, fmt.Errorf("unknown mix %q (one of %s)", name, strings.Join(names, ", "))
	}
	return p, nil
}
