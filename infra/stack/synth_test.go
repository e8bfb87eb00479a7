package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Each variant is synthesised once and shared by every test: a synthesis
// costs seconds of jsii round trips.

type synthed struct {
	b        *BatchInfer
	tmpl     assertions.Template
	json     map[string]any // the CloudFormation template
	assets   map[string]any // <stack>.assets.json
	outdir   string
	bundle   string
	template string
}

var (
	synthMu  sync.Mutex
	synthOut = map[Variant]*synthed{}
	tempDirs []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	jsii.Close()
	os.Exit(code)
}

func tempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "batchinfer-infra-")
	if err != nil {
		t.Fatal(err)
	}
	tempDirs = append(tempDirs, d)
	return d
}

// testConfig is the configuration each variant is synthesised with; the two
// differ where the issue asks for something to be configurable.
func testConfig(t *testing.T, v Variant) Config {
	c := Config{
		Variant:             v,
		MemoryMiB:           3538,
		TimeoutSeconds:      90,
		ReservedConcurrency: 20,
		BatchSize:           50,
		MaxConcurrency:      8,
		MaxReceiveCount:     4,
		RepoDir:             filepath.Join("..", ".."),
	}
	if v == VariantZip {
		c.Architecture = ArchARM64
		c.InboxPrefix, c.InboxSuffix = "incoming/", ".png"
		c.BatchSize, c.MaxBatchingWindowSeconds = 200, 10
		c.Models = []string{"iris-rf", "s3://model-store/ppocr-rec/v2/"}
		c.BundleDir = fakeBundle(t, "iris-rf")
	}
	return c
}

// fakeBundle writes placeholder zip-variant assets: synthesis only zips
// them, so their contents do not matter here.
func fakeBundle(t *testing.T, models ...string) string {
	dir := tempDir(t)
	files := []string{filepath.Join(BundleFunction, "bootstrap"), filepath.Join(BundleORTLayer, "lib", "libonnxruntime.so.1")}
	for _, m := range models {
		files = append(files, filepath.Join(BundleModels, "models", m, "manifest.json"))
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("placeholder "+f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func synth(t *testing.T, v Variant) *synthed {
	t.Helper()
	return synthOnce(t, v, func() Config { return testConfig(t, v) })
}

// synthOnce synthesises cfg() the first time key is asked for and shares
// the result; a failed synthesis fails every test that asks for it.
func synthOnce(t *testing.T, key Variant, cfg func() Config) *synthed {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthOut[key]; ok {
		if s == nil {
			t.Fatalf("synthesis of %s failed earlier", key)
		}
		return s
	}
	synthOut[key] = nil
	c := cfg()
	outdir := tempDir(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	b, err := New(app, "BatchInfer", c, nil)
	if err != nil {
		t.Fatalf("New(%s): %v", key, err)
	}
	app.Synth(nil)
	s := &synthed{b: b, outdir: outdir, bundle: c.BundleDir}
	s.tmpl = assertions.Template_FromStack(b.Stack, nil)
	s.json = readJSON(t, filepath.Join(outdir, "BatchInfer.template.json"))
	s.assets = readJSON(t, filepath.Join(outdir, "BatchInfer.assets.json"))
	synthOut[key] = s
	return s
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// eachVariant runs f as a subtest for both function variants.
func eachVariant(t *testing.T, f func(t *testing.T, s *synthed)) {
	for _, v := range []Variant{VariantImage, VariantZip} {
		t.Run(string(v), func(t *testing.T) { f(t, synth(t, v)) })
	}
}

// resources returns the template's resources of one type, by logical id.
func (s *synthed) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// only returns the properties of the single resource of typ that match pick.
func (s *synthed) only(t *testing.T, typ string, pick func(props map[string]any) bool) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, r := range s.resources(typ) {
		props, _ := r["Properties"].(map[string]any)
		if pick == nil || pick(props) {
			found = append(found, props)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s match, want 1", len(found), typ)
	}
	return found[0]
}

// idOf returns the logical id of the resource a construct's default child became.
func (s *synthed) idOf(c constructs.IConstruct) string {
	return *s.b.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// ref is {"Ref": id}; getAtt is {"Fn::GetAtt": [id, attr]}.
func ref(id string) map[string]any          { return map[string]any{"Ref": id} }
func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func jsonEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
func num(v any) float64 { f, _ := v.(float64); return f }

// check runs a CDK template assertion, turning its panic (jsii reports a
// failed match that way) into a test error so the other checks still run.
func check[A, B any, V any](t *testing.T, assert func(A, B), a A, b V) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("template assertion failed: %v", r)
		}
	}()
	assert(a, any(b).(B))
}
