package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func limit(t *testing.T, r Result, prefix string) Limit {
	t.Helper()
	for _, l := range r.Limits {
		if strings.HasPrefix(l.Name, prefix) {
			return l
		}
	}
	t.Fatalf("no limit %q in %v", prefix, r.Limits)
	return Limit{}
}

func TestProfileFromMeasurement(t *testing.T) {
	// docs/benchmarks.md: iris, 100 jobs an invocation at 965 jobs/s →
	// 103.63 ms an invocation, 10 ms of it fixed.
	p := Profiles["iris"]
	near(t, "iris per-job ms", p.PerJobMs(), (100.0/965*1000-10)/100)
	d := DefaultDeployment()
	// At two vCPUs (3,538 MiB) the model gives back the measurement.
	d.MemoryMiB = 2 * LambdaMiBPerVCPU
	near(t, "invocation of 100 at 2 vCPU", invocationMs(d, p, 100, d.VCPU()), 100.0/965*1000)
	d.MemoryMiB = LambdaMiBPerVCPU
	near(t, "invocation of 100 at 1 vCPU", invocationMs(d, p, 100, d.VCPU()), 10+2*(100.0/965*1000-10))
	d.MemoryMiB = LambdaMaxMemoryMiB
	near(t, "vCPU at 10 GB", d.VCPU(), 10240.0/1769)
}

