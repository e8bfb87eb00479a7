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
	Window          time.Duration // ESM MaximumBatchingWindow, default 500ms
	FunctionOutput  io.Writer     // the function's stdout and stderr (its JSON logs); nil discards
	Log             *slog.Logger  // the ESM's log; nil discards
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
	RIE  *RIE
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
	env := []string{
		"BATCHINFER_MODELS=" + strings.Join(o.Models, ","),
		"BATCHINFER_RESULTS_TABLE=" + o.Resources.Table,
		"BATCHINFER_RESULTS_BUCKET=" + o.Resources.ResultsBucket,
		"BATCHINFER_DLQ_URL=" + prov.DLQURL,
		"BATCHINFER_INPUT_BUCKETS=" + o.Resources.InputBucket,
		"BATCHINFER_MAX_RECEIVES=" + strconv.Itoa(o.Resources.MaxReceives),
	}
	if o.ORTLib != "" { // else the function looks for it itself (model.FindLibrary)
		env = append(env, "ONNXRUNTIME_LIB="+o.ORTLib)
	}
	if o.NotifyTopicARN != "" {
		env = append(env, "BATCHINFER_NOTIFY_TOPIC_ARN="+o.NotifyTopicARN)
	}
	env = append(env, o.FunctionEnv...)
	out := o.FunctionOutput
	if out == nil {
		out = io.Discard
	}
	tail := &tailWriter{max: 16 << 10}
	out = io.MultiWriter(out, tail)
	rie, err := StartRIE(ctx, RIEOptions{
		RIEPath: o.RIEPath, Handler: o.Binary, Args: []string{"lambda"},
		Env: env, Timeout: o.FunctionTimeout, Stdout: out, Stderr: out,
	})
	if err != nil {
		return nil, err
	}
	if err := probeInit(ctx, rie, o.FunctionTimeout, tail); err != nil {
		rie.Stop()
		return nil, err
	}
	sqsc := sqs.NewFromConfig(cfg)
	esm := &ESM{
		SQS: sqsc, QueueURL: prov.QueueURL, QueueARN: prov.QueueARN, Region: cfg.Region,
		BatchSize: o.BatchSize, Window: o.Window, Invoke: rie.Invoke, ReportBatchItemFailures: true, Log: o.Log,
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &System{Prov: prov, RIE: rie, ESM: esm, cancel: cancel, done: make(chan error, 2)}
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

// Stop ends the ESM, then the function and RIE. Resources stay; Teardown
// removes them.
func (s *System) Stop() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		for range s.loops {
			if e := <-s.done; e != nil && !errors.Is(e, context.Canceled) {
				err = errors.Join(err, e)
			}
		}
		err = errors.Join(err, s.RIE.Stop())
	})
	return err
}

func dynamoClient(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }
