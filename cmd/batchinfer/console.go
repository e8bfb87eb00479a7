package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/batchinfer/batchinfer/api"
	"github.com/batchinfer/batchinfer/console"
	"github.com/batchinfer/batchinfer/metrics"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// consoleCmd serves the local web console.
type consoleCmd struct {
	res        resources
	addr       string
	dlqURL     string
	metricsLog string
	logGroup   string
	namespace  string
	since      time.Duration
}

func (f *consoleCmd) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8090", "listen address: a loopback one (127.0.0.1:PORT)")
	f.res.tableFlag(fs)
	fs.StringVar(&f.dlqURL, "dlq-url", settings.Current(settings.DLQURL), "dead-letter queue to show by error code (default $"+settings.DLQURL.Name+")")
	fs.StringVar(&f.metricsLog, "metrics-log", ".cache/run/function.log", "the function's log lines, whose EMF documents give throughput and latency")
	fs.StringVar(&f.logGroup, "log-group", "", "read the EMF documents from this CloudWatch Logs group (e.g. /aws/lambda/NAME) instead of --metrics-log, as `stats --log-group` does")
	fs.StringVar(&f.namespace, "namespace", settings.Current(settings.MetricsNamespace), "metrics namespace to read (default $"+settings.MetricsNamespace.Name+" or "+settings.MetricsNamespace.Default+")")
	fs.DurationVar(&f.since, "since", 24*time.Hour, "the overview's window (and, with --log-group, how far back its log is read)")
	f.res.opts.MaxInputBytes = 1 << 30 // inputs and outputs are shown whole
}

func (f *consoleCmd) run(ctx context.Context, c call) error {
	host, _, err := net.SplitHostPort(f.addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: --addr %q: the console binds a loopback address only (127.0.0.1:PORT)", errUsage, f.addr)
	}
	a, err := f.res.open(ctx)
	if err != nil {
		return err
	}
	srv := &console.Server{Results: a.Results, Objects: a.Inputs, Namespace: f.namespace, Since: f.since, Log: newLogger(c.stderr, "info")}
	f.metricsSource(srv)
	if f.dlqURL != "" {
		srv.DLQ = &store.Queue{Client: a.Sources.Client, URL: f.dlqURL}
	}
	if keys := settings.Current(settings.APIKeys); keys != "" {
		ks, err := api.ParseKeys(keys)
		if err != nil {
			return err
		}
		srv.Keys = ks
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	fmt.Fprintf(c.stderr, "console on http://%s/ (table %s%s); Ctrl-C stops\n", ln.Addr(), f.res.opts.ResultsTable, keyNote(srv.Keys != nil))
	return serve(ctx, ln, srv.Handler())
}

func keyNote(keys bool) string {
	if keys {
		return "; open it with ?key=YOUR_API_KEY (" + settings.APIKeys.Name + " is set)"
	}
	return ""
}

// metricsSource reads the worker's EMF documents where stats reads them:
// a log group when one is named, else the log file.
func (f *consoleCmd) metricsSource(srv *console.Server) {
	switch {
	case f.logGroup != "":
		srv.MetricsFrom = f.logGroup
		srv.Metrics = func(ctx context.Context) ([]metrics.Doc, error) {
			events := logGroup(ctx, f.logGroup, f.namespace, f.since)
			defer events.Close() // stops the copy if Parse gave up early
			return statParse(f.logGroup, events)
		}
	case f.metricsLog != "":
		srv.MetricsFrom = f.metricsLog
		srv.Metrics = func(ctx context.Context) ([]metrics.Doc, error) { return statFiles(ctx, []string{f.metricsLog}) }
	}
}
