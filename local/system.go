package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// SystemOptions describe the whole worker on one machine: AWS resources in
// the emulators, the real binary under the runtime interface emulator, and
// the event source mapping feeding it.
type SystemOptions struct {
	Resources store.ProvisionSpec
	RIEPath   string   // .cache/bin/aws-lambda-rie
	Binary    string   // the batchinfer binary (built with -tags lambda.norpc)
	Models    []string // BATCHINFER_MODELS
	ORTLib    string   // ONNXRUNTIME_LIB
	// FunctionEnv is added to the function's environment after the
	// defaults, so it can override them (AWS_ENDPOINT_URL_* pointing at a
	// fault proxy, BATCHINFER_MAX_INPUT_BYTES ...).
	FunctionEnv     []string
	FunctionTimeout time.Duration // default 60s
	BatchSize       int           // ESM BatchSize, default 10
	// Concurrency is how many function instances run, each under its own
	// RIE, and so how many batches the ESM keeps in flight (Lambda's
	// MaximumConcurrency); default 1.
	Concurrency int
	Window      time.Duration // ESM MaximumBatchingWindow, default 500ms
	// Grace is how long Stop lets the batches in flight finish before it
	// hands their messages back (ESM.Grace; default DefaultGrace).
	Grace          time.Duration
	FunctionOutput io.Writer // the function's stdout and stderr (its JSON logs); nil discards
	// FunctionOutputs, when set, give each instance (by index) its own
	// output instead, so that lines of concurrent instances stay whole.
	FunctionOutputs []io.Writer
	Log             *slog.Logger // the ESM's log; nil discards
	// Inbox, when Deliver is set, sends the inbox bucket's notifications
	// to the jobs queue as S3 would (inbox.go).
	Inbox InboxOptions
	// NotifyTopicARN is the function's BATCHINFER_NOTIFY_TOPIC_ARN.
	NotifyTopicARN string
}

// InboxOptions configure the local inbox notification delivery.
type InboxOptions struct {
	Deliver        bool
	Prefix, Suffix string
	StatePath      string
}

// System is a running local deployment.
type System struct {
	Prov store.Provisioned
	RIE  *RIE   // the first instance
	RIEs []*RIE // every instance (Concurrency)
	ESM  *ESM

	cancel context.CancelFunc
	done   chan error
	loops  int // goroutines that send on done
	once   sync.Once
}

// StartSystem provisions the resources (idempotent), starts the function
// under RIE and runs the ESM until Stop.
func StartSystem(ctx context.Context, cfg aws.Config, o SystemOptions) (*System, error) {
	if o.FunctionTimeout <= 0 {
		o.FunctionTimeout = 60 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10
	}
	if o.Window <= 0 {
		o.Window = 500 * time.Millisecond
	}
	if o.Resources.MaxReceives <= 0 {
		o.Resources.MaxReceives = 3
	}
	if o.Resources.VisibilityTimeout <= 0 {
		// AWS's rule for Lambda event sources: at least six times the
		// function timeout.
		o.Resources.VisibilityTimeout = 6 * o.FunctionTimeout
	}
	prov, err := store.Provision(ctx, cfg, o.Resources)
	if err != nil {
		return nil, fmt.Errorf("provision local resources: %w", err)
	}
	ries, err := startInstances(ctx, o, functionEnv(o, prov))
	if err != nil {
		return nil, err
	}
	sqsc := sqs.NewFromConfig(cfg)
	esm := &ESM{
		SQS: sqsc, QueueURL: prov.QueueURL, QueueARN: prov.QueueARN, Region: cfg.Region,
		BatchSize: o.BatchSize, Window: o.Window, Invoke: ries[0].Invoke, ReportBatchItemFailures: true, Log: o.Log,
		Grace: o.Grace,
	}
	for _, r := range ries {
		esm.Instances = append(esm.Instances, r.Invoke)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &System{Prov: prov, RIE: ries[0], RIEs: ries, ESM: esm, cancel: cancel, done: make(chan error, 2)}
	go func() { s.done <- esm.Run(runCtx) }()
	s.loops = 1
	if o.Inbox.Deliver {
		in := &Inbox{S3: store.NewS3Client(cfg), Queue: &store.Queue{Client: sqsc, URL: prov.QueueURL},
			Bucket: o.Resources.InputBucket, Region: cfg.Region, Prefix: o.Inbox.Prefix, Suffix: o.Inbox.Suffix,
			StatePath: o.Inbox.StatePath, Log: o.Log}
		go func() { s.done <- in.Run(runCtx) }()
		s.loops++
	}
	return s, nil
}

// Stop ends the ESM (it stops receiving, lets the batches in flight finish
// within Grace and hands back the messages of those that did not), then
// the function and RIE. Resources stay; Teardown removes them.
func (s *System) Stop() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		for range s.loops {
			if e := <-s.done; e != nil && !errors.Is(e, context.Canceled) {
				err = errors.Join(err, e)
			}
		}
		for _, r := range s.RIEs {
			err = errors.Join(err, r.Stop())
		}
	})
	return err
}

