// Command scale is the scale model of docs/scale.md: given a deployment
// (the CDK context the stack was synthesised with) and a load (jobs/s and
// a mix of the measured workloads), it reports for each rate the first
// limit reached, how fast the backlog grows, a typical job's time to
// result and the cost of a million jobs with every request counted.
//
//	go tool task scale
//	go run ./benchmarks/scale -mix ocr -c statusShards=16 -c maxConcurrency=1000
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// pairs collects repeated -c key=value flags, as `cdk -c` takes them.
type pairs map[string]string

func (p pairs) String() string { return fmt.Sprint(map[string]string(p)) }
func (p pairs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	p[k] = v
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Getenv("CDK_CONTEXT_JSON"), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(args []string, envContext string, out io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	cdkJSON := fs.String("cdk-json", "infra/cdk.json", "the CDK app's cdk.json, whose context comes first (empty: none)")
	mix := fs.String("mix", "iris", "the workload: iris, ocr or mixed (docs/benchmarks.md)")
	rates := fs.String("rates", "100,1000,10000,100000", "offered jobs/s, comma-separated")
	ctx := pairs{}
	fs.Var(ctx, "c", "a CDK context key=value (repeatable), after cdk.json and CDK_CONTEXT_JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := ReadContext(DefaultDeployment(), *cdkJSON, envContext, ctx)
	if err != nil {
		return err
	}
	p, err := lookupProfile(*mix)
	if err != nil {
		return err
	}
	var rs []float64
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", f)
		}
		rs = append(rs, r)
	}
	results := make([]Result, len(rs))
	for i, r := range rs {
		results[i] = Evaluate(d, p, r)
	}
	Report(out, d, p, results)
	return nil
}
