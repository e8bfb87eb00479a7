package dockerlint

import (
	"os"
	"strings"
	"testing"
)

func TestRepositoryDockerfile(t *testing.T) {
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	problems, err := Lint(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// good is a minimal Dockerfile that passes; each case breaks one rule.
const good = `ARG GO_IMAGE=golang:1.26.8-bookworm
FROM ${GO_IMAGE} AS build
RUN CGO_ENABLED=1 go build -tags lambda.norpc -o /out/bootstrap ./cmd/batchinfer
FROM ${GO_IMAGE} AS ort
RUN echo "abc  f" | sha256sum --strict -c -
FROM public.ecr.aws/lambda/provided:al2023.2026.02.27.21
COPY --from=ort /out/lib/libonnxruntime.so.1 /opt/lib/libonnxruntime.so.1
COPY --from=build /out/bootstrap /var/runtime/bootstrap
CMD ["batchinfer"]
`

func TestLint(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"good", "", "", ""},
		{"latest tag", "golang:1.26.8-bookworm", "golang:latest", "latest"},
		{"untagged", "golang:1.26.8-bookworm", "golang", "no tag"},
		{"floating tag", "golang:1.26.8-bookworm", "golang:bookworm", "not an exact version"},
		{"floating lambda base", "provided:al2023.2026.02.27.21", "provided:al2023", "final stage"},
		{"no sha256 check", `RUN echo "abc  f" | sha256sum --strict -c -`, "RUN curl -o f https://example.invalid/f", "sha256sum"},
		{"no cgo", "CGO_ENABLED=1 ", "", "CGO_ENABLED=1"},
		{"entrypoint override", `CMD ["batchinfer"]`, "ENTRYPOINT [\"./main\"]\nCMD [\"batchinfer\"]", "ENTRYPOINT"},
		{"shell-form cmd", `CMD ["batchinfer"]`, "CMD batchinfer", "exec form"},
		{"no cmd", `CMD ["batchinfer"]`, "", "no CMD"},
		{"bootstrap elsewhere", "/var/runtime/bootstrap", "/var/task/main", "/var/runtime/bootstrap"},
		{"ort elsewhere", " /opt/lib/libonnxruntime.so.1", " /usr/lib/libonnxruntime.so", ORTLib},
		{"single stage", good, "FROM public.ecr.aws/lambda/provided:al2023.2026.02.27.21\nCMD [\"x\"]\n", "multi-stage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := good
			if tc.old != "" {
				if !strings.Contains(src, tc.old) {
					t.Fatalf("case edits %q, which the sample lacks", tc.old)
				}
				src = strings.Replace(src, tc.old, tc.new, 1)
			}
			problems, err := Lint(strings.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			joined := strings.Join(problems, "\n")
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("unexpected problems:\n%s", joined)
			case tc.want != "" && !strings.Contains(joined, tc.want):
				t.Errorf("problems %q lack %q", joined, tc.want)
			}
		})
	}
}
