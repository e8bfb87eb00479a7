package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

const localUsage = "up|down|run|esm|demo [flags]\n" +
	"  up    create the buckets, the queue with its DLQ and redrive policy, the table, and the completion topic with a watched queue\n" +
	"  down  delete them\n" +
	"  run   the function under the runtime emulator fed by the event source mapping, and the inbox's S3 notifications, until interrupted\n" +
	"  esm   the event source mapping alone, feeding a function already under a runtime emulator (--function-url)\n" +
	"  demo  up, run, send sample work, show the results and the DLQ, down\n" +
	"AWS endpoints come from AWS_ENDPOINT_URL* (the Taskfile points them at the emulators)."

// localCmd runs the system on one machine; its flags are the resource
// names and wiring shared by every subcommand.
type localCmd struct {
	spec         store.ProvisionSpec
	notify       store.NotifySpec
	models       string
	routes       string
	asJSON       bool
	rie          string
	timeout      time.Duration
	batch        int
	window       time.Duration
	visibility   time.Duration
	inbox        local.InboxOptions
	keep         bool
	functionURLs []string
	concurrency  int
	grace        time.Duration
}

func (l *localCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&l.spec.InputBucket, "inbox", "batchinfer-inbox", "input bucket")
	fs.StringVar(&l.spec.ResultsBucket, "results-bucket", "batchinfer-results", "results bucket")
	fs.StringVar(&l.spec.Queue, "queue", "batchinfer-jobs", "jobs queue")
	fs.StringVar(&l.spec.DLQ, "dlq", "batchinfer-dlq", "dead-letter queue")
	fs.StringVar(&l.spec.Table, "table", "batchinfer-results", "results table")
	fs.IntVar(&l.spec.MaxReceives, "max-receives", 3, "the queue's maxReceiveCount")
	fs.StringVar(&l.notify.Topic, "topic", "batchinfer-completions", "completion topic ("+settings.NotifyTopicARN.Name+")")
	fs.StringVar(&l.notify.Queue, "watch-queue", "batchinfer-watch", "queue subscribed to the topic, what `batchinfer watch` follows")
	fs.DurationVar(&l.visibility, "visibility-timeout", 0, "the queue's visibility timeout (default 6 × --timeout)")
	fs.StringVar(&l.models, "models", settings.Current(settings.Models), settings.Models.Name+" for the function, the default model first (default every model in .cache/models, pipelines first)")
	fs.StringVar(&l.routes, "routes", settings.Current(settings.Routes), settings.Routes.Name+" for the function: prefix=model,... (a model not served stops start-up)")
	fs.BoolVar(&l.asJSON, "json", false, "up: print the variables as one JSON object instead of export lines")
	fs.StringVar(&l.rie, "rie", ".cache/bin/aws-lambda-rie", "the Lambda runtime interface emulator")
	fs.DurationVar(&l.timeout, "timeout", 30*time.Second, "the function timeout")
	fs.IntVar(&l.batch, "batch-size", 10, "event source mapping BatchSize")
	fs.DurationVar(&l.window, "window", 500*time.Millisecond, "event source mapping MaximumBatchingWindow")
	fs.StringVar(&l.inbox.Prefix, "inbox-prefix", "", "run: deliver notifications for keys with this prefix (the stack's inboxPrefix)")
	fs.StringVar(&l.inbox.Suffix, "inbox-suffix", "", "run: ... and this suffix (the stack's inboxSuffix)")
	fs.StringVar(&l.inbox.StatePath, "inbox-state", "", "run: file remembering the objects delivered (default .cache/run/inbox-BUCKET.json)")
	fs.BoolVar(&l.keep, "keep", false, "demo: keep the resources afterwards")
	fs.Func("function-url", "esm: a function instance's invocations URL (http://127.0.0.1:PORT/2015-03-31/functions/function/invocations); repeat it for several instances, one batch in flight each", func(v string) error {
		l.functionURLs = append(l.functionURLs, v)
		return nil
	})
	fs.DurationVar(&l.grace, "grace", local.DefaultGrace, "run, esm: on Ctrl-C or SIGTERM, how long the batches in flight may finish before their messages are handed back (visible again at once)")
	fs.IntVar(&l.concurrency, "concurrency", 1, "run, demo: function instances, each under its own runtime emulator: the batches in flight (Lambda's MaximumConcurrency)")
}

