package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/store"
)

func init() {
	register("local", "the system on one machine against local emulators: up, down, run, demo", runLocal)
}

// localFlags are the resource names and wiring shared by every `local`
// subcommand.
type localFlags struct {
	spec       store.ProvisionSpec
	models     string
	rie        string
	timeout    time.Duration
	batch      int
	window     time.Duration
	visibility time.Duration
}

func (l *localFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.spec.InputBucket, "inbox", "batchinfer-inbox", "input bucket")
	fs.StringVar(&l.spec.ResultsBucket, "results-bucket", "batchinfer-results", "results bucket")
	fs.StringVar(&l.spec.Queue, "queue", "batchinfer-jobs", "jobs queue")
	fs.StringVar(&l.spec.DLQ, "dlq", "batchinfer-dlq", "dead-letter queue")
	fs.StringVar(&l.spec.Table, "table", "batchinfer-results", "results table")
	fs.IntVar(&l.spec.MaxReceives, "max-receives", 3, "the queue's maxReceiveCount")
	fs.DurationVar(&l.visibility, "visibility-timeout", 0, "the queue's visibility timeout (default 6 × --timeout)")
	fs.StringVar(&l.models, "models", envOr("BATCHINFER_MODELS", ".cache/models/ppocr-rec,.cache/models/iris-rf"), "BATCHINFER_MODELS for the function")
	fs.StringVar(&l.rie, "rie", ".cache/bin/aws-lambda-rie", "the Lambda runtime interface emulator")
	fs.DurationVar(&l.timeout, "timeout", 30*time.Second, "the function timeout")
	fs.IntVar(&l.batch, "batch-size", 10, "event source mapping BatchSize")
	fs.DurationVar(&l.window, "window", 500*time.Millisecond, "event source mapping MaximumBatchingWindow")
}

func (l *localFlags) system(stderr io.Writer) (local.SystemOptions, error) {
	self, err := os.Executable()
	if err != nil {
		return local.SystemOptions{}, fmt.Errorf("find this binary: %w", err)
	}
	spec := l.spec
	spec.VisibilityTimeout = l.visibility
	if spec.VisibilityTimeout == 0 {
		spec.VisibilityTimeout = 6 * l.timeout
	}
	return local.SystemOptions{
		Resources: spec, RIEPath: l.rie, Binary: self, Models: strings.Split(l.models, ","),
		ORTLib: os.Getenv("ONNXRUNTIME_LIB"), FunctionTimeout: l.timeout, BatchSize: l.batch, Window: l.window,
	}, nil
}

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	var lf localFlags
	fs := newFlags("local "+sub, stderr, "[flags]")
	lf.register(fs)
	switch sub {
	case "up", "down", "run", "esm", "demo":
	default:
		fmt.Fprintln(stderr, "usage: batchinfer local up|down|run|demo [flags]\n"+
			"  up    create the buckets, the queue with its DLQ and redrive policy, and the table\n"+
			"  down  delete them\n"+
			"  run   the function under the runtime emulator fed by the event source mapping, until interrupted\n"+
			"  esm   the event source mapping alone, feeding a function already under a runtime emulator (--function-url)\n"+
			"  demo  up, run, send sample work, show the results and the DLQ, down\n"+
			"AWS endpoints come from AWS_ENDPOINT_URL* (the Taskfile points them at the emulators).")
		return fmt.Errorf("%w: unknown local subcommand %q", errUsage, sub)
	}
	keep := fs.Bool("keep", false, "demo: keep the resources afterwards")
	functionURL := fs.String("function-url", "", "esm: the function's invocations URL (http://127.0.0.1:PORT/2015-03-31/functions/function/invocations)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	spec := lf.spec
	spec.VisibilityTimeout = 6 * lf.timeout
	switch sub {
	case "up":
		prov, err := store.Provision(ctx, cfg, spec)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(map[string]string{
			"BATCHINFER_QUEUE_URL": prov.QueueURL, "BATCHINFER_DLQ_URL": prov.DLQURL,
			"BATCHINFER_RESULTS_TABLE": spec.Table, "BATCHINFER_RESULTS_BUCKET": spec.ResultsBucket,
			"BATCHINFER_INPUT_BUCKETS": spec.InputBucket,
		})
	case "down":
		return store.Teardown(ctx, cfg, spec)
	}
	if sub == "esm" {
		if *functionURL == "" {
			return fmt.Errorf("%w: esm needs --function-url (or use `local run`, which starts the function too)", errUsage)
		}
		prov, err := store.Provision(ctx, cfg, spec)
		if err != nil {
			return err
		}
		esm := &local.ESM{SQS: sqs.NewFromConfig(cfg), QueueURL: prov.QueueURL, QueueARN: prov.QueueARN, Region: cfg.Region,
			BatchSize: lf.batch, Window: lf.window, Invoke: local.Invoker(*functionURL), ReportBatchItemFailures: true,
			Log: newLogger(stderr, "info")}
		if err := esm.Run(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	}
	opts, err := lf.system(stderr)
	if err != nil {
		return err
	}
	if sub == "demo" {
		logPath := ".cache/run/demo-function.log"
		if err := os.MkdirAll(".cache/run", 0o755); err != nil {
			return err
		}
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.FunctionOutput = f
		opts.Log = newLogger(f, "info")
		fmt.Fprintf(stdout, "the function's log (JSON lines): %s\n", logPath)
		if err := local.RunDemo(ctx, cfg, local.DemoOptions{System: opts, Out: stdout, Bar: stderr, Keep: *keep}); err != nil {
			return fmt.Errorf("%w (the function's log is %s)", err, logPath)
		}
		return nil
	}
	opts.FunctionOutput = stderr
	opts.Log = newLogger(stderr, "info")
	sys, err := local.StartSystem(ctx, cfg, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "running: queue %s → function at %s; Ctrl-C stops\n", sys.Prov.QueueURL, sys.RIE.InvokeURL())
	<-ctx.Done()
	return sys.Stop()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
