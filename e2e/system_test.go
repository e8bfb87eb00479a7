package e2e

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/internal/testenv"
	"github.com/batchinfer/batchinfer/internal/textmodels"
	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/store"
)

// invokeFunc is how the ESM calls the function.
type invokeFunc = func(ctx context.Context, payload []byte) ([]byte, error)

// sysOptions shapes one test's system. Zero values are the defaults noted.
type sysOptions struct {
	// Models are folder names under .cache/models, the first the default
	// (default: ppocr-rec, iris-rf, so S3 notifications run OCR).
	Models []string
	// ModelDirs are more model folders, by path (a YOLO export's folder
	// that has no manifest).
	ModelDirs []string
	// Env is added to the worker's environment after everything else, so it
	// may override AWS_ENDPOINT_URL_* (fault proxies) or add
	// BATCHINFER_MAX_INPUT_BYTES.
	Env []string
	// Timeout is the function timeout (default 60 s); the claim's lease is
	// the invocation's remaining time, so it bounds how long a job whose
	// worker vanished stays blocked.
	Timeout time.Duration
	// Visibility is the jobs queue's visibility timeout (default Timeout +
	// 10 s: Lambda wants it at least the function timeout).
	Visibility time.Duration
	// MaxReceives is the redrive maxReceiveCount and BATCHINFER_MAX_RECEIVES
	// (default 5).
	MaxReceives int
	// BatchSize and Window are the ESM's (defaults 100 and 300 ms).
	BatchSize int
	Window    time.Duration
	// Concurrency is the function instances, each under its own RIE, and
	// the batches the ESM keeps in flight (default 1).
	Concurrency int
	// Duplicate delivers every event to two instances at once (this one
	// and the next; at least two run), as SQS does when two pollers get
	// one message.
	Duplicate bool
	// Binary is the function's binary (default: the release build).
	Binary string
	// NoFunction provisions the resources only: the test runs the worker
	// itself (the poll mode).
	NoFunction bool
	// ModelsFromS3 uploads the model folders to the results bucket under
	// models/NAME/ and points BATCHINFER_MODELS at those s3:// prefixes.
	ModelsFromS3 bool
	// FolderModels are model folders (name → files by path, subfolders
	// included) uploaded under models/NAME/ and served from those s3://
	// prefixes after Models: folders as exporters write them.
	FolderModels map[string]map[string][]byte
}

// system is one running batchinfer deployment: its own resources, the real
// binary under RIE, and an ESM feeding it.
type system struct {
	t       *testing.T
	ctx     context.Context
	opts    sysOptions
	spec    store.ProvisionSpec
	prov    store.Provisioned
	s3      *s3.Client
	sqs     *sqs.Client
	results *store.Results
	rie     *local.RIE      // the first instance
	ries    []*local.RIE    // every instance
	logs    *testenv.Buffer // everything the first RIE, its function and the ESM printed
	// modelCache is the function's BATCHINFER_MODEL_CACHE.
	modelCache string
	moreLogs   []*testenv.Buffer // the other instances' output, one buffer each (lines stay whole)
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// resourceName turns the test name into a short, unique, valid bucket,
// queue and table name part.
func resourceName(t *testing.T) string {
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 30 {
		name = strings.Trim(name[len(name)-30:], "-")
	}
	return name + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
}

// newSystem provisions the test's resources, starts the binary under RIE
// and the ESM, and stops all of it (and deletes the resources) when the
// test ends.
func newSystem(t *testing.T, o sysOptions) *system {
	t.Helper()
	if len(o.Models) == 0 {
		o.Models = []string{"ppocr-rec", "iris-rf"}
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Visibility == 0 {
		o.Visibility = o.Timeout + 10*time.Second
	}
	if o.MaxReceives == 0 {
		o.MaxReceives = 5
	}
	if o.BatchSize == 0 {
		o.BatchSize = 100
	}
	if o.Window == 0 {
		o.Window = 300 * time.Millisecond
	}
	ctx := context.Background()
	cfg := emu.Config(ctx)
	name := resourceName(t)
	spec := store.ProvisionSpec{
		InputBucket: "in-" + name, ResultsBucket: "out-" + name,
		Queue: "q-" + name, DLQ: "dlq-" + name, Table: "t-" + name,
		MaxReceives: o.MaxReceives, VisibilityTimeout: o.Visibility,
	}
	if err := emu.Alive(); err != nil {
		t.Fatalf("the emulators are gone before this test: %v", err)
	}
	prov, err := store.Provision(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("provision %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := emu.Alive(); err != nil {
			t.Errorf("an emulator died during the test: %v", err)
			return
		}
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.Teardown(cctx, cfg, spec); err != nil {
			t.Logf("teardown %s: %v", name, err)
		}
	})
	s := &system{
		modelCache: filepath.Join(t.TempDir(), "models"),
		t:          t, ctx: ctx, opts: o, spec: spec, prov: prov,
		s3: store.NewS3Client(cfg), sqs: sqs.NewFromConfig(cfg),
		results: &store.Results{Client: dynamodb.NewFromConfig(cfg), Table: spec.Table},
		logs:    &testenv.Buffer{},
	}
	if o.ModelsFromS3 {
		for _, m := range o.Models {
			s.uploadModel(m)
		}
	}
	for name, files := range o.FolderModels {
		for path, data := range files {
			s.putObject(s.spec.ResultsBucket, "models/"+name+"/"+path, data)
		}
	}
	if o.NoFunction {
		return s
	}
	s.startESM(s.startInstances())
	return s
}

// startInstances starts the function instances side by side and returns
// what the ESM invokes: each instance alone, or (Duplicate) each with the
// next one, both held so that no RIE ever gets two invokes at once.
func (s *system) startInstances() []invokeFunc {
	n := max(s.opts.Concurrency, 1)
	if s.opts.Duplicate {
		n = max(n, 2)
	}
	s.ries = make([]*local.RIE, n)
	logs := []*testenv.Buffer{s.logs}
	for range n - 1 {
		logs = append(logs, &testenv.Buffer{})
	}
	s.moreLogs = logs[1:]
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { s.ries[i] = s.startRIE(logs[i]) })
	}
	wg.Wait()
	if s.t.Failed() {
		s.t.FailNow()
	}
	s.rie = s.ries[0]
	invokes := make([]invokeFunc, n)
	locks := make([]sync.Mutex, n)
	for i, r := range s.ries {
		invokes[i] = r.Invoke
		if s.opts.Duplicate {
			j := (i + 1) % n
			twice := deliverTwice(s.t, r.Invoke, s.ries[j].Invoke)
			lo, hi := &locks[min(i, j)], &locks[max(i, j)] // one order: no deadlock
			invokes[i] = func(ctx context.Context, payload []byte) ([]byte, error) {
				lo.Lock()
				hi.Lock()
				defer lo.Unlock()
				defer hi.Unlock()
				return twice(ctx, payload)
			}
		}
	}
	return invokes
}

// workerEnv is the function's environment, as a Lambda deployment sets it.
func (s *system) workerEnv() []string {
	dirs := make([]string, len(s.opts.Models))
	for i, m := range s.opts.Models {
		dirs[i] = modelDir(s.t, m)
		if s.opts.ModelsFromS3 {
			dirs[i] = s.modelURI(m)
		}
	}
	for name := range s.opts.FolderModels {
		dirs = append(dirs, s.modelURI(name))
	}
	dirs = append(dirs, s.opts.ModelDirs...)
	env := append(emu.Environ(),
		"ONNXRUNTIME_LIB="+testenv.ORTLib(s.t),
		"BATCHINFER_MODELS="+strings.Join(dirs, ","),
		"BATCHINFER_MODEL_CACHE="+s.modelCache,
		"BATCHINFER_RESULTS_TABLE="+s.spec.Table,
		"BATCHINFER_RESULTS_BUCKET="+s.spec.ResultsBucket,
		"BATCHINFER_DLQ_URL="+s.prov.DLQURL,
		"BATCHINFER_QUEUE_URL="+s.prov.QueueURL,
		"BATCHINFER_INPUT_BUCKETS="+s.spec.InputBucket,
		"BATCHINFER_MAX_RECEIVES="+strconv.Itoa(s.opts.MaxReceives),
	)
	return append(env, s.opts.Env...)
}

// modelDir is .cache/models/NAME, or for "text/NAME" the Hugging Face
// export setup made (no manifest of ours).
func modelDir(t *testing.T, name string) string {
	if n, ok := strings.CutPrefix(name, "text/"); ok {
		return textmodels.Dir(t, n)
	}
	return testenv.ModelDir(t, name)
}

// startRIE runs the binary under RIE (one sandbox: RIE serves one
// invocation at a time, like a Lambda execution environment).
func (s *system) startRIE(logs io.Writer) *local.RIE {
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	r, err := local.StartRIE(ctx, local.RIEOptions{
		RIEPath: testenv.Tool(s.t, "aws-lambda-rie"),
		Handler: cmp.Or(s.opts.Binary, binary),
		Args:    []string{"lambda"},
		Env:     s.workerEnv(),
		Timeout: s.opts.Timeout,
		Stdout:  logs, Stderr: logs,
	})
	if err != nil {
		s.t.Errorf("start the function under RIE: %v", err) // not Fatal: may run in a goroutine
		return nil
	}
	s.t.Cleanup(func() { r.Stop() })
	return r
}

// startESM plays Lambda's event source mapping until the test ends.
func (s *system) startESM(instances []invokeFunc) {
	esm := &local.ESM{
		SQS: s.sqs, QueueURL: s.prov.QueueURL, QueueARN: s.prov.QueueARN, Region: emu.Region,
		BatchSize: s.opts.BatchSize, Window: s.opts.Window, Invoke: instances[0], Instances: instances,
		ReportBatchItemFailures: true,
		Log:                     slog.New(slog.NewJSONHandler(s.logs, nil)),
	}
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = esm.Run(ctx)
	}()
	// Registered after RIE's cleanup, so it runs first: the ESM stops
	// before the function it invokes.
	s.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// modelURI is where ModelsFromS3 puts model NAME.
func (s *system) modelURI(name string) string {
	return "s3://" + s.spec.ResultsBucket + "/models/" + name + "/"
}

// uploadModel copies .cache/models/NAME (manifest, .onnx, assets) to
// modelURI(NAME), as a user publishing a model version would.
func (s *system) uploadModel(name string) {
	s.t.Helper()
	dir := testenv.ModelDir(s.t, name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			s.t.Fatal(err)
		}
		s.putObject(s.spec.ResultsBucket, "models/"+name+"/"+e.Name(), data)
	}
}
