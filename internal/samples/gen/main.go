// Command gen writes sample inputs for a model folder as files, for
// `batchinfer bench --inputs DIR` (setup runs it for the shipped models):
//
//	go run ./internal/samples/gen --model .cache/models/iris-rf --n 256 --out .cache/samples/iris-rf
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/batchinfer/batchinfer/internal/samples"
	"github.com/batchinfer/batchinfer/model"
)

func main() {
	dir := flag.String("model", "", "model folder holding manifest.json")
	n := flag.Int("n", 256, "how many inputs")
	seed := flag.Int64("seed", 1, "generator seed")
	out := flag.String("out", "", "folder to write the inputs to")
	flag.Parse()
	if err := run(*dir, *n, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string, n int, seed int64, out string) error {
	if dir == "" || out == "" {
		return fmt.Errorf("--model and --out are required")
	}
	man, err := model.ReadManifest(dir)
	if err != nil {
		return err
	}
	ss, err := samples.Inputs(man, n, seed)
	if err != nil {
		return err
	}
	return samples.WriteDir(out, ss)
}
