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
	"slices"
	"sort"
	"strings"
	"syscall"
)

// A command is one subcommand's flag parsing and wiring; the logic lives
// in the packages. The table in commands.go builds it, lets it declare its
// flags, parses them, and runs it.
type command interface {
	flags(fs *flag.FlagSet)
	run(ctx context.Context, c call) error
}

// call is what a command runs with besides its flags.
type call struct {
	sub            string   // the subcommand, for commands that have them (local, dlq)
	args           []string // what is left after the flags
	stdout, stderr io.Writer
	usage          func() // prints the synopsis and the flags
}

// entry is a row of the command table.
type entry struct {
	summary string
	usage   string   // the synopsis after "batchinfer NAME"
	subs    []string // subcommands, read from the first argument
	new     func() command
}

// fresh makes a zero command of type T, so that a run sees only the
// defaults and its own flags (tests run several commands in one process).
func fresh[T any, P interface {
	*T
	command
}]() command {
	return P(new(T))
}

// noFlags is embedded by commands that take none.
type noFlags struct{}

func (noFlags) flags(*flag.FlagSet) {}

// stdin is what `-` reads (tests replace it).
var stdin io.Reader = os.Stdin

// errUsage marks errors that should print the command's usage.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts a graceful stop (commands hand back what they
	// hold); a second one ends the process at once.
	context.AfterFunc(ctx, stop)
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
	e, ok := commands[name]
	help := name == "help" || name == "-h" || name == "--help"
	if !ok {
		if name != "" && !help {
			fmt.Fprintf(stderr, "batchinfer: unknown command %q\n\n", name)
		}
		usage(stderr)
		if help {
			return 0
		}
		return 2
	}
	if err := e.start(ctx, name, args, call{stdout: stdout, stderr: stderr}); err != nil {
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

// start takes the subcommand, parses the flags and runs the command.
func (e entry) start(ctx context.Context, name string, args []string, c call) error {
	if len(e.subs) > 0 {
		if len(args) == 0 || !slices.Contains(e.subs, args[0]) {
			fmt.Fprintf(c.stderr, "usage: batchinfer %s %s\n", name, e.usage)
			return fmt.Errorf("%w: %s needs one of %s", errUsage, name, strings.Join(e.subs, ", "))
		}
		c.sub, args = args[0], args[1:]
		name += " " + c.sub
	}
	cmd := e.new()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	synopsis := e.usage
	if len(e.subs) > 0 {
		synopsis = "[flags]" // e.usage describes the subcommands
	}
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: batchinfer %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	cmd.flags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	c.args, c.usage = pos, fs.Usage
	return cmd.run(ctx, c)
}

// parseInterspersed parses flags wherever they stand among the arguments
// (`jobid s3://b/k --etag E`), as users write them; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
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

// newLogger writes JSON lines, as CloudWatch Logs Insights reads them.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
