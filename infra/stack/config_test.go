package stack

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// newFromContext defines the stack the way main does: from CDK context.
func newFromContext(t *testing.T, ctx map[string]any) error {
	t.Helper()
	if _, ok := ctx["repoDir"]; !ok {
		ctx["repoDir"] = "../.."
	}
	app := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, ctx), Outdir: jsii.String(tempDir(t))})
	cfg, err := ConfigFromContext(app.Node())
	if err != nil {
		return err
	}
	_, err = New(app, "BatchInfer", cfg, nil)
	return err
}

// isolated is ctx for AppProps.PostCliContext, which CDK applies after
// CDK_CONTEXT_JSON: `go tool task synth` may run the tests with a context
// in the environment, whose keys would otherwise mix into the case's.
// Every key of that context the case does not set is blanked ("" reads as
// unset).
func isolated(t *testing.T, ctx map[string]any) *map[string]any {
	t.Helper()
	if env := os.Getenv("CDK_CONTEXT_JSON"); env != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(env), &m); err != nil {
			t.Fatalf("CDK_CONTEXT_JSON: %v", err)
		}
		for k := range m {
			if _, ok := ctx[k]; !ok {
				ctx[k] = ""
			}
		}
	}
	return &ctx
}

func TestSynthRejects(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]any
		want []string // substrings of the error
	}{
		{"visibility under 6x timeout", map[string]any{"timeoutSeconds": "300", "visibilityTimeoutSeconds": "1500"},
			[]string{`"visibilityTimeoutSeconds"`, "1500 s is less than 6 × function timeout 300 s"}},
		{"visibility under 6x from cdk.json numbers", map[string]any{"timeoutSeconds": 60.0, "visibilityTimeoutSeconds": 300.0},
			[]string{`"visibilityTimeoutSeconds"`, "6 × function timeout 60 s"}},
		{"timeout over 15 minutes", map[string]any{"timeoutSeconds": "901"}, []string{`"timeoutSeconds"`, "1..900"}},
		{"unknown variant", map[string]any{"variant": "ecs"}, []string{`"variant"`}},
		{"unknown architecture", map[string]any{"architecture": "riscv"}, []string{`"architecture"`}},
		{"batch over 10000", map[string]any{"batchSize": "20000"}, []string{`"batchSize"`, "1..10000"}},
		{"image without Dockerfile", map[string]any{"repoDir": "/nonexistent/repo"}, []string{"/nonexistent/repo/Dockerfile is missing"}},
		{"concurrency above reservation", map[string]any{"reservedConcurrency": "5", "maxConcurrency": "10"}, []string{`"maxConcurrency"`}},
		{"not a number", map[string]any{"memoryMiB": "lots"}, []string{`"memoryMiB"`, "not an integer"}},
		{"wildcard model uri", map[string]any{"models": "s3://*/x"}, []string{`"models"`}},
		{"zip without bundle", map[string]any{"variant": "zip", "bundleDir": "/nonexistent/bundle"},
			[]string{"/nonexistent/bundle/function/bootstrap is missing", "go tool task bundle"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := newFromContext(t, tc.ctx)
			if err == nil {
				t.Fatal("synthesis succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestConfigFromContext(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, map[string]any{
		"variant": "zip", "architecture": "arm64", "memoryMiB": 3538.0, "timeoutSeconds": "60",
		"models": "iris-rf, s3://b/p/", "reprocessEnabled": "true", "inboxSuffix": ".png",
	}), Outdir: jsii.String(tempDir(t))})
	c, err := ConfigFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	c = c.Defaults()
	if c.Variant != VariantZip || c.Architecture != ArchARM64 || c.MemoryMiB != 3538 || c.TimeoutSeconds != 60 ||
		!c.ReprocessEnabled || c.InboxSuffix != ".png" || c.VisibilityTimeoutSeconds != 6*60+5 {
		t.Errorf("config %+v", c)
	}
	if got, want := c.ModelsEnv(), "/opt/models/iris-rf,s3://b/p/"; got != want {
		t.Errorf("BATCHINFER_MODELS %q, want %q", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

// TestConfigFromContextKeys: every other key lands in its field, and a
// value of the wrong type is an error naming its key.
func TestConfigFromContextKeys(t *testing.T) {
	tests := []struct {
		ctx     map[string]any
		check   func(Config) bool
		wantErr string
	}{
		{ctx: map[string]any{"maxInputBytes": 1234.0, "maxReceiveCount": "7", "reprocessWindow": "6h", "repoDir": "/r", "bundleDir": "/b"},
			check: func(c Config) bool {
				return c.MaxInputBytes == 1234 && c.MaxReceiveCount == 7 && c.ReprocessWindow == "6h" && c.RepoDir == "/r" && c.BundleDir == "/b"
			}},
		{ctx: map[string]any{"models": []any{"a", "b"}, "reprocessEnabled": true}, check: func(c Config) bool {
			return len(c.Models) == 2 && c.Models[1] == "b" && c.ReprocessEnabled
		}},
		{ctx: map[string]any{"memoryMiB": "lots"}, wantErr: `context "memoryMiB": "lots" is not an integer`},
		{ctx: map[string]any{"maxInputBytes": "1x"}, wantErr: `context "maxInputBytes"`},
		{ctx: map[string]any{"reprocessEnabled": "maybe"}, wantErr: `context "reprocessEnabled": "maybe" is not true or false`},
	}
	for _, tt := range tests {
		app := awscdk.NewApp(&awscdk.AppProps{PostCliContext: isolated(t, tt.ctx), Outdir: jsii.String(tempDir(t))})
		c, err := ConfigFromContext(app.Node())
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("context %v: error %v, want %q", tt.ctx, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !tt.check(c)):
			t.Errorf("context %v: config %+v, %v", tt.ctx, c, err)
		}
	}
}
