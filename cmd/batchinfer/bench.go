package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/batchinfer/batchinfer/engine"
)

// benchCmd measures a model's throughput three ways in one run.
type benchCmd struct {
	model              modelFlags
	opts               engine.BenchOptions
	inputs, cpuProfile string
	sweep              bool
	sizes              string
}

func (b *benchCmd) flags(fs *flag.FlagSet) {
	b.model.define(fs, "rows per tensor run (default: the manifest's max batch)")
	fs.IntVar(&b.opts.Items, "items", 0, "how many of the inputs to use (default: all)")
	fs.StringVar(&b.inputs, "inputs", "", "folder of encoded inputs, one file each (default: .cache/samples/MODEL, written by setup)")
	fs.IntVar(&b.opts.Rounds, "rounds", 5, "repetitions; medians are reported")
	fs.BoolVar(&b.sweep, "sweep", false, "also measure across batch sizes and recommend one")
	fs.StringVar(&b.sizes, "sizes", "1,2,4,8,16,32,64,128,256", "batch sizes for --sweep")
	fs.StringVar(&b.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole measurement to this file (go tool pprof)")
}

func (b *benchCmd) run(ctx context.Context, c call) error {
	if b.model.dir == "" {
		c.usage()
		return fmt.Errorf("%w: --model is required", errUsage)
	}
	opts := b.opts
	opts.Batch = b.model.batch
	if b.sweep {
		for _, s := range strings.Split(b.sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return fmt.Errorf("%w: --sizes: %q is not a batch size", errUsage, s)
			}
			opts.Sweep = append(opts.Sweep, n)
		}
	}
	m, err := b.model.load()
	if err != nil {
		return err
	}
	defer m.Close()
	inputs := b.inputs
	if inputs == "" {
		inputs = filepath.Join(".cache", "samples", m.Name())
	}
	if opts.Inputs, err = engine.ReadInputs(inputs); err != nil {
		return err
	}
	if b.cpuProfile != "" {
		stop, err := startCPUProfile(b.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var bar *progressbar.ProgressBar
	opts.Progress = func(done, total int) {
		if bar == nil {
			bar = newBar(c.stderr, int64(total), "measurements", progressbar.OptionShowCount())
		}
		_ = bar.Set(done)
	}
	rep, err := engine.Bench(ctx, m, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	rep.IntraOpThreads = b.model.threads
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// startCPUProfile profiles until the returned stop is called, so that
// where the pipeline's time goes can be read with `go tool pprof`.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
