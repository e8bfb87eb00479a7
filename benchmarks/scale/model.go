package main

import (
	"math"
	"sort"

	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// Limit is one ceiling on sustained jobs/s and what lifts it.
type Limit struct {
	Name       string
	JobsPerSec float64
	Needs      string // what it takes to go past it
}

// Result is the model's answer for one load.
type Result struct {
	Rate     float64 // offered jobs/s
	Limits   []Limit // every ceiling, lowest first
	Capacity float64 // the lowest ceiling: sustained jobs/s
	// BacklogPerSec is how fast the queue grows once every ramp is done
	// (0 when the deployment keeps up).
	BacklogPerSec float64
	// RampMinutes and RampBacklog: the slowest scale-up (event source,
	// on-demand table, ECS service) to this rate, and the jobs queued
	// while it ran.
	RampName    string
	RampMinutes float64
	RampBacklog float64
	// ResultSeconds is a typical job's time from send to result while
	// the deployment keeps up (+Inf when it does not).
	ResultSeconds float64
	Cost          Cost // per million jobs
}

// First is the lowest ceiling.
func (r Result) First() Limit { return r.Limits[0] }

// Evaluate runs the model for one offered rate.
func Evaluate(d Deployment, p Profile, rate float64) Result {
	r := Result{Rate: rate}
	w := writesPerJob(d, p)
	r.Limits = append(computeLimits(d, p), dataLimits(d, p, w)...)
	sort.SliceStable(r.Limits, func(i, j int) bool { return r.Limits[i].JobsPerSec < r.Limits[j].JobsPerSec })
	r.Capacity = r.Limits[0].JobsPerSec
	r.BacklogPerSec = math.Max(0, rate-r.Capacity)
	r.RampName, r.RampMinutes, r.RampBacklog = slowestRamp(d, p, w, math.Min(rate, r.Capacity), rate)
	r.ResultSeconds = math.Inf(1)
	if r.BacklogPerSec == 0 {
		r.ResultSeconds = resultSeconds(d, p, rate)
	}
	r.Cost = costPerMillion(d, p, w, rate)
	return r
}

// batch is the event source's batch: a FIFO queue's is at most 10.
func (d Deployment) batch() float64 {
	if d.FIFO {
		return math.Min(float64(d.BatchSize), 10)
	}
	return float64(d.BatchSize)
}

// fullInvocationS is a full batch's invocation in seconds.
func fullInvocationS(d Deployment, p Profile) float64 {
	return invocationMs(d, p, d.batch(), d.VCPU()) / 1000
}

// taskJobsPerSec is one ECS task's rate: batches of batchSize (the stack
// passes it as BATCHINFER_POLL_BATCH_SIZE) at the task's vCPUs.
func taskJobsPerSec(d Deployment, p Profile) float64 {
	return d.batch() / (invocationMs(d, p, d.batch(), d.PollerCPU) / 1000)
}

// computeLimits are the ceilings of whatever runs the jobs.
func computeLimits(d Deployment, p Profile) []Limit {
	if d.OnECS() {
		return []Limit{{
			Name:       "ECS service: pollerMaxTasks × one task's rate",
			JobsPerSec: float64(d.PollerMaxTasks) * taskJobsPerSec(d, p),
			Needs:      "raise pollerMaxTasks (and the account's Fargate vCPU quota or the EC2 group's size), or bigger tasks (pollerCpu)",
		}}
	}
	perConcurrent := d.batch() / fullInvocationS(d, p)
	conc := func(name string, n float64, needs string) Limit {
		return Limit{Name: name, JobsPerSec: n * perConcurrent, Needs: needs}
	}
	ls := []Limit{conc("Lambda account concurrency (1,000)", AccountConcurrency, "a Service Quotas increase of concurrent executions")}
	if !d.Provisioned() { // provisioned mode takes no maximum concurrency: its pollers cap it
		ls = append(ls, conc("event source maxConcurrency", float64(d.MaxConcurrency), "raise context maxConcurrency (≤ 1,000)"))
	}
	if d.ReservedConcurrency > 0 {
		ls = append(ls, conc("reservedConcurrency", float64(d.ReservedConcurrency), "raise context reservedConcurrency"))
	}
	if d.Provisioned() {
		maxP := float64(d.maxPollers())
		ls = append(ls, conc("provisioned pollers × 10 invocations", math.Min(maxP*ESMPollerInvocations, ESMProvisionedCeiling),
			"raise esmMaxPollers (≤ 2,000; 20,000 concurrent at most)"))
		ls = append(ls, Limit{Name: "provisioned pollers × 10 receives/s × 10 messages", JobsPerSec: maxP * ESMPollerCallsPerSecond * SQSReceiveMaxMessages,
			Needs: "raise esmMaxPollers"})
	} else {
		ls = append(ls, conc("event source ceiling, default mode (1,250)", ESMStandardCeiling,
			"provisioned mode (esmMinPollers/esmMaxPollers) or the ECS poller (poller: fargate|ec2)"))
	}
	inflight, name := float64(SQSInFlightStandard), "SQS in-flight messages (120,000)"
	if d.FIFO {
		inflight, name = SQSInFlightFIFO, "SQS in-flight messages, FIFO (20,000)"
	}
	// Little's law: every message of a running invocation is in flight for
	// its whole duration.
	ls = append(ls, Limit{Name: name, JobsPerSec: inflight / fullInvocationS(d, p),
		Needs: "shorter invocations (smaller batchSize, more memory) or a second queue"})
	return ls
}

func (d Deployment) maxPollers() int {
	if d.ESMMaxPollers > 0 {
		return d.ESMMaxPollers
	}
	return 200 // the ProvisionedPollerConfig default
}

// dataLimits are the ceilings of the table, the buckets and the
// notifications, shared by both ways of running jobs.
func dataLimits(d Deployment, p Profile, w Writes) []Limit {
	var ls []Limit
	add := func(name string, quota, perJob float64, needs string) {
		if perJob > 0 {
			ls = append(ls, Limit{Name: name, JobsPerSec: quota / perJob, Needs: needs})
		}
	}
	if d.StatusShards == 0 {
		add("status index partition (status = SUCCEEDED, 1,000 WCU)", PartitionWCU, w.IndexHotKey,
			"the write-sharded status index (statusShards)")
	} else {
		add("status index partitions (statusShards × 1,000 WCU)", float64(d.StatusShards)*PartitionWCU, w.IndexHotKey,
			"more statusShards")
	}
	if d.LegacyStatusIndex && d.StatusShards > 0 {
		add("legacy status index partition (status = SUCCEEDED, 1,000 WCU)", PartitionWCU, w.LegacyHotKey,
			"finish the move: deploy without legacyStatusIndex")
	}
	add("table on-demand writes (40,000 WRU/s)", TableOnDemandMaxWRU, w.Table, "a Service Quotas increase of the table's on-demand throughput")
	add("status index on-demand writes (40,000 WRU/s)", TableOnDemandMaxWRU, w.Index, "a Service Quotas increase, or a smaller index projection")
	add("table on-demand reads (40,000 RRU/s)", TableOnDemandMaxRRU, w.Reads, "a Service Quotas increase")
	s3in := s3InputShare(d, p)
	add("inbox GET per prefix (5,500/s)", S3GetPerPrefix, s3in, "spread inputs over prefixes (S3 partitions a busy prefix gradually, 503 Slow Down meanwhile)")
	add("inbox PUT per prefix (3,500/s, producers)", S3PutPerPrefix, s3in, "producers spread keys over prefixes")
	add("results PUT per prefix (3,500/s)", S3PutPerPrefix, resultsPuts(d), "outputs ≤ 4 KB stay inline; else key prefixes spread")
	switch d.Notify {
	case "sns":
		add("SNS Publish (30,000/s, us-east-1)", SNSPublishPerSecond, 1, "a Service Quotas increase, or notifications off")
	case "eventbridge":
		add("EventBridge PutEvents (10,000 requests/s, one entry each)", EventBridgePutEventsPerSec, 1.0/EventBridgeEntriesPerCall,
			"batch entries (10 per PutEvents) or a quota increase")
	}
	return ls
}

// s3InputShare is the share of jobs whose input is an S3 object.
func s3InputShare(d Deployment, p Profile) float64 {
	if p.S3Input {
		return 1
	}
	return d.RecordFileShare
}

// resultsPuts is PUT-class calls to the results bucket per job: a full
// output over the inline limit, and a record file's multipart upload
// (create, one part per 8 MiB, complete).
func resultsPuts(d Deployment) float64 {
	single := 0.0
	if d.OutputBytes > store.MaxInlineOutputBytes {
		single = 1
	}
	parts := math.Ceil(float64(d.RecordsPerFile*d.OutputBytes) / recordPartBytes)
	return (1-d.RecordFileShare)*single + d.RecordFileShare*(2+parts)
}

// recordPartBytes is the part size the worker writes a record file's
// output in, by default.
var recordPartBytes = float64(settings.From(func(string) string { return "" }).Int(settings.RecordPartBytes, 0))
