package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// resources are the AWS resources a tool command names by flag, each
// defaulting to the variable the worker reads, so that a shell with the
// worker's environment (`batchinfer local up` prints it) needs no flags.
type resources struct {
	opts     store.OpenOptions
	required []resourceFlag
}

// resourceFlag is a flag naming a resource, and its variable.
type resourceFlag struct {
	name  string
	env   *settings.Var
	value *string
}

// define declares one resource flag whose default is $env.
func (r *resources) define(fs *flag.FlagSet, name string, env *settings.Var, what string, value *string) {
	fs.StringVar(value, name, settings.Current(env), fmt.Sprintf("%s (default $%s)", what, env.Name))
	r.required = append(r.required, resourceFlag{name: name, env: env, value: value})
}

// tableFlag declares --table, the results table.
func (r *resources) tableFlag(fs *flag.FlagSet) {
	r.define(fs, "table", settings.ResultsTable, "results table", &r.opts.ResultsTable)
}

// queueFlag declares --queue-url, the jobs queue.
func (r *resources) queueFlag(fs *flag.FlagSet, what string) {
	r.define(fs, "queue-url", settings.QueueURL, what, &r.opts.QueueURL)
}

// open checks that every declared resource is named, then builds the
// adapters.
func (r *resources) open(ctx context.Context) (*store.Adapters, error) {
	var missing []string
	for _, f := range r.required {
		if *f.value == "" {
			missing = append(missing, fmt.Sprintf("--%s (or %s)", f.name, f.env.Name))
		}
	}
	switch len(missing) {
	case 0:
		return store.Open(ctx, r.opts)
	case 1:
		return nil, fmt.Errorf("%w: %s is required", errUsage, missing[0])
	}
	return nil, fmt.Errorf("%w: %s are required", errUsage, strings.Join(missing, " and "))
}
