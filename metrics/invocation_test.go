package metrics

import (
	"bytes"
	"math"
	"sync"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func testOptions(mode string) Options {
	return Options{Function: "batchinfer-fn", Mode: mode, Now: func() time.Time { return fixedNow },
		MemoryMB: 2048, Arch: ArchARM64, VCPU: 1, Share: 1}
}

// flushed flushes inv, checks every document against the spec and reads
// them back.
func flushed(t *testing.T, inv *Invocation, d time.Duration) []Doc {
	t.Helper()
	var buf bytes.Buffer
	if err := inv.Flush(&buf, d); err != nil {
		t.Fatal(err)
	}
	conforms(t, buf.Bytes())
	docs, err := Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

func TestFlushWritesOneDocumentPerDimensionSet(t *testing.T) {
	inv := NewInvocation(testOptions(ModeLambda))
	for range 3 {
		inv.Job("iris-rf", Succeeded)
	}
	inv.Job("ppocr-rec", Succeeded)
	inv.Job("ppocr-rec", Failed)
	inv.Job("", Failed) // a malformed job has no model
	inv.Job("iris-rf", Retried)
	inv.Job("iris-rf", Skipped)
	inv.Error("undecodable_image")
	inv.Error("malformed_job")
	inv.Retry("throttled")
	inv.Retry("throttled")
	inv.Records("iris-rf", 40)
	inv.Batch("iris-rf", 43, 64, 0)
	inv.Batch("ppocr-rec", 2, 32, 0.25)
	inv.QueueAge(120)
	inv.QueueAge(80)
	inv.Phase(PhaseFetch, 10*time.Millisecond)
	inv.Phase(PhaseInfer, 30*time.Millisecond)
	inv.Phase(PhaseInfer, 5*time.Millisecond)
	inv.Phase(PhaseStore, 15*time.Millisecond)
	inv.Requests(Requests{SQS: 2, DynamoDBReadUnits: 4.5, DynamoDBWriteUnits: 8, S3Get: 3, S3Put: 1})
	docs := flushed(t, inv, 99500*time.Microsecond)

	want := []struct {
		scope Scope
		dim   string
	}{{ScopeFunction, ""}, {ScopeModel, "iris-rf"}, {ScopeModel, "ppocr-rec"}, {ScopeError, "malformed_job"}, {ScopeError, "throttled"}, {ScopeError, "undecodable_image"}}
	if len(docs) != len(want) {
		t.Fatalf("got %d documents, want %d", len(docs), len(want))
	}
	for i, w := range want {
		d := docs[i]
		if d.Scope() != w.scope || d.Dimensions[DimFunction] != "batchinfer-fn" || d.Namespace != DefaultNamespace || !d.Timestamp.Equal(fixedNow) {
			t.Fatalf("document %d: scope %v dims %v ns %q ts %v", i, d.Scope(), d.Dimensions, d.Namespace, d.Timestamp)
		}
		if w.dim != "" && d.Dimensions[DimModel]+d.Dimensions[DimErrorCode] != w.dim {
			t.Fatalf("document %d is on %v, want %s", i, d.Dimensions, w.dim)
		}
	}
	checkFunctionDocument(t, docs[0])
	if iris := docs[1]; iris.Sum("JobsSucceeded") != 3 || iris.Sum("Records") != 40 || iris.Sum("BatchSize") != 43 {
		t.Errorf("iris-rf document: %v", iris.Values)
	}
	if e := docs[5]; e.Sum("Errors") != 1 || len(e.Values) != 1 {
		t.Errorf("error document: %v", e.Values)
	}
	if r := docs[4]; r.Sum("Retries") != 2 || len(r.Values) != 1 || r.Units["Retries"] != "Count" {
		t.Errorf("retry document: %v", r.Values)
	}
}

// checkFunctionDocument checks the figures TestFlushWritesOneDocumentPerDimensionSet recorded.
func checkFunctionDocument(t *testing.T, fn Doc) {
	t.Helper()
	sums := map[string]float64{
		"JobsSucceeded": 4, "JobsFailed": 2, "JobsRetried": 1, "JobsSkipped": 1, "Records": 40,
		"BatchSize": 45, "QueueAgeMs": 200, "FetchMs": 10, "InferMs": 35, "StoreMs": 15,
		"InvocationMs": 99.5, "ColdStart": 0,
		// 2 GB x 100 ms billed (99.5 rounded up)
		"GBSeconds": 0.2,
		// 2 x 0.4e-6 + 4.5 x 0.125e-6 + 8 x 0.625e-6 + 3 x 0.4e-6 + 1 x 5e-6
		"RequestCostUSD": 0.0000125625,
		// 0.2 x 0.0000133334 + 0.2e-6 + the requests
		"EstimatedCostUSD": 0.00001542918,
		// over 45 inferences, per 1000
		"CostPer1kInferencesUSD": 0.00001542918 / 45 * 1000,
	}
	for name, v := range sums {
		if got := fn.Sum(name); !near(got, v) {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if got := fn.Values["BatchFill"]; len(got) != 2 || !near(got[0], 100*43.0/64) || got[1] != 6.25 {
		t.Errorf("BatchFill %v", got)
	}
	if got := fn.Values["PaddingWaste"]; len(got) != 2 || got[0] != 0 || got[1] != 25 {
		t.Errorf("PaddingWaste %v", got)
	}
	units := map[string]string{"JobsFailed": "Count", "BatchFill": "Percent", "InferMs": "Milliseconds", "GBSeconds": "None"}
	for name, u := range units {
		if fn.Units[name] != u {
			t.Errorf("%s unit %q, want %q", name, fn.Units[name], u)
		}
	}
	if fn.Props[DimMode] != ModeLambda || fn.Props["arch"] != ArchARM64 {
		t.Errorf("properties %v", fn.Props)
	}
}

func TestFlushSplitsValuesArraysAt100(t *testing.T) {
	inv := NewInvocation(testOptions(ModeLambda))
	for i := range 250 {
		inv.Job("iris-rf", Succeeded)
		inv.Batch("iris-rf", 1+i%8, 8, 0)
		inv.QueueAge(float64(i))
	}
	docs := flushed(t, inv, time.Second)
	var fnDocs, modelDocs int
	var rows, ages, jobs float64
	for _, d := range docs {
		for name, vs := range d.Values {
			if len(vs) > MaxValues {
				t.Fatalf("%s has %d values", name, len(vs))
			}
		}
		switch d.Scope() {
		case ScopeFunction:
			fnDocs++
			rows += d.Sum("BatchSize")
			ages += d.Sum("QueueAgeMs")
			jobs += d.Sum("JobsSucceeded")
		case ScopeModel:
			modelDocs++
		}
	}
	// 250 values: 100 + 100 + 50, so three documents per set.
	if fnDocs != 3 || modelDocs != 3 {
		t.Fatalf("%d function and %d model documents, want 3 and 3", fnDocs, modelDocs)
	}
	wantRows := 0.0
	for i := range 250 {
		wantRows += float64(1 + i%8)
	}
	if rows != wantRows || ages != 249*250/2 || jobs != 250 {
		t.Fatalf("rows %v (want %v), ages %v, jobs %v: a counter was lost or written twice", rows, wantRows, ages, jobs)
	}
	if s := Summarize(docs, ""); s.Invocations != 1 {
		t.Fatalf("the continuation documents count as %d invocations", s.Invocations)
	}
}

func TestColdStartIsBilledItsInit(t *testing.T) {
	cases := []struct {
		name     string
		cold     bool
		wantGBs  float64
		wantCold float64
	}{
		// 1 GB: warm 250 ms; cold 250 + 100 + 40.5 + 9.2 = 399.7 → 400 ms.
		{"warm", false, 0.25, 0},
		{"cold", true, 0.4, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := testOptions(ModeLambda)
			o.MemoryMB = 1024
			inv := NewInvocation(o)
			if c.cold {
				inv.ColdStart(100*time.Millisecond, 40500*time.Microsecond, 9200*time.Microsecond)
			}
			fn := flushed(t, inv, 250*time.Millisecond)[0]
			if !near(fn.Sum("GBSeconds"), c.wantGBs) || fn.Sum("ColdStart") != c.wantCold {
				t.Fatalf("GBSeconds %v ColdStart %v", fn.Sum("GBSeconds"), fn.Sum("ColdStart"))
			}
			if c.cold && (!near(fn.Sum("InitMs"), 149.7) || fn.Sum("OrtInitMs") != 100 || fn.Sum("ModelFetchMs") != 40.5 || !near(fn.Sum("SessionCreateMs"), 9.2)) {
				t.Fatalf("init breakdown %v", fn.Values)
			}
			for _, name := range []string{"JobsSucceeded", "JobsFailed", "JobsRetried", "JobsSkipped"} {
				if v, has := fn.Values[name]; !has || len(v) != 1 || v[0] != 0 {
					t.Fatalf("%s not written as 0 on a job-less invocation: %v", name, v)
				}
			}
			if _, has := fn.Values["CostPer1kInferencesUSD"]; has {
				t.Fatal("cost per 1k inferences written without inferences")
			}
		})
	}
}

func TestPollModeIsOnItsOwnDimensionAndContainerPrices(t *testing.T) {
	o := testOptions(ModePoll)
	o.Arch, o.VCPU, o.MemoryMB, o.Share = ArchX86_64, 2, 4096, 2
	inv := NewInvocation(o)
	inv.Job("iris-rf", Succeeded)
	inv.Error("throttled")
	inv.Batch("iris-rf", 10, 10, 0)
	docs := flushed(t, inv, 10*time.Second)
	for _, d := range docs {
		if d.Dimensions[DimMode] != ModePoll {
			t.Fatalf("document on %v has no mode=poll", d.Dimensions)
		}
	}
	// Two batches share the container: 5 s of 2 vCPU and 4 GB at x86 Fargate rates.
	want := 5.0/3600*(2*0.04048+4*0.004445) + 0
	if got := docs[0].Sum("EstimatedCostUSD"); !near(got, want) {
		t.Fatalf("EstimatedCostUSD %v, want %v", got, want)
	}
	if got := docs[0].Sum("GBSeconds"); got != 20 {
		t.Fatalf("GBSeconds %v, want 20", got)
	}
}

func TestDisabledOrNilWritesNothing(t *testing.T) {
	o := testOptions(ModeLambda)
	o.Disabled = true
	for name, inv := range map[string]*Invocation{"disabled": NewInvocation(o), "nil": nil} {
		inv.Job("m", Succeeded)
		inv.Error("x")
		inv.Batch("m", 1, 1, 0)
		inv.ColdStart(time.Second, 0, 0)
		var buf bytes.Buffer
		if err := inv.Flush(&buf, time.Second); err != nil || buf.Len() != 0 {
			t.Fatalf("%s: wrote %q, %v", name, buf.String(), err)
		}
	}
}

func TestConcurrentRecordingAndOneFlush(t *testing.T) {
	inv := NewInvocation(testOptions(ModeLambda))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				inv.Job("m", Succeeded)
				inv.Phase(PhaseFetch, time.Millisecond)
			}
		})
	}
	wg.Wait()
	fn := flushed(t, inv, time.Second)[0]
	if fn.Sum("JobsSucceeded") != 800 || fn.Sum("FetchMs") != 800 {
		t.Fatalf("JobsSucceeded %v FetchMs %v", fn.Sum("JobsSucceeded"), fn.Sum("FetchMs"))
	}
	var again bytes.Buffer
	if err := inv.Flush(&again, time.Second); err != nil || again.Len() != 0 {
		t.Fatalf("a second Flush wrote %q", again.String())
	}
}