// resources is the spec with the visibility timeout resolved: the flag
// when given, else AWS's rule for Lambda event sources (6 × the timeout).
func (l *localCmd) resources() store.ProvisionSpec {
	spec := l.spec
	spec.VisibilityTimeout = l.visibility
	if spec.VisibilityTimeout == 0 {
		spec.VisibilityTimeout = 6 * l.timeout
	}
	return spec
}

func (l *localCmd) system(stderr io.Writer) (local.SystemOptions, error) {
	self, err := os.Executable()
	if err != nil {
		return local.SystemOptions{}, fmt.Errorf("find this binary: %w", err)
	}
	inbox := l.inbox
	inbox.Deliver = true
	inbox.StatePath = l.inboxState()
	models := strings.Split(l.models, ",")
	if l.models == "" {
		var skipped []string
		if models, skipped, err = local.InstalledModels(filepath.Join(".cache", "models")); err != nil {
			return local.SystemOptions{}, err
		}
		for _, s := range skipped {
			fmt.Fprintf(stderr, "batchinfer local: not serving %s\n", s)
		}
	}
	var env []string
	if l.routes != "" {
		env = append(env, settings.Routes.Name+"="+l.routes)
	}
	return local.SystemOptions{
		Resources: l.resources(), RIEPath: l.rie, Binary: self, Models: models, FunctionEnv: env,
		ORTLib: os.Getenv("ONNXRUNTIME_LIB"), FunctionTimeout: l.timeout, BatchSize: l.batch, Window: l.window,
		Inbox: inbox, Concurrency: l.concurrency, Grace: l.grace,
	}, nil
}

// inboxState is the file remembering what the inbox delivered.
func (l *localCmd) inboxState() string {
	if l.inbox.StatePath != "" {
		return l.inbox.StatePath
	}
	return filepath.Join(".cache", "run", "inbox-"+l.spec.InputBucket+".json")
}

func (l *localCmd) run(ctx context.Context, c call) error {
	run := map[string]func(context.Context, aws.Config, *localCmd, io.Writer, io.Writer) error{
		"up": localUp, "down": localDown, "run": localRun, "esm": localESM, "demo": localDemo,
	}[c.sub]
	cfg, err := store.LoadAWSConfig(ctx)
	if err != nil {
		return err
	}
	return run(ctx, cfg, l, c.stdout, c.stderr)
}

// localNotify creates (or finds) the completion topic and its watched
// queue, only against an emulator: without AWS_ENDPOINT_URL_SNS the SDK
// would reach the real SNS.
func localNotify(ctx context.Context, cfg aws.Config, lf *localCmd, stderr io.Writer) (store.NotifyProvisioned, error) {
	if !store.EndpointOverridden(cfg, "SNS") {
		fmt.Fprintln(stderr, "no AWS_ENDPOINT_URL_SNS: no completion topic (fauxqs serves SNS on its SQS port)")
		return store.NotifyProvisioned{}, nil
	}
	return store.ProvisionNotify(ctx, cfg, lf.notify)
}

