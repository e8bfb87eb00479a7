// Command batchinfer is the one binary of the project: the Lambda function,
// the long-running SQS poller, and the tools around them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand: flag parsing and wiring only; the logic lives
// in the packages.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary: summary, run: run}
}

// stdin is what `-` reads (tests replace it).
var stdin io.Reader = os.Stdin

// errUsage marks errors that should print the command's usage.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := ""
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "" && os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		name = "lambda" // what Lambda runs: the bootstrap without arguments
		if os.Getenv("_HANDLER") == "uploads" {
			name = "uploads" // the stack's second function: same code, another handler
		}
	}
	cmd, ok := commands[name]
	if !ok {
		if name != "" && name != "help" && name != "-h" && name != "--help" {
			fmt.Fprintf(stderr, "batchinfer: unknown command %q\n\n", name)
		}
		usage(stderr)
		if name == "help" || name == "-h" || name == "--help" {
			return 0
		}
		return 2
	}
	if err := cmd.run(ctx, args, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "batchinfer %s: %v\n", name, err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: batchinfer COMMAND [flags]  (batchinfer COMMAND -h for its flags)")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nconfiguration comes from environment variables: see the README.")
}

// newFlags returns a FlagSet whose errors are returned, not fatal.
func newFlags(name string, stderr io.Writer, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: batchinfer %s %s\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// newLogger writes JSON lines, as CloudWatch Logs Insights reads them.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
