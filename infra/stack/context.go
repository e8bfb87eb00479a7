package stack

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ConfigFromContext reads Config from CDK context (cdk.json, `-c key=value`
// or the app's Context prop). Values from the command line arrive as
// strings, values from cdk.json as JSON numbers or booleans: both are taken.
// Unset keys stay zero so Defaults fills them.
func ConfigFromContext(node constructs.Node) (Config, error) {
	var c Config
	var models string
	r := contextReader{node: node}
	// In the order Config lists them, so errors come in that order too.
	for _, f := range []struct {
		key string
		dst any // *string, *Variant, *int, *int64 or *bool
	}{
		{"variant", &c.Variant}, {"architecture", &c.Architecture},
		{"memoryMiB", &c.MemoryMiB}, {"timeoutSeconds", &c.TimeoutSeconds}, {"reservedConcurrency", &c.ReservedConcurrency},
		{"batchSize", &c.BatchSize}, {"maxBatchingWindowSeconds", &c.MaxBatchingWindowSeconds}, {"maxConcurrency", &c.MaxConcurrency},
		{"visibilityTimeoutSeconds", &c.VisibilityTimeoutSeconds}, {"maxReceiveCount", &c.MaxReceiveCount}, {"fifo", &c.FIFO},
		{"inboxPrefix", &c.InboxPrefix}, {"inboxSuffix", &c.InboxSuffix},
		{"models", &models}, {"maxInputBytes", &c.MaxInputBytes},
		{"resultsExpireDays", &c.ResultsExpireDays}, {"oldestMessageAlarmSeconds", &c.OldestMessageAlarmSeconds},
		{"reprocessSchedule", &c.ReprocessSchedule}, {"reprocessEnabled", &c.ReprocessEnabled}, {"reprocessWindow", &c.ReprocessWindow},
		{"repoDir", &c.RepoDir}, {"bundleDir", &c.BundleDir},
		{"esmMinPollers", &c.ESMMinPollers}, {"esmMaxPollers", &c.ESMMaxPollers}, {"esmMetrics", &c.ESMMetrics},
		{"poller", &c.Poller.Kind}, {"pollerInstanceType", &c.Poller.InstanceType},
		{"pollerMinTasks", &c.Poller.MinTasks}, {"pollerMaxTasks", &c.Poller.MaxTasks},
		{"pollerCpu", &c.Poller.CPU}, {"pollerMemoryMiB", &c.Poller.MemoryMiB},
		{"pollerBacklogPerTask", &c.Poller.BacklogPerTask}, {"pollerStopTimeoutSeconds", &c.Poller.StopTimeoutSeconds},
		{"legacyStatusIndex", &c.LegacyStatusIndex}, {"warmWritesPerSecond", &c.WarmWritesPerSecond},
	} {
		r.read(f.key, f.dst)
	}
	for _, m := range strings.Split(models, ",") {
		if m = strings.TrimSpace(m); m != "" {
			c.Models = append(c.Models, m)
		}
	}
	routes, err := routesFromContext(node.TryGetContext(jsii.String("routes")))
	c.Routes, r.errs = routes, append(r.errs, err)
	api, err := apiFromContext(r.get)
	r.errs = append(r.errs, err)
	c.API = api
	c.Predict, err = predictFromContext(r.get)
	r.errs = append(r.errs, err)
	c.State, err = stateFromContext(r.get)
	r.errs = append(r.errs, err)
	return c, errors.Join(r.errs...)
}

// contextReader reads typed values from CDK context, collecting errors
// that name the key.
type contextReader struct {
	node constructs.Node
	errs []error
}

// read stores key's value in dst when the key is set.
func (r *contextReader) read(key string, dst any) {
	v, ok := r.get(key)
	if !ok {
		return
	}
	var err error
	switch d := dst.(type) {
	case *string:
		*d = v
	case *Variant:
		*d = Variant(v)
	case *int:
		if *d, err = strconv.Atoi(v); err != nil {
			err = fmt.Errorf("context %q: %q is not an integer", key, v)
		}
	case *int64:
		if *d, err = strconv.ParseInt(v, 10, 64); err != nil {
			err = fmt.Errorf("context %q: %q is not an integer", key, v)
		}
	case *bool:
		if *d, err = strconv.ParseBool(v); err != nil {
			err = fmt.Errorf("context %q: %q is not true or false", key, v)
		}
	default:
		err = fmt.Errorf("context %q: cannot read into %T", key, dst)
	}
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// get returns key's value as text: values from the command line arrive as
// strings, values from cdk.json as JSON numbers, booleans or lists.
func (r *contextReader) get(key string) (string, bool) {
	switch v := r.node.TryGetContext(jsii.String(key)).(type) {
	case nil:
		return "", false
	case string:
		return v, v != ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ","), true
	default:
		return fmt.Sprint(v), true
	}
}