// localDown deletes the resources and the inbox's delivery state (a state
// kept past its bucket made new uploads of the same files look delivered),
// and says what it removed.
func localDown(ctx context.Context, cfg aws.Config, lf *localCmd, stdout, stderr io.Writer) error {
	spec := lf.resources()
	if err := store.Teardown(ctx, cfg, spec); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed queues %s and %s, buckets s3://%s and s3://%s, table %s\n",
		spec.Queue, spec.DLQ, spec.InputBucket, spec.ResultsBucket, spec.Table)
	state := lf.inboxState()
	switch err := os.Remove(state); {
	case err == nil:
		fmt.Fprintf(stdout, "removed the inbox delivery state %s\n", state)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("remove the inbox delivery state: %w", err)
	}
	np, err := localNotify(ctx, cfg, lf, stderr) // CreateTopic of an existing name finds its ARN
	if err != nil || np.TopicARN == "" {
		return err
	}
	if err := store.TeardownNotify(ctx, cfg, lf.notify, np.TopicARN); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "removed topic %s and its queue %s\n", lf.notify.Topic, lf.notify.Queue)
	return nil
}

func localESM(ctx context.Context, cfg aws.Config, lf *localCmd, _, stderr io.Writer) error {
	if len(lf.functionURLs) == 0 {
		return fmt.Errorf("%w: esm needs --function-url (or use `local run`, which starts the function too)", errUsage)
	}
	prov, err := store.Provision(ctx, cfg, lf.resources())
	if err != nil {
		return err
	}
	esm := &local.ESM{SQS: sqs.NewFromConfig(cfg), QueueURL: prov.QueueURL, QueueARN: prov.QueueARN, Region: cfg.Region,
		BatchSize: lf.batch, Window: lf.window, ReportBatchItemFailures: true, Log: newLogger(stderr, "info"), Grace: lf.grace}
	for _, u := range lf.functionURLs {
		esm.Instances = append(esm.Instances, local.Invoker(u))
	}
	esm.Invoke = esm.Instances[0]
	if err := esm.Run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func localRun(ctx context.Context, cfg aws.Config, lf *localCmd, _, stderr io.Writer) error {
	opts, err := lf.system(stderr)
	if err != nil {
		return err
	}
	np, err := localNotify(ctx, cfg, lf, stderr)
	if err != nil {
		return err
	}
	opts.NotifyTopicARN = np.TopicARN
	opts.FunctionOutput = stderr
	opts.Log = newLogger(stderr, "info")
	sys, err := local.StartSystem(ctx, cfg, opts)
	if err != nil {
		return err
	}
	urls := make([]string, len(sys.RIEs))
	for i, r := range sys.RIEs {
		urls[i] = r.InvokeURL()
	}
	fmt.Fprintf(stderr, "running: s3://%s and queue %s → %d function instance(s) at %s serving %s (the first is the default; routes %q); completions on %s; Ctrl-C stops\n",
		opts.Resources.InputBucket, sys.Prov.QueueURL, len(urls), strings.Join(urls, " "), strings.Join(opts.Models, ","), lf.routes, np.QueueURL)
	<-ctx.Done()
	fmt.Fprintf(stderr, "stopping: no new batches; those in flight have %s to finish, then their messages are handed back\n", lf.grace)
	return sys.Stop()
}

func localDemo(ctx context.Context, cfg aws.Config, lf *localCmd, stdout, stderr io.Writer) error {
	if lf.models == "" {
		lf.models = ".cache/models/ppocr-rec,.cache/models/iris-rf,.cache/models/iris-feat,.cache/models/text/" + local.DemoTextModel // the demo's work needs these (iris-feat: one job scored with stored features)
	}
	opts, err := lf.system(stderr)
	if err != nil {
		return err
	}
	opts.Inbox.Deliver = false // the demo sends its own notifications
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
	if err := local.RunDemo(ctx, cfg, local.DemoOptions{System: opts, Out: stdout, Bar: stderr, Keep: lf.keep,
		Features: slices.ContainsFunc(opts.Models, func(m string) bool { return filepath.Base(strings.TrimRight(m, "/")) == "iris-feat" })}); err != nil {
		return fmt.Errorf("%w (the function's log is %s)", err, logPath)
	}
	return nil
}
