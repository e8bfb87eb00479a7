package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/batchinfer/batchinfer/local"
	"github.com/batchinfer/batchinfer/settings"
	"github.com/batchinfer/batchinfer/store"
)

// localUp creates the resources and prints the variables that point the
// other commands at them: export lines for the shell, or one JSON object.
func localUp(ctx context.Context, cfg aws.Config, lf *localCmd, stdout, stderr io.Writer) error {
	spec := lf.resources()
	prov, err := store.Provision(ctx, cfg, spec)
	if err != nil {
		return err
	}
	np, err := localNotify(ctx, cfg, lf, stderr)
	if err != nil {
		return err
	}
	if _, err := local.ProvisionFeatures(ctx, cfg); err != nil {
		return err
	}
	vars := map[string]string{
		settings.QueueURL.Name: prov.QueueURL, settings.DLQURL.Name: prov.DLQURL,
		settings.ResultsTable.Name: spec.Table, settings.ResultsBucket.Name: spec.ResultsBucket,
		settings.InputBuckets.Name:   spec.InputBucket,
		settings.NotifyTopicARN.Name: np.TopicARN, settings.WatchQueueURL.Name: np.QueueURL,
	}
	if lf.asJSON {
		return json.NewEncoder(stdout).Encode(vars)
	}
	return writeExports(stdout, vars)
}

// writeExports prints `export NAME=value` lines, sorted, quoted for the
// shell where needed, so `eval "$(batchinfer local up)"` sets them.
func writeExports(w io.Writer, vars map[string]string) error {
	names := slices.Sorted(maps.Keys(vars))
	for _, n := range names {
		if vars[n] == "" {
			continue
		}
		if _, err := fmt.Fprintf(w, "export %s=%s\n", n, shellQuote(vars[n])); err != nil {
			return err
		}
	}
	return nil
}

// shellQuote leaves plain words as they are and single-quotes the rest.
func shellQuote(v string) string {
	plain := strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0
	if plain && v != "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
