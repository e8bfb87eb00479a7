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
	var errs []error
	get := func(key string) (string, bool) {
		v := node.TryGetContext(jsii.String(key))
		switch v := v.(type) {
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
	str := func(key string, dst *string) {
		if v, ok := get(key); ok {
			*dst = v
		}
	}
	num := func(key string, dst *int) {
		if v, ok := get(key); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("context %q: %q is not an integer", key, v))
				return
			}
			*dst = n
		}
	}
	var variant string
	str("variant", &variant)
	c.Variant = Variant(variant)
	str("architecture", &c.Architecture)
	num("memoryMiB", &c.MemoryMiB)
	num("timeoutSeconds", &c.TimeoutSeconds)
	num("reservedConcurrency", &c.ReservedConcurrency)
	num("batchSize", &c.BatchSize)
	num("maxBatchingWindowSeconds", &c.MaxBatchingWindowSeconds)
	num("maxConcurrency", &c.MaxConcurrency)
	num("visibilityTimeoutSeconds", &c.VisibilityTimeoutSeconds)
	num("maxReceiveCount", &c.MaxReceiveCount)
	str("inboxPrefix", &c.InboxPrefix)
	str("inboxSuffix", &c.InboxSuffix)
	var models string
	str("models", &models)
	for _, m := range strings.Split(models, ",") {
		if m = strings.TrimSpace(m); m != "" {
			c.Models = append(c.Models, m)
		}
	}
	var maxInput int
	num("maxInputBytes", &maxInput)
	c.MaxInputBytes = int64(maxInput)
	num("resultsExpireDays", &c.ResultsExpireDays)
	num("oldestMessageAlarmSeconds", &c.OldestMessageAlarmSeconds)
	str("reprocessSchedule", &c.ReprocessSchedule)
	str("reprocessWindow", &c.ReprocessWindow)
	if v, ok := get("reprocessEnabled"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %q: %q is not true or false", "reprocessEnabled", v))
		}
		c.ReprocessEnabled = b
	}
	routes, err := routesFromContext(node.TryGetContext(jsii.String("routes")))
	c.Routes, errs = routes, append(errs, err)
	str("repoDir", &c.RepoDir)
	str("bundleDir", &c.BundleDir)
	return c, errors.Join(errs...)
}
