package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/batchinfer/batchinfer/worker"
)

func init() {
	register("bench", "measure raw ONNX Runtime vs the full pipeline vs batch 1, side by side (JSON)", runBench)
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr, "--model DIR [--batch N] [--sweep] [--sizes 1,8,32]")
	dir := fs.String("model", "", "model folder holding manifest.json (required)")
	batch := fs.Int("batch", 0, "rows per tensor run (default: the manifest's max batch)")
	items := fs.Int("items", 0, "how many of the inputs to use (default: all)")
	inputs := fs.String("inputs", "", "folder of encoded inputs, one file each (default: .cache/samples/MODEL, written by setup)")
	rounds := fs.Int("rounds", 5, "repetitions; medians are reported")
	threads := fs.Int("threads", 0, "ONNX Runtime intra-op threads (default: the CPUs this process may use)")
	sweep := fs.Bool("sweep", false, "also measure across batch sizes and recommend one")
	sizes := fs.String("sizes", "1,2,4,8,16,32,64,128,256", "batch sizes for --sweep")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole measurement to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		fs.Usage()
		return fmt.Errorf("%w: --model is required", errUsage)
	}
	opts := worker.BenchOptions{Batch: *batch, Items: *items, Rounds: *rounds}
	if *sweep {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return fmt.Errorf("%w: --sizes: %q is not a batch size", errUsage, s)
			}
			opts.Sweep = append(opts.Sweep, n)
		}
	}
	m, err := loadModel(*dir, *threads)
	if err != nil {
		return err
	}
	defer m.Close()
	if *inputs == "" {
		*inputs = filepath.Join(".cache", "samples", m.Name())
	}
	if opts.Inputs, err = worker.ReadInputs(*inputs); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep, err := worker.Bench(ctx, m, opts)
	if err != nil {
		return err
	}
	rep.IntraOpThreads = *threads
	enc := json.NewEncoder(stdout)
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
