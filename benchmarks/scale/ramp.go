package main

import "math"

// slowestRamp is the slowest scale-up on the way to target jobs/s (the
// sustainable part of the offered rate): its name, its minutes and the
// jobs that queue up while it runs.
func slowestRamp(d Deployment, p Profile, w Writes, target, offered float64) (string, float64, float64) {
	name, minutes, backlog := "none", 0.0, 0.0
	consider := func(n string, m, b float64) {
		if m > minutes {
			name, minutes, backlog = n, m, b
		}
	}
	if d.OnECS() {
		consider(ecsRamp(d, p, target))
	} else {
		consider(esmRamp(d, p, target))
	}
	warm := math.Max(OnDemandNewTableWRU, d.WarmWritesPerSecond)
	consider(tableRamp("table on-demand warm-up (×2 per 30 min)", target, w.Table, warm))
	consider(tableRamp("index on-demand warm-up (×2 per 30 min)", target, w.Index, warm))
	return name, minutes, backlog
}

// esmRamp: the event source adds concurrency linearly (300 a minute in
// default mode from 5, 1,000 a minute in provisioned mode from 10 per
// minimum poller); the jobs it cannot yet take queue up.
func esmRamp(d Deployment, p Profile, target float64) (string, float64, float64) {
	perConcurrent := d.batch() / fullInvocationS(d, p)
	start, perMin, name := float64(ESMStandardStart), float64(ESMStandardRampPerMin), "event source scale-up (+300/min)"
	if d.Provisioned() {
		start = float64(max(d.ESMMinPollers, 2) * ESMPollerInvocations)
		perMin, name = ESMProvisionedRampPerMin, "event source scale-up, provisioned (+1,000/min)"
	}
	need := target / perConcurrent
	if need <= start {
		return name, 0, 0
	}
	minutes := (need - start) / perMin
	// capacity grows linearly from start to need: the deficit is a triangle
	return name, minutes, 0.5 * (target - start*perConcurrent) * minutes * 60
}

// ecsRamp: target tracking notices the backlog within its alarm's three
// one-minute periods and asks for the tasks it needs at once; they start in
// about a minute. Until then only the minimum tasks work.
func ecsRamp(d Deployment, p Profile, target float64) (string, float64, float64) {
	have := float64(d.PollerMinTasks) * taskJobsPerSec(d, p)
	if have >= target {
		return "ECS scale-out", 0, 0
	}
	seconds := float64(TargetTrackingReactSecond + FargateTaskStartSeconds)
	return "ECS scale-out (target tracking + task start)", seconds / 60, (target - have) * seconds
}

// tableRamp: a new on-demand table (or index) serves 4,000 write units a
// second (more when pre-warmed: warm) and doubles its ceiling at most
// every 30 minutes of use.
func tableRamp(name string, target, unitsPerJob, warm float64) (string, float64, float64) {
	need := target * unitsPerJob
	ceiling, minutes, backlog := warm, 0.0, 0.0
	for ceiling < need {
		backlog += (need - ceiling) / unitsPerJob * OnDemandDoublingMinute * 60
		ceiling *= 2
		minutes += OnDemandDoublingMinute
	}
	return name, minutes, backlog
}

// resultSeconds is a typical job's wait for its batch (half the fill time:
// the batching window, or the time the batch takes to fill at this rate)
// plus the invocation that runs it.
func resultSeconds(d Deployment, p Profile, rate float64) float64 {
	b, cpu := effectiveBatch(d, rate), d.VCPU()
	fill := math.Min(d.MaxBatchingWindowSeconds, d.batch()/rate)
	if d.OnECS() {
		cpu = d.PollerCPU
		fill = math.Min(1, d.batch()/rate) // BATCHINFER_POLL_WINDOW, 1 s by default
	}
	return fill/2 + invocationMs(d, p, b, cpu)/1000
}

// effectiveBatch is the mean batch at this rate: a batch closes when it is
// full or its window has passed (modelled as one batch per window across
// the whole deployment, which flatters low rates).
func effectiveBatch(d Deployment, rate float64) float64 {
	if d.FIFO || d.MaxBatchingWindowSeconds == 0 {
		return math.Min(d.batch(), math.Max(1, rate*0.02)) // no window: what one receive finds
	}
	return math.Min(d.batch(), math.Max(1, rate*d.MaxBatchingWindowSeconds))
}