func TestWritesCountTheIndex(t *testing.T) {
	p := Profile{ItemBytes: 300}
	cases := []struct {
		name   string
		d      func(*Deployment)
		want   Writes
		reason string
	}{
		{"old index, small output", func(d *Deployment) { d.OutputBytes, d.StatusShards = 200, 0 },
			Writes{Table: 1, Index: 1, IndexHotKey: 1, Reads: 1}, "500 B item: 1 WRU in the table, a copy of 1 WRU in the index"},
		{"old index, 3 KB inline output", func(d *Deployment) { d.OutputBytes, d.StatusShards = 3000, 0 },
			Writes{Table: 4, Index: 4, IndexHotKey: 4, Reads: 1}, "3,300 B: 4 WRU twice (projection ALL)"},
		{"sharded index, 3 KB inline output", func(d *Deployment) { d.OutputBytes = 3000; d.StatusShards = 16 },
			Writes{Table: 4, Index: 1, IndexHotKey: 1, Reads: 1}, "the index entry is small whatever the output"},
		{"both indexes while moving, 3 KB output", func(d *Deployment) { d.OutputBytes = 3000; d.LegacyStatusIndex = true },
			Writes{Table: 4, Index: 1, IndexHotKey: 1, Reads: 1, Legacy: 4, LegacyHotKey: 4}, "every write lands in both indexes"},
		{"old index, record files", func(d *Deployment) {
			d.OutputBytes, d.RecordFileShare, d.RecordsPerFile, d.StatusShards = 100, 1, 100000, 0
		},
			// 10 MB of output: 2 parts. Table: claim 1 + 2 progress + completion 1.
			// Index: claim put 1 + 2 × (delete + put) + completion delete + put.
			Writes{Table: 4, Index: 1 + 4 + 2, IndexHotKey: 1, Reads: 2}, "status and updated_at changes are a delete and a put"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := DefaultDeployment()
			tc.d(&d)
			if got := writesPerJob(d, p); got != tc.want {
				t.Errorf("%+v, want %+v (%s)", got, tc.want, tc.reason)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	p := Profiles["iris"]
	d := DefaultDeployment()
	if f := Evaluate(d, p, 10000).First(); !strings.HasPrefix(f.Name, "event source maxConcurrency") {
		t.Errorf("the stack as it ships: first limit %+v, want maxConcurrency now the index is sharded", f)
	}
	d.StatusShards = 0
	r := Evaluate(d, p, 10000)
	// The paper limit: the old index's SUCCEEDED key takes 1,000 WCU.
	if f := r.First(); !strings.HasPrefix(f.Name, "status index partition") || f.JobsPerSec != 1000 {
		t.Errorf("first limit %+v, want the status index at 1,000 jobs/s", f)
	}
	near(t, "backlog growth", r.BacklogPerSec, 9000)
	if !math.IsInf(r.ResultSeconds, 1) {
		t.Errorf("time to result %v with a growing backlog, want +Inf", r.ResultSeconds)
	}
	inv := invocationMs(d, p, 100, 1) / 1000
	near(t, "maxConcurrency ceiling", limit(t, r, "event source maxConcurrency").JobsPerSec, 10*100/inv)
	near(t, "in-flight ceiling", limit(t, r, "SQS in-flight").JobsPerSec, 120000/inv)

	d.StatusShards, d.MaxConcurrency = 32, 1000
	r = Evaluate(d, p, 100000)
	near(t, "sharded index", limit(t, r, "status index partitions").JobsPerSec, 32000)
	near(t, "table writes", limit(t, r, "table on-demand writes").JobsPerSec, 40000)
	if f := r.First(); !strings.HasPrefix(f.Name, "SNS Publish") {
		t.Errorf("first limit %+v, want SNS's 30,000/s once the index is sharded and concurrency raised", f)
	}
	d.Notify = "eventbridge"
	if f := Evaluate(d, p, 100000).First(); f.JobsPerSec != 10000 {
		t.Errorf("first limit %+v, want EventBridge's 10,000 one-entry PutEvents/s", f)
	}
}

func TestProvisionedAndFIFO(t *testing.T) {
	p := Profiles["ocr"]
	d := DefaultDeployment()
	d.ESMMinPollers, d.ESMMaxPollers, d.StatusShards = 2, 50, 16
	r := Evaluate(d, p, 10000)
	near(t, "pollers × 10 invocations", limit(t, r, "provisioned pollers × 10 invocations").JobsPerSec,
		500*d.batch()/fullInvocationS(d, p))
	near(t, "pollers' receives", limit(t, r, "provisioned pollers × 10 receives").JobsPerSec, 50*10*10)
	for _, l := range r.Limits {
		if strings.HasPrefix(l.Name, "event source ceiling, default mode") || strings.HasPrefix(l.Name, "event source maxConcurrency") {
			t.Errorf("provisioned mode still has a default-mode limit: %+v", l)
		}
	}
	d = DefaultDeployment()
	d.FIFO, d.BatchSize, d.MaxBatchingWindowSeconds = true, 10, 0
	r = Evaluate(d, p, 100)
	near(t, "FIFO in-flight", limit(t, r, "SQS in-flight messages, FIFO").JobsPerSec, 20000/fullInvocationS(d, p))
}

func TestRamps(t *testing.T) {
	// A new on-demand table: 4,000 WRU, then 8,000 after 30 min, 16,000
	// after 60: 10,000 jobs/s at 1 WRU waits two doublings; the jobs it
	// cannot write meanwhile are (10,000 − 4,000) + (10,000 − 8,000) per
	// second for 30 min each.
	name, m, backlog := tableRamp("t", 10000, 1, OnDemandNewTableWRU)
	if name != "t" || m != 60 {
		t.Errorf("table ramp %s %v min, want 60", name, m)
	}
	near(t, "table ramp backlog", backlog, (6000+2000)*1800)
	if _, m, _ := tableRamp("t", 10000, 1, 10000); m != 0 {
		t.Errorf("a table pre-warmed to 10,000 WRU ramps %v min for 10,000 jobs/s, want 0", m)
	}
	// Default-mode event source: from 5 to 505 concurrent at 300 a minute.
	d := DefaultDeployment()
	p := Profiles["iris"]
	per := d.batch() / fullInvocationS(d, p)
	_, m, backlog = esmRamp(d, p, 505*per)
	near(t, "esm ramp minutes", m, 500.0/300)
	near(t, "esm ramp backlog", backlog, 0.5*500*per*m*60)
	d.Poller, d.PollerMinTasks = "fargate", 0
	_, m, backlog = ecsRamp(d, p, 1000)
	near(t, "ecs ramp", m, 4)
	near(t, "ecs ramp backlog from zero", backlog, 1000*240)
}

func TestCostCountsEveryRequest(t *testing.T) {
	d := DefaultDeployment()
	p := Profiles["iris"]
	c := Evaluate(d, p, 1000).Cost
	// 1M inline jobs: sends in tens (0.1M), receives and deletes in tens
	// (0.2M) at $0.40/M; 1 WRU table + 1 WRU index at $0.625/M; 1 RRU at
	// $0.125/M; SNS $0.50/M.
	near(t, "SQS", c.SQS, 0.3*0.40)
	near(t, "DynamoDB", c.DynamoDB, 2*0.625+0.125)
	near(t, "index share", c.IndexShare, 0.625)
	near(t, "notify", c.Notify, 0.50)
	near(t, "S3", c.S3, 0)
	d.LegacyStatusIndex = true
	near(t, "index share while moving", Evaluate(d, p, 1000).Cost.IndexShare, 2*0.625)
	d.LegacyStatusIndex = false
	inv := invocationMs(d, p, 100, 1) / 1000
	near(t, "Lambda", c.Compute, 1e4*(inv*1769.0/1024*0.0000166667+0.20/1e6))
	sum := c.Compute + c.SQS + c.DynamoDB + c.S3 + c.Producers + c.Notify + c.Logs
	near(t, "total", c.Total, sum)
}

func TestReadContext(t *testing.T) {
	dir := t.TempDir()
	cdk := filepath.Join(dir, "cdk.json")
	if err := os.WriteFile(cdk, []byte(`{"app":"go run .","context":{"batchSize":50,"variant":"zip","memoryMiB":3538}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ReadContext(DefaultDeployment(), cdk, `{"poller":"fargate","pollerMaxTasks":20,"esmMinPollers":2}`,
		map[string]string{"memoryMiB": "7076", "fifo": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if d.BatchSize != 50 || d.MemoryMiB != 7076 || d.Poller != "fargate" || d.PollerMaxTasks != 20 || d.ESMMinPollers != 2 || !d.FIFO {
		t.Errorf("context read as %+v", d)
	}
	if _, err := ReadContext(DefaultDeployment(), "", "", map[string]string{"batchSize": "lots"}); err == nil || !strings.Contains(err.Error(), `"batchSize"`) {
		t.Errorf("a bad number: err %v, want one naming the key", err)
	}
}

func TestRunPrintsEveryRate(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-cdk-json", "", "-mix", "mixed", "-rates", "100,1000,10000,100000"}, "", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 100 |", "| 1,000 |", "| 10,000 |", "| 100,000 |", "| limit | jobs/s | what it needs |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run([]string{"-cdk-json", "", "-mix", "video"}, "", &out); err == nil || !strings.Contains(err.Error(), "iris, mixed, ocr") {
		t.Errorf("unknown mix: %v", err)
	}
}
