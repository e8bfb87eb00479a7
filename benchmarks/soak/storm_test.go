package soak

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/batchinfer/batchinfer/internal/faultproxy"
	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/store"
)

// stormOptions size one soak run.
type stormOptions struct {
	Iris, Images int           // inline iris jobs, OCR line images from the inbox
	KillEvery    time.Duration // a function process is SIGKILLed this often
	FIFO         bool          // a FIFO jobs queue, Groups message groups
	Groups       int
	Instances    int // function instances (default 4)
}

// storm is one running soak: the local system behind a fault proxy.
type storm struct {
	t     testing.TB
	ctx   context.Context
	o     stormOptions
	sys   *local.System
	spec  store.ProvisionSpec
	proxy *faultproxy.Proxy
	logs  []*testenv.Buffer // each instance's output
	kills atomic.Int64
}

// startStorm provisions the run's resources and starts the system: every
// S3 and DynamoDB call of the function goes through a proxy that fails
// 20% of them, half after the call took effect (the answer is lost).
func startStorm(t testing.TB, o stormOptions) *storm {
	t.Helper()
	o.Instances = max(o.Instances, 4)
	ctx := context.Background()
	name := fmt.Sprintf("soak-%d", time.Now().UnixNano()%1e8)
	spec := store.ProvisionSpec{InputBucket: "in-" + name, ResultsBucket: "out-" + name, Queue: "q-" + name,
		DLQ: "dlq-" + name, Table: "t-" + name, MaxReceives: 25, VisibilityTimeout: 10 * time.Second, FIFO: o.FIFO}
	if o.FIFO {
		spec.Queue, spec.DLQ = spec.Queue+".fifo", spec.DLQ+".fifo"
	}
	s := &storm{t: t, ctx: ctx, o: o, spec: spec}
	// Registered first, so it runs last: a storm that failed because an
	// emulator died says so, with the emulator's own last words.
	t.Cleanup(func() {
		if err := emu.Alive(); err != nil {
			t.Errorf("an emulator died during the storm: %v", err)
		}
	})
	s.proxy = faultproxy.StartT(t, emu.SQSURL, faultproxy.Options{
		FailRate: 0.1, FailAfterForward: 0.1, Seed: 12,
		Services: []string{faultproxy.S3, faultproxy.DynamoDB},
		Routes:   map[string]string{faultproxy.S3: emu.S3URL, faultproxy.DynamoDB: emu.DynamoURL},
	})
	env := append(emu.Environ(),
		"AWS_ENDPOINT_URL_S3="+s.proxy.URL(), "AWS_ENDPOINT_URL_DYNAMODB="+s.proxy.URL(),
		// Retries come back within seconds, as the soak's clock runs.
		"BATCHINFER_RETRY_BASE=1s", "BATCHINFER_RETRY_MAX=5s", "BATCHINFER_LOG_LEVEL=info")
	var outs []io.Writer
	for range o.Instances {
		b := &testenv.Buffer{}
		s.logs, outs = append(s.logs, b), append(outs, b)
	}
	sys, err := local.StartSystem(ctx, emu.Config(ctx), local.SystemOptions{
		Resources: spec, RIEPath: testenv.Tool(t, "aws-lambda-rie"), Binary: binary,
		Models: []string{testenv.ModelDir(t, "ppocr-rec"), testenv.ModelDir(t, "iris-rf")}, // S3 inputs run OCR
		ORTLib: testenv.ORTLib(t), FunctionEnv: env, FunctionTimeout: 8 * time.Second,
		BatchSize: batchSize(o), Window: 200 * time.Millisecond, Concurrency: o.Instances,
		FunctionOutputs: outs,
	})
	if err != nil {
		t.Fatalf("start the local system: %v", err)
	}
	s.sys = sys
	t.Cleanup(func() {
		if err := sys.Stop(); err != nil {
			t.Logf("stop: %v", err)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = store.Teardown(cctx, emu.Config(cctx), spec)
	})
	return s
}

func batchSize(o stormOptions) int {
	if o.FIFO {
		return 10
	}
	return 50
}

// killer SIGKILLs a random instance's function process every
// o.KillEvery until ctx ends: RIE starts a new one on a later invoke. It
// kills only a process that has finished its INIT (RIE's INIT REPORT in
// that instance's output since its last kill there): on a loaded machine
// INIT takes seconds, and a kill every second landing in one INIT after
// another would keep an instance from ever serving, however sound the
// worker.
func (s *storm) killer(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	if s.o.KillEvery <= 0 {
		return &wg
	}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(12, 12))
		tick := time.NewTicker(s.o.KillEvery)
		defer tick.Stop()
		inits := make([]int, len(s.sys.RIEs)) // INIT REPORTs seen at the last kill, by instance
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			var ready []int
			for i := range s.sys.RIEs {
				if s.initReports(i) > inits[i] {
					ready = append(ready, i)
				}
			}
			if len(ready) == 0 {
				continue
			}
			i := ready[r.IntN(len(ready))]
			inits[i] = s.initReports(i)
			for _, pid := range s.sys.RIEs[i].HandlerPIDs() {
				if syscall.Kill(pid, syscall.SIGKILL) == nil {
					s.kills.Add(1)
				}
			}
		}
	})
	return &wg
}

// initReports counts the INITs instance i's runtime emulator has reported.
func (s *storm) initReports(i int) int {
	return bytes.Count(s.logs[i].Bytes(), []byte("INIT REPORT"))
}
