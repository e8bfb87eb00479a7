// Package dockerlint checks the repository's Dockerfile with BuildKit's own
// parser: base images pinned to exact tags, the ONNX Runtime library
// verified by sha256, a cgo Lambda build, and a final stage that Lambda's
// provided.al2023 base starts correctly.
package dockerlint

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// ORTLib is where the image must put the ONNX Runtime library (the CDK
// stack sets ONNXRUNTIME_LIB to the same path).
const ORTLib = "/opt/lib/libonnxruntime.so.1"

// stage is one FROM ... AS name block.
type stage struct {
	name, base string
	line       int
	nodes      []*parser.Node
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// Lint parses r and returns one message per problem found.
func Lint(r io.Reader) ([]string, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parse Dockerfile: %w", err)
	}
	l := &linter{globals: map[string][]string{}}
	l.split(res.AST.Children)
	if len(l.stages) < 2 {
		return append(l.problems, "want a multi-stage build"), nil
	}
	l.checkBases()
	l.checkRuns()
	l.checkFinal()
	return l.problems, nil
}

// linter holds one Dockerfile's stages and the problems found so far.
type linter struct {
	globals  map[string][]string // global ARG name → possible values
	stages   []*stage
	problems []string
}

func (l *linter) report(line int, format string, args ...any) {
	l.problems = append(l.problems, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...)))
}

// split reads the global ARGs (before the first FROM) with their defaults
// and cuts the rest into stages.
func (l *linter) split(nodes []*parser.Node) {
	for _, n := range nodes {
		switch strings.ToLower(n.Value) {
		case "arg":
			if len(l.stages) == 0 {
				for a := n.Next; a != nil; a = a.Next {
					k, v, _ := strings.Cut(a.Value, "=")
					l.globals[k] = []string{strings.Trim(v, `"`)}
				}
			}
		case "from":
			s := &stage{base: n.Next.Value, line: n.StartLine}
			if as := n.Next.Next; as != nil && strings.EqualFold(as.Value, "as") && as.Next != nil {
				s.name = as.Next.Value
			}
			l.stages = append(l.stages, s)
		default:
			if len(l.stages) > 0 {
				last := l.stages[len(l.stages)-1]
				last.nodes = append(last.nodes, n)
			}
		}
	}
}

// checkBases wants every FROM that is not an earlier stage pinned.
func (l *linter) checkBases() {
	names := map[string]bool{}
	for _, s := range l.stages {
		for _, base := range expand(s.base, l.globals) {
			switch {
			case names[base]:
			case strings.Contains(base, "$"):
				l.report(s.line, "FROM %s: %q has no default to check", s.base, base)
			default:
				if msg := pinned(base); msg != "" {
					l.report(s.line, "FROM %s: %s", base, msg)
				}
			}
		}
		if s.name != "" {
			names[s.name] = true
		}
	}
}

// checkRuns wants a download verified by sha256 and a cgo Lambda build,
// in any stage.
func (l *linter) checkRuns() {
	var sha, cgo bool
	for _, s := range l.stages {
		for _, n := range s.nodes {
			if !strings.EqualFold(n.Value, "run") {
				continue
			}
			body := n.Original
			sha = sha || strings.Contains(body, "sha256sum") && strings.Contains(body, "-c")
			cgo = cgo || strings.Contains(body, "CGO_ENABLED=1") && strings.Contains(body, "lambda.norpc") && strings.Contains(body, "go build")
		}
	}
	if !sha {
		l.report(0, "no RUN verifies a download with sha256sum -c")
	}
	if !cgo {
		l.report(0, "no RUN builds the bootstrap with CGO_ENABLED=1 and -tags lambda.norpc")
	}
}

// checkFinal wants the final stage to be an exact provided.al2023 base
// that copies the bootstrap and the ONNX Runtime library into place and
// keeps the base's entrypoint.
func (l *linter) checkFinal() {
	final := l.stages[len(l.stages)-1]
	if bases := expand(final.base, l.globals); len(bases) != 1 || !strings.HasPrefix(bases[0], "public.ecr.aws/lambda/provided:al2023.") {
		l.report(final.line, "final stage %v is not an exact public.ecr.aws/lambda/provided:al2023.* tag", bases)
	}
	var bootstrap, ort, cmd bool
	for _, n := range final.nodes {
		args := words(n)
		switch strings.ToLower(n.Value) {
		case "copy":
			dst := ""
			if len(args) > 0 {
				dst = args[len(args)-1]
			}
			bootstrap = bootstrap || dst == "/var/runtime/bootstrap"
			ort = ort || dst == ORTLib
		case "entrypoint":
			// The base's /lambda-entrypoint.sh starts /var/runtime/bootstrap;
			// replacing it is only right if it runs the bootstrap itself.
			if len(args) != 1 || args[0] != "/var/runtime/bootstrap" {
				l.report(n.StartLine, "ENTRYPOINT %v replaces the Lambda base's entrypoint", args)
			}
		case "cmd":
			if n.Attributes["json"] && len(args) == 1 && args[0] != "" {
				cmd = true
			} else {
				l.report(n.StartLine, "CMD must be the exec form with one handler name, got %v", args)
			}
		}
	}
	if !bootstrap {
		l.report(final.line, "final stage does not COPY the binary to /var/runtime/bootstrap")
	}
	if !ort {
		l.report(final.line, "final stage does not COPY the ONNX Runtime library to %s", ORTLib)
	}
	if !cmd {
		l.report(final.line, "final stage has no CMD naming the handler (the base entrypoint requires one)")
	}
}

// pinned explains why an image reference is not pinned, or returns "".
func pinned(ref string) string {
	if _, digest, ok := strings.Cut(ref, "@sha256:"); ok && len(digest) == 64 {
		return ""
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok || tag == "":
		return "no tag (means latest)"
	case tag == "latest" || strings.HasSuffix(tag, "-latest"):
		return "tag latest is not a pin"
	case !regexp.MustCompile(`[0-9]+\.[0-9]+`).MatchString(tag):
		return fmt.Sprintf("tag %q is not an exact version", tag)
	}
	return ""
}

// expand substitutes global ARG defaults into a FROM value.
func expand(v string, globals map[string][]string) []string {
	out := []string{v}
	for _, m := range argRef.FindAllStringSubmatch(v, -1) {
		vals, ok := globals[m[1]]
		if !ok {
			continue
		}
		var next []string
		for _, o := range out {
			for _, val := range vals {
				next = append(next, strings.ReplaceAll(o, m[0], val))
			}
		}
		out = next
	}
	return out
}

func words(n *parser.Node) []string {
	var out []string
	for a := n.Next; a != nil; a = a.Next {
		out = append(out, a.Value)
	}
	return out
}