// functionEnv is the function's environment, as the stack sets it.
func functionEnv(o SystemOptions, prov store.Provisioned) []string {
	env := []string{
		settings.Models.Assign(strings.Join(o.Models, ",")),
		settings.ResultsTable.Assign(o.Resources.Table),
		settings.ResultsBucket.Assign(o.Resources.ResultsBucket),
		settings.DLQURL.Assign(prov.DLQURL),
		settings.InputBuckets.Assign(o.Resources.InputBucket),
		settings.MaxReceives.Assign(strconv.Itoa(o.Resources.MaxReceives)),
		settings.QueueURL.Assign(prov.QueueURL),
	}
	if o.ORTLib != "" { // else the function looks for it itself (model.FindLibrary)
		env = append(env, "ONNXRUNTIME_LIB="+o.ORTLib)
	}
	if o.NotifyTopicARN != "" {
		env = append(env, settings.NotifyTopicARN.Assign(o.NotifyTopicARN))
	}
	return append(env, o.FunctionEnv...)
}

// startInstances starts Concurrency function instances, each under its own
// RIE, and waits for each one's init (so a bad configuration fails here,
// with the function's own message). They start side by side: a cold start
// is mostly ONNX Runtime and model loading.
func startInstances(ctx context.Context, o SystemOptions, env []string) ([]*RIE, error) {
	n := max(o.Concurrency, 1)
	ries := make([]*RIE, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ries {
		wg.Go(func() {
			out := o.FunctionOutput
			if i < len(o.FunctionOutputs) {
				out = o.FunctionOutputs[i]
			}
			if out == nil {
				out = io.Discard
			}
			ries[i], errs[i] = startInstance(ctx, o, env, out)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, r := range ries {
			if r != nil {
				r.Stop()
			}
		}
		return nil, firstErr(errs)
	}
	return ries, nil
}

// instanceAttempts bounds the restarts of an instance whose first invoke
// never reached the function.
const instanceAttempts = 3

// startInstance starts one RIE and waits for its function's init. A first
// invoke that failed on its way (a reset connection: the address was
// taken between choosing it and RIE binding it, by another process on a
// busy machine) starts RIE again on new ports; a function that cannot
// start is reported at once.
func startInstance(ctx context.Context, o SystemOptions, env []string, out io.Writer) (*RIE, error) {
	var err error
	for range instanceAttempts {
		tail := &tailWriter{max: 16 << 10}
		w := io.MultiWriter(out, tail)
		var rie *RIE
		rie, err = StartRIE(ctx, RIEOptions{
			RIEPath: o.RIEPath, Handler: o.Binary, Args: []string{"lambda"},
			Env: env, Timeout: o.FunctionTimeout, Stdout: w, Stderr: w,
		})
		if err != nil {
			return nil, err
		}
		err = probeInit(ctx, rie, o.FunctionTimeout, tail)
		var ie *InitError
		if err == nil {
			return rie, nil
		}
		rie.Stop()
		if errors.As(err, &ie) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, err
}

// firstErr keeps an *InitError's type for callers that check it.
func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func dynamoClient(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }
